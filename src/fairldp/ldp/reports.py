"""Perturbed reports: one interface, :class:`Reports`, for the output of every protocol.

Every ``perturb`` returns an object with ``len(r)`` (the number of users), ``r.k`` (the
domain size), ``r.nbytes``, ``r.indicator`` and

- ``r.rows(start, stop)``: the per-value matrix of reports ``start:stop``, shape
  ``(rows, k)``: the 0/1 (uint8) indicator of the values each report supports for every
  protocol but SHE (GRR: one-hot of the reported value; UE/THE: the bits; SS: the subset;
  BLH/OLH: ``{v : H(v) = y}``), and the noisy real vector itself for SHE (``indicator``
  False);
- ``r.iter_rows(max_elements)``: the same in blocks ``(start, rows)`` of bounded size;
- ``r.column_sums()``: the per-value sums of ``rows`` (the support counts, or SHE's sums).

So generic code (aggregation, learning features, decoding) needs no branching on the protocol
family. The containers:

- :class:`CodeReports` (GRR): the reported codes, an int64 ``numpy.ndarray`` (subclass) with
  the domain size attached; arithmetic on it gives plain arrays;
- :class:`BitReports`: ``n`` reports of ``k`` bits each (UE, SS, THE, and the packed form of
  any indicator encoding), bit-packed row-major into ``ceil(n * k / 8)`` bytes with
  :func:`numpy.packbits`: never more than ``n * k / 8`` bytes plus one partial byte;
- :class:`HashReports`: local-hashing reports ``(a, b, y)``: the user's hash seed and the
  perturbed hash value;
- :class:`VectorReports` (SHE): the noisy vectors, a ``(n, k)`` float32 or float64
  ``numpy.ndarray`` (subclass).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = [
    "DEFAULT_CHUNK_ELEMENTS",
    "BitReports",
    "CodeReports",
    "CodeReportsMixin",
    "HashReports",
    "Reports",
    "VectorReports",
    "chunk_rows",
]

#: Largest number of ``(user, value)`` entries materialized at once (32 MiB of float64).
DEFAULT_CHUNK_ELEMENTS = 1 << 22


def chunk_rows(n: int, k: int, max_elements: int) -> int:
    """Rows per chunk so that a ``(rows, k)`` block has at most ``max_elements`` entries.

    Always a multiple of 8 (>= 8), so that row blocks of a flat bit-packed array start on a
    byte boundary and packing block by block gives the same bytes as packing everything.
    """
    rows = max(8, (max(1, max_elements // max(k, 1)) // 8) * 8)
    return min(rows, max(8, -(-n // 8) * 8))


@runtime_checkable
class Reports(Protocol):
    """What every protocol's ``perturb`` returns (see the module docstring)."""

    #: True if :meth:`rows` are 0/1 support indicators (every protocol but SHE)
    indicator: ClassVar[bool]

    @property
    def k(self) -> int:
        """Domain size."""
        ...

    @property
    def nbytes(self) -> int:
        """Storage of the reports in bytes."""
        ...

    def __len__(self) -> int: ...

    def rows(self, start: int = 0, stop: int | None = None) -> NDArray[Any]:
        """Per-value matrix of reports ``start:stop``, shape ``(rows, k)``."""
        ...

    def iter_rows(
        self, max_elements: int = DEFAULT_CHUNK_ELEMENTS
    ) -> Iterator[tuple[int, NDArray[Any]]]:
        """``(start, rows)`` blocks of at most ``max_elements`` entries (>= 8 rows)."""
        ...

    def column_sums(self, max_elements: int = DEFAULT_CHUNK_ELEMENTS) -> NDArray[Any]:
        """Per-value sums of :meth:`rows` over all reports, shape ``(k,)``."""
        ...


def _iter_rows(reports: Reports, max_elements: int) -> Iterator[tuple[int, NDArray[Any]]]:
    n = len(reports)
    step = chunk_rows(n, reports.k, max_elements)
    for s in range(0, n, step):
        yield s, reports.rows(s, s + step)


def _bounds(n: int, start: int, stop: int | None) -> tuple[int, int]:
    stop = n if stop is None else min(stop, n)
    start = max(0, start)
    return start, max(start, stop)


class _ReportArray(np.ndarray):
    """ndarray subclass whose ufunc results and reductions are plain arrays (or scalars)."""

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        out = arr.view(np.ndarray)
        return out[()] if return_scalar else out

    def iter_rows(
        self, max_elements: int = DEFAULT_CHUNK_ELEMENTS
    ) -> Iterator[tuple[int, NDArray[Any]]]:
        return _iter_rows(self, max_elements)  # type: ignore[arg-type]


class CodeReports(_ReportArray):
    """GRR reports: a 1-D int64 array of reported codes in ``[0, k)``, with ``k`` attached.

    Behaves as the plain array of codes (indexing, ``np.bincount``, ...); slices keep ``k``.
    """

    indicator: ClassVar[bool] = True
    k: int

    def __new__(cls, codes: ArrayLike, k: int) -> CodeReports:
        obj = np.asarray(codes, dtype=np.int64).view(cls)
        obj.k = int(k)
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.k = getattr(obj, "k", 0)

    def __reduce__(self):
        fn, args, state = super().__reduce__()
        return fn, args, (state, self.k)

    def __setstate__(self, state: tuple[Any, int]) -> None:
        base, self.k = state
        super().__setstate__(base)

    def rows(self, start: int = 0, stop: int | None = None) -> NDArray[np.uint8]:
        """One-hot rows of the reported codes ``start:stop``."""
        start, stop = _bounds(len(self), start, stop)
        z = self.view(np.ndarray)[start:stop]
        out = np.zeros((z.size, self.k), dtype=np.uint8)
        out[np.arange(z.size), z] = 1
        return out

    def column_sums(self, max_elements: int = DEFAULT_CHUNK_ELEMENTS) -> NDArray[np.int64]:
        """Count of each reported value."""
        del max_elements
        return np.bincount(self.view(np.ndarray), minlength=self.k).astype(np.int64)


class VectorReports(_ReportArray):
    """SHE reports: the ``(n, k)`` noisy vectors (float32 or float64)."""

    indicator: ClassVar[bool] = False

    def __new__(cls, vectors: ArrayLike, dtype: DTypeLike = None) -> VectorReports:
        return np.asarray(vectors, dtype=dtype).view(cls)

    @property
    def k(self) -> int:  # type: ignore[override]
        return int(self.shape[-1])

    def rows(self, start: int = 0, stop: int | None = None) -> NDArray[np.floating]:
        """The noisy vectors ``start:stop`` themselves (a view)."""
        start, stop = _bounds(len(self), start, stop)
        return self.view(np.ndarray)[start:stop]

    def column_sums(self, max_elements: int = DEFAULT_CHUNK_ELEMENTS) -> NDArray[np.float64]:
        """Column sums, accumulated in float64 whatever the storage dtype (row by row, like
        ``sum(axis=0)``, but without its per-row loop overhead for small ``k``)."""
        y = self.view(np.ndarray)
        if y.dtype == np.float64:
            return np.einsum("ij->j", y)
        out = np.zeros(self.k)
        # float64 copies of cache-sized blocks (at most max_elements entries)
        step = chunk_rows(y.shape[0], self.k, min(max_elements, 1 << 16))
        for s in range(0, y.shape[0], step):
            out += np.einsum("ij->j", y[s : s + step], dtype=np.float64)
        return out


@dataclass(frozen=True, eq=False)
class BitReports:
    """``n`` reports of ``k`` bits, packed row-major (big bit order) into one flat uint8 array."""

    indicator: ClassVar[bool] = True

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
        start, stop = _bounds(self.n, start, stop)
        rows = stop - start
        bit0 = start * self.k
        b0, b1 = bit0 // 8, -(-(stop * self.k) // 8)
        bits = np.unpackbits(self.packed[b0:b1])
        off = bit0 - 8 * b0
        return bits[off : off + rows * self.k].reshape(rows, self.k)

    rows = unpack

    def iter_rows(
        self, max_elements: int = DEFAULT_CHUNK_ELEMENTS
    ) -> Iterator[tuple[int, NDArray[np.uint8]]]:
        """Yield ``(start, dense rows)`` blocks of at most ``max_elements`` bits."""
        return _iter_rows(self, max_elements)

    def column_sums(self, max_elements: int = DEFAULT_CHUNK_ELEMENTS) -> NDArray[np.int64]:
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
    """Local-hashing reports over the domain ``[0, k)``: user ``i`` hashed with
    ``((a_i x + b_i) mod P) mod g`` and reported ``y_i`` in ``[0, g)``; the report supports
    ``{v : H_i(v) = y_i}``."""

    indicator: ClassVar[bool] = True

    a: NDArray[np.uint64]
    b: NDArray[np.uint64]
    y: NDArray[np.int64]
    g: int
    prime: int
    k: int

    def __len__(self) -> int:
        return int(self.y.size)

    @property
    def nbytes(self) -> int:
        return int(self.a.nbytes + self.b.nbytes + self.y.nbytes)

    def hashes(
        self, values: NDArray[np.uint64], start: int = 0, stop: int | None = None
    ) -> NDArray[np.uint64]:
        """``H_i(v)`` for users ``start:stop`` (rows) against ``values`` (columns)."""
        sl = slice(start, stop)
        h = self.a[sl, None] * values[None, :]
        h += self.b[sl, None]
        h %= np.uint64(self.prime)
        h %= np.uint64(self.g)
        return h

    def rows(self, start: int = 0, stop: int | None = None) -> NDArray[np.uint8]:
        """Indicator of ``{v in [k] : H_i(v) = y_i}`` for users ``start:stop``."""
        start, stop = _bounds(len(self), start, stop)
        h = self.hashes(np.arange(self.k, dtype=np.uint64), start, stop)
        return (h == self.y[start:stop, None].astype(np.uint64)).view(np.uint8)

    def iter_rows(
        self, max_elements: int = DEFAULT_CHUNK_ELEMENTS
    ) -> Iterator[tuple[int, NDArray[np.uint8]]]:
        return _iter_rows(self, max_elements)

    def column_sums(self, max_elements: int = DEFAULT_CHUNK_ELEMENTS) -> NDArray[np.int64]:
        """``C_v = #{i : H_i(v) = y_i}``: all users hashed against all values in row blocks."""
        n = len(self)
        step = chunk_rows(n, self.k, max_elements)
        values = np.arange(self.k, dtype=np.uint64)
        y = self.y.astype(np.uint64)
        out = np.zeros(self.k, dtype=np.int64)
        for s in range(0, n, step):
            h = self.hashes(values, s, s + step)
            out += np.count_nonzero(h == y[s : s + step, None], axis=0)
        return out


class CodeReportsMixin:
    """For protocols whose report is one code in ``[0, k)`` per user (GRR, fair-RR): the
    report's size, its validation and its support counts ``C_z``."""

    k: int

    def report_nbytes(self, n: int) -> int:
        """One int64 code per user."""
        return 8 * n

    def as_reports(self, reports: Any) -> CodeReports:
        """The reported codes, validated to lie in ``[0, k)`` (plain arrays are accepted)."""
        from fairldp.ldp.validation import check_codes

        if isinstance(reports, CodeReports):
            if reports.k != self.k:
                raise ValueError(f"reports are over a domain of size {reports.k}, not k = {self.k}")
            return reports
        return CodeReports(check_codes(reports, self.k, name="reports"), self.k)
