"""Containers for perturbed reports that are too wide to keep as one dense ``(n, k)`` array.

- :class:`BitReports`: ``n`` reports of ``k`` bits each (UE, SS, THE, and the packed form of any
  indicator encoding), bit-packed row-major into ``ceil(n * k / 8)`` bytes with
  :func:`numpy.packbits`: never more than ``n * k / 8`` bytes plus one partial byte.
- :class:`HashReports`: local-hashing reports ``(a, b, y)``: the user's hash seed and the
  perturbed hash value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BitReports", "HashReports", "chunk_rows"]


def chunk_rows(n: int, k: int, max_elements: int) -> int:
    """Rows per chunk so that a ``(rows, k)`` block has at most ``max_elements`` entries.

    Always a multiple of 8 (>= 8), so that row blocks of a flat bit-packed array start on a
    byte boundary and packing block by block gives the same bytes as packing everything.
    """
    rows = max(8, (max(1, max_elements // max(k, 1)) // 8) * 8)
    return min(rows, max(8, -(-n // 8) * 8))


@dataclass(frozen=True, eq=False)
class BitReports:
    """``n`` reports of ``k`` bits, packed row-major (big bit order) into one flat uint8 array."""

    packed: NDArray[np.uint8]
    n: int
    k: int

    def __post_init__(self) -> None:
        need = -(-self.n * self.k // 8)
        if self.packed.dtype != np.uint8 or self.packed.ndim != 1 or self.packed.size != need:
            raise ValueError(
                f"packed must be a 1-D uint8 array of ceil(n*k/8) = {need} bytes, got "
                f"dtype {self.packed.dtype}, shape {self.packed.shape}"
            )

    @classmethod
    def from_bits(cls, bits: ArrayLike) -> BitReports:
        """Pack a dense ``(n, k)`` 0/1 array."""
        b = np.asarray(bits)
        if b.ndim != 2:
            raise ValueError(f"bits must be a 2-D (n, k) array, got shape {b.shape}")
        return cls(np.packbits(b.astype(bool, copy=False).ravel()), b.shape[0], b.shape[1])

    @classmethod
    def from_blocks(cls, blocks: list[NDArray[np.uint8]], n: int, k: int) -> BitReports:
        """Join blocks packed with ``np.packbits(bits.ravel())`` whose row counts are multiples
        of 8 (except the last): the result equals packing all rows at once."""
        packed = np.concatenate(blocks) if blocks else np.zeros(0, np.uint8)
        return cls(packed, n, k)

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        """Storage of the packed bits in bytes (``ceil(n * k / 8)``)."""
        return int(self.packed.nbytes)

    def unpack(self, start: int = 0, stop: int | None = None) -> NDArray[np.uint8]:
        """Dense 0/1 uint8 rows ``start:stop`` (all rows by default), shape ``(rows, k)``."""
        stop = self.n if stop is None else min(stop, self.n)
        start = max(0, start)
        rows = max(0, stop - start)
        bit0 = start * self.k
        b0, b1 = bit0 // 8, -(-(stop * self.k) // 8)
        bits = np.unpackbits(self.packed[b0:b1])
        off = bit0 - 8 * b0
        return bits[off : off + rows * self.k].reshape(rows, self.k)

    def iter_rows(self, max_elements: int = 1 << 22) -> Iterator[tuple[int, NDArray[np.uint8]]]:
        """Yield ``(start, dense rows)`` blocks of at most ``max_elements`` bits."""
        step = chunk_rows(self.n, self.k, max_elements)
        for s in range(0, self.n, step):
            yield s, self.unpack(s, s + step)

    def column_sums(self, max_elements: int = 1 << 22) -> NDArray[np.int64]:
        """Number of set bits per column (the support counts), without unpacking.

        Every ``L = 8 / gcd(8, k)`` rows span exactly ``k L / 8`` bytes, so byte ``j`` of each
        such group always holds the same 8 (row, column) positions: one byte histogram per
        byte position, times the bit pattern of each byte value, gives the column sums.
        """
        del max_elements  # the histogram needs no large temporaries
        k = self.k
        group = 8 // math.gcd(8, k)
        nb = k * group // 8
        full = self.n // group
        out = np.zeros(k, dtype=np.int64)
        if full:
            blocks = self.packed[: full * nb].reshape(full, nb)
            hist = np.stack([np.bincount(blocks[:, j], minlength=256) for j in range(nb)])
            out += (hist @ _BYTE_BITS).reshape(group, k).sum(axis=0)
        if full * group < self.n:
            out += self.unpack(full * group, self.n).sum(axis=0, dtype=np.int64)
        return out


#: bit pattern (big bit order) of each byte value, shape (256, 8)
_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.int64)


@dataclass(frozen=True, eq=False)
class HashReports:
    """Local-hashing reports: user ``i`` hashed with ``((a_i x + b_i) mod P) mod g`` and
    reported ``y_i`` in ``[0, g)``."""

    a: NDArray[np.uint64]
    b: NDArray[np.uint64]
    y: NDArray[np.int64]
    g: int
    prime: int

    def __len__(self) -> int:
        return int(self.y.size)

    @property
    def nbytes(self) -> int:
        return int(self.a.nbytes + self.b.nbytes + self.y.nbytes)

    def hashes(self, values: NDArray[np.uint64], start: int = 0, stop: int | None = None):
        """``H_i(v)`` for users ``start:stop`` (rows) against ``values`` (columns)."""
        sl = slice(start, stop)
        h = self.a[sl, None] * values[None, :]
        h += self.b[sl, None]
        h %= np.uint64(self.prime)
        h %= np.uint64(self.g)
        return h
