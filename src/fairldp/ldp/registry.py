"""Protocol registry: ``get_protocol(name, epsilon, k)``.

A new frequency oracle is one module with a :class:`~fairldp.ldp.base.FrequencyProtocol`
subclass built as ``cls(epsilon, k)``, registered with ``PROTOCOLS.register("name", cls)``.
"""

from __future__ import annotations

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE, THE
from fairldp.ldp.lh import BLH, OLH
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import OUE, SUE
from fairldp.registry import Registry

__all__ = ["PROTOCOLS", "get_protocol"]

#: protocol name -> class; every class is built as ``cls(epsilon, k)``.
PROTOCOLS: Registry[type[FrequencyProtocol]] = Registry("LDP protocol")
for _name, _cls in (("grr", GRR), ("sue", SUE), ("oue", OUE), ("blh", BLH), ("olh", OLH),
                    ("ss", SS), ("the", THE), ("she", SHE), ("adp", ADP)):  # fmt: skip
    PROTOCOLS.register(_name, _cls)


def get_protocol(name: str, epsilon: float, k: int) -> FrequencyProtocol:
    """The protocol ``name`` (case-insensitive, one of :data:`PROTOCOLS`) for ``(epsilon, k)``;
    an unknown name raises :class:`~fairldp.registry.UnknownNameError` (a ValueError)."""
    return PROTOCOLS.get(name.lower() if isinstance(name, str) else name)(epsilon, k)
