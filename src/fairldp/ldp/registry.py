"""Protocol registry: ``get_protocol(name, epsilon, k)``."""

from __future__ import annotations

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE, THE
from fairldp.ldp.lh import BLH, OLH
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import OUE, SUE

__all__ = ["PROTOCOLS", "get_protocol"]

#: protocol name -> class; every class is built as ``cls(epsilon, k)``.
PROTOCOLS: dict[str, type[FrequencyProtocol]] = {
    "grr": GRR,
    "sue": SUE,
    "oue": OUE,
    "blh": BLH,
    "olh": OLH,
    "ss": SS,
    "the": THE,
    "she": SHE,
    "adp": ADP,
}


def get_protocol(name: str, epsilon: float, k: int) -> FrequencyProtocol:
    """The protocol ``name`` (case-insensitive, one of :data:`PROTOCOLS`) for ``(epsilon, k)``."""
    key = name.lower() if isinstance(name, str) else name
    if key not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, got {name!r}")
    return PROTOCOLS[key](epsilon, k)
