"""Bad input is rejected with a ValueError naming the argument; streams are reproducible and
independent of chunking."""

from __future__ import annotations

import pickle
import tracemalloc

import numpy as np
import pytest

from fairldp.ldp import BitReports, CodeReports, HashReports, Reports, get_protocol
from fairldp.rng import make_rng


@pytest.mark.parametrize(
    "eps", [0, -1.0, np.nan, np.inf, -np.inf, True, "one", None, 1e-300, 1e-7, 1001.0]
)
def test_bad_epsilon(name: str, eps: object) -> None:
    with pytest.raises(
        ValueError, match=r"epsilon must be a finite number > 0 in the supported range \[1e-06"
    ):
        get_protocol(name, eps, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [1, 0, -3, 2.5, True, "4"])
def test_bad_domain_size(name: str, k: object) -> None:
    with pytest.raises(ValueError, match=r"k \(domain size\) must be an integer >= 2"):
        get_protocol(name, 1.0, k)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "msg"),
    [
        ([0, 1, 5], r"x must hold codes in \[0, 5\); found 5"),
        ([0, -1], r"x must hold codes in \[0, 5\); found -1"),
        ([0.0, 1.5], r"x must hold integer codes in \[0, 5\)"),
        ([0.0, np.nan], r"x must hold integer codes in \[0, 5\)"),
        (["a", "b"], r"x must hold integer codes in \[0, 5\)"),
        ([], r"x is empty"),
        ([[0, 1]], r"x must be a 1-D array"),
    ],
)
def test_bad_codes(name: str, x: object, msg: str) -> None:
    pr = get_protocol(name, 1.0, 5)
    with pytest.raises(ValueError, match=msg):
        pr.perturb(x, np.random.default_rng(0))  # type: ignore[arg-type]


def test_bad_protocol_name_and_reports() -> None:
    with pytest.raises(
        ValueError, match=r"unknown LDP protocol 'rappor2'; registered: \['grr', 'sue'"
    ):
        get_protocol("rappor2", 1.0, 5)
    with pytest.raises(ValueError, match=r"reports must hold codes in \[0, 5\)"):
        get_protocol("grr", 1.0, 5).estimate([0, 7])
    with pytest.raises(ValueError, match=r"counts must be 5 non-negative integer counts"):
        get_protocol("oue", 1.0, 5).sample_support([1, 2], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"reports must be a non-empty \(n, 5\) array"):
        get_protocol("she", 1.0, 5).estimate(np.zeros((3, 4)))


def test_float_integer_codes_are_accepted(name: str) -> None:
    pr = get_protocol(name, 1.0, 3)
    a = pr.encode(pr.perturb(np.array([0.0, 2.0, 1.0]), np.random.default_rng(0)))
    b = pr.encode(pr.perturb(np.array([0, 2, 1]), np.random.default_rng(0)))
    np.testing.assert_array_equal(a, b)


def _same(a: object, b: object) -> bool:
    if isinstance(a, BitReports):
        return a.n == b.n and np.array_equal(a.packed, b.packed)  # type: ignore[union-attr]
    if isinstance(a, HashReports):
        return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("a", "b", "y"))
    return np.array_equal(a, b)  # type: ignore[arg-type]


def test_same_seed_same_reports_and_chunking_free(name: str) -> None:
    k, n = 7, 1001  # n not a multiple of 8 nor of the block size
    x = np.random.default_rng(5).integers(0, k, n)
    pr = get_protocol(name, 1.0, k)
    ref = pr.perturb(x, make_rng(3, "perturb", "toy", name, 1.0, "a"))
    again = pr.perturb(x, make_rng(3, "perturb", "toy", name, 1.0, "a"))
    assert _same(ref, again)
    other = pr.perturb(x, make_rng(4, "perturb", "toy", name, 1.0, "a"))
    assert not _same(ref, other)
    for chunk in (8, 64, 999):  # tiny row blocks: identical reports
        small = get_protocol(name, 1.0, k)
        small.chunk_elements = chunk
        assert _same(ref, small.perturb(x, make_rng(3, "perturb", "toy", name, 1.0, "a")))
        np.testing.assert_array_equal(small.estimate(ref), pr.estimate(ref))


def test_pack_unpack_roundtrip(name: str) -> None:
    k, n = 11, 333
    pr = get_protocol(name, 1.0, k)
    pr.chunk_elements = 40
    rep = pr.perturb(np.arange(n) % k, np.random.default_rng(0))
    enc = pr.encode(rep)
    assert enc.shape == (n, k)
    names = pr.feature_names("race", [f"c{i}" for i in range(k)])
    assert names[0] == "race=c0" and len(names) == k
    if name == "she":
        assert enc.dtype == np.float64
        with pytest.raises(ValueError, match="cannot be bit-packed"):
            pr.pack(rep)
        return
    assert enc.dtype == np.uint8 and set(np.unique(enc)) <= {0, 1}
    packed = pr.pack(rep)
    assert packed.nbytes == -(-n * k // 8)
    np.testing.assert_array_equal(pr.unpack(packed), enc)
    np.testing.assert_array_equal(packed.unpack(100, 200), enc[100:200])
    np.testing.assert_array_equal(BitReports.from_bits(enc).packed, packed.packed)


def test_ue_at_scale_memory_and_storage() -> None:
    # n = 1e6 users, k = 100: the estimation-only path never builds n x k anything, and the
    # bit-packed reports take n k / 8 bytes; peak traced memory of perturb + estimate < 150 MB
    n, k = 1_000_000, 100
    pr = get_protocol("oue", 1.0, k)
    x = np.arange(n, dtype=np.int64) % k
    tracemalloc.start()
    est = pr.simulate(x, np.random.default_rng(0))
    _, peak_sim = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rep = pr.perturb(x, np.random.default_rng(0))
    est2 = pr.estimate(rep)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rep.nbytes <= n * k // 8
    assert peak_sim < 30e6 and peak < 150e6, (peak_sim, peak)
    se = np.sqrt(pr.variance(np.full(k, 0.01), n))
    assert np.all(np.abs(est - 0.01) < 5 * se) and np.all(np.abs(est2 - 0.01) < 5 * se)


@pytest.mark.parametrize("k", [2, 3, 8, 10, 12, 100])
@pytest.mark.parametrize("n", [1, 7, 8, 333])
def test_packed_column_sums(k: int, n: int) -> None:
    bits = np.random.default_rng(k * n).random((n, k)) < 0.3
    packed = BitReports.from_bits(bits)
    np.testing.assert_array_equal(packed.column_sums(), bits.sum(axis=0))


def test_one_report_interface(name: str) -> None:
    # every protocol's reports: len, k, rows, iter_rows, column_sums, nbytes; generic code
    # (aggregation, encoding, decoding) needs no branching on the protocol family
    k, n = 7, 203
    pr = get_protocol(name, 1.0, k)
    x = np.random.default_rng(0).integers(0, k, n)
    rep = pr.perturb(x, np.random.default_rng(1))
    assert isinstance(rep, Reports) and len(rep) == n and rep.k == k
    assert rep.nbytes == pr.report_nbytes(n)
    rows = rep.rows()
    assert rows.shape == (n, k)
    np.testing.assert_array_equal(rows, pr.encode(rep))
    np.testing.assert_array_equal(rep.rows(5, 9), rows[5:9])
    blocks = list(rep.iter_rows(40))  # 40 entries: blocks of 8 rows
    assert [s for s, _ in blocks] == list(range(0, n, 8))
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), rows)
    np.testing.assert_allclose(rep.column_sums(), rows.sum(axis=0, dtype=float), rtol=1e-12)
    np.testing.assert_allclose(pr.support(rep), rep.column_sums(), rtol=1e-12)
    if rep.indicator:
        assert rows.dtype == np.uint8 and set(np.unique(rows)) <= {0, 1}
        if name in ("grr", "adp") and isinstance(rep, CodeReports):  # the support is {report}
            np.testing.assert_array_equal(rows.argmax(axis=1), rep)
    else:
        assert name == "she" and rows.dtype == np.float64
    with pytest.raises(ValueError, match=r"domain of size 7, not k = 8|non-empty \(n, 8\)"):
        get_protocol(name, 1.0, k + 1).estimate(rep)


def test_grr_reports_are_code_arrays() -> None:
    pr = get_protocol("grr", 1.0, 5)
    rep = pr.perturb(np.arange(20) % 5, np.random.default_rng(0))
    assert isinstance(rep, CodeReports) and isinstance(rep, np.ndarray) and rep.dtype == np.int64
    assert rep[3:7].k == 5 and len(rep[3:7]) == 4  # slices are reports too
    assert type(rep == 2) is np.ndarray and type(rep + 1) is np.ndarray  # arithmetic: arrays
    assert np.bincount(rep, minlength=5).sum() == 20
    again = pickle.loads(pickle.dumps(rep))
    assert isinstance(again, CodeReports) and again.k == 5
    np.testing.assert_array_equal(again, rep)
    # plain arrays are accepted (and validated) wherever reports are expected
    np.testing.assert_array_equal(pr.support(np.asarray(rep)), pr.support(rep))
