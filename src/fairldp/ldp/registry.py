"""Protocol registry: ``get_protocol(name, epsilon, k)``.

A new frequency oracle is one module with a :class:`~fairldp.ldp.base.FrequencyProtocol`
subclass built as ``cls(epsilon, k)``, registered with ``PROTOCOLS.register("name", cls)``.

A protocol class with parameters beyond ``(epsilon, k)`` lists them in ``PARAMS`` and is named
with them as ``name(key=value;key=v1,v2)`` (e.g. ``fair_rr(prior=0.67,0.33)``): values with a
comma, or numbers, are read as tuples of floats, others as strings. The protocol's ``name``
attribute carries that full name (e.g. into a release's ledger), from which
:func:`get_protocol` rebuilds the same protocol.
"""

from __future__ import annotations

from typing import Any

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.fairaware import FairRR
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE, THE
from fairldp.ldp.lh import BLH, OLH
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import OUE, SUE
from fairldp.registry import Registry

__all__ = ["PROTOCOLS", "get_protocol", "protocol_params", "split_protocol"]

#: protocol name -> class; every class is built as ``cls(epsilon, k)``.
PROTOCOLS: Registry[type[FrequencyProtocol]] = Registry("LDP protocol")
for _name, _cls in (("grr", GRR), ("sue", SUE), ("oue", OUE), ("blh", BLH), ("olh", OLH),
                    ("ss", SS), ("the", THE), ("she", SHE), ("adp", ADP),
                    ("fair_rr", FairRR)):  # fmt: skip
    PROTOCOLS.register(_name, _cls)


def _value(text: str) -> Any:
    parts = text.split(",")
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        return text
    return nums


def split_protocol(name: str) -> tuple[str, dict[str, Any]]:
    """``"fair_rr(prior=0.67,0.33;objective=weighted)"`` -> ``("fair_rr", {"prior": (0.67,
    0.33), "objective": "weighted"})``; a plain name has no parameters."""
    if not isinstance(name, str) or "(" not in name:
        return name, {}
    base, _, rest = name.partition("(")
    if not rest.endswith(")"):
        raise ValueError(f"protocol {name!r} must be written name(key=value;...)")
    params: dict[str, Any] = {}
    for item in filter(None, rest[:-1].split(";")):
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or key.strip() in params:
            raise ValueError(f"protocol {name!r}: parameter {item!r} must be key=value, once")
        params[key.strip()] = _value(value.strip())
    return base.strip(), params


def protocol_params(name: str) -> tuple[str, ...]:
    """The parameters the protocol ``name`` (a registered name) accepts besides eps and k."""
    return tuple(getattr(PROTOCOLS.get(name.lower()), "PARAMS", ()))


def get_protocol(name: str, epsilon: float, k: int) -> FrequencyProtocol:
    """The protocol ``name`` (case-insensitive, one of :data:`PROTOCOLS`, optionally with its
    parameters, :func:`split_protocol`) for ``(epsilon, k)``; an unknown name raises
    :class:`~fairldp.registry.UnknownNameError` (a ValueError), an unknown parameter a
    ValueError."""
    base, params = split_protocol(name)
    cls = PROTOCOLS.get(base.lower() if isinstance(base, str) else base)
    if not params:
        return cls(epsilon, k)
    allowed = getattr(cls, "PARAMS", ())
    unknown = [p for p in params if p not in allowed]
    if unknown:
        raise ValueError(f"protocol {base!r} has no parameter {unknown[0]!r}; its parameters: "
                         f"{list(allowed)}")
    return cls(epsilon, k, **params)  # type: ignore[call-arg]
