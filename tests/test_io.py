"""Atomic writes: a killed write leaves no file behind once the job runs again."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd

from fairldp.io import atomic_write_text, read_parquet, write_parquet

_KILLED_WRITE = """
import os, sys
from pathlib import Path
from fairldp.io import _tmp_path
tmp = _tmp_path(Path(sys.argv[1]))
tmp.write_bytes(b"half a parquet file")
os.kill(os.getpid(), 9)  # a hard kill: no finally, no cleanup
"""


def test_the_next_write_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    out = tmp_path / "cell" / "seeds0-19.parquet"
    other = tmp_path / "cell" / "seeds20-39.parquet"
    for target in (out, out, other):
        proc = subprocess.run([sys.executable, "-c", _KILLED_WRITE, str(target)], check=False)
        assert proc.returncode == -signal.SIGKILL
    # the second attempt at out already removed the first one's leftover
    left = sorted(p.name for p in out.parent.iterdir())
    assert len(left) == 2 and all(n.endswith(".tmp") and n.startswith(".") for n in left)
    write_parquet(pd.DataFrame({"x": [1, 2]}), out, meta={"k": 1})
    # out's leftover is gone; the one of another output is not this write's to remove
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == sorted([out.name, *(n for n in left if other.name in n)])
    assert read_parquet(out).attrs["fairldp"] == {"k": 1}
    atomic_write_text("done", other)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, other.name])


def test_temporary_files_of_a_longer_name_are_not_touched(tmp_path: Path) -> None:
    """Writing ``a.csv`` must not remove the temporary file of ``a.csv.gz`` being written."""
    other = tmp_path / ".a.csv.gz.k3j4h5g6.tmp"
    other.write_bytes(b"someone else's write")
    atomic_write_text("x", tmp_path / "a.csv")
    assert other.exists()


def test_one_hot_blocks_stored_as_codes_and_restored_exactly(tmp_path) -> None:
    """A one-hot block is stored as one code column, a 0/1 block that is not one-hot
    (OUE-like multi-hot) as its packed bits, and both are read back exactly (columns, order,
    dtypes)."""
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from fairldp.io import PACKED_KEY, read_parquet, write_parquet

    rng = np.random.default_rng(0)
    n = 1000
    codes = rng.integers(0, 3, n)
    df = pd.DataFrame({"seed": np.arange(n, dtype=np.int32)})
    for j, v in enumerate(["a", "b", "c"]):
        df[f"x={v}"] = (codes == j).astype(np.uint8)
    df["num"] = rng.normal(size=n)
    df["m=1"] = rng.integers(0, 2, n).astype(np.uint8)  # multi-hot: bits
    df["m=2"] = rng.integers(0, 2, n).astype(np.uint8)
    for j in range(19):  # 19 bits: three bytes, the last one partly used
        df[f"w={j}"] = rng.random(n) < 0.3
    df["s=u"] = codes == 0
    df["s=v"] = codes != 0
    path = tmp_path / "t.parquet"
    write_parquet(df, path, meta={"k": 1})
    stored = pq.read_table(path)
    assert "x=#" in stored.column_names and "x=a" not in stored.column_names
    assert "s=#" in stored.column_names and "m=#0" in stored.column_names
    assert "m=1" not in stored.column_names and "m=#1" not in stored.column_names
    assert [c for c in stored.column_names if c.startswith("w=")] == ["w=#0", "w=#1", "w=#2"]
    assert PACKED_KEY in stored.schema.metadata
    back = read_parquet(path)
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs["fairldp"] == {"k": 1}
    part = read_parquet(path, columns=["num", "x=c", "seed", "w=17"])
    pd.testing.assert_frame_equal(part, df[["num", "x=c", "seed", "w=17"]])


def test_reserved_and_duplicate_column_names_are_refused(tmp_path) -> None:
    import pandas as pd
    import pytest

    from fairldp.io import write_parquet

    with pytest.raises(ValueError, match="reserved for packed blocks"):
        write_parquet(pd.DataFrame({"a=#": [1]}), tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="reserved for packed blocks"):
        write_parquet(pd.DataFrame({"a=#3": [1]}), tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="duplicate column names"):
        write_parquet(pd.DataFrame([[1, 2]], columns=["a", "a"]), tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
