"""Checks used by tests/cluster/run_cluster_test.sh (no pytest; exit status 1 with a message).

    check.py same-metrics A.parquet B.parquet   exact equality (frame, dtypes, schema metadata)
    check.py parquet-ok DIR                     every *.parquet under DIR is a complete file
    check.py mtimes DIR OUT.json                record mtime_ns of every *.parquet under DIR
    check.py unchanged OLD.json DIR [--except SUBSTR ...]
                                                files of OLD.json still have the same mtime
                                                (i.e. were not redone), except paths with SUBSTR
    check.py count-jobs DRYRUN.log RULE         number of jobs of RULE in a dry run's job table
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def same_metrics(a: str, b: str) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    pa_, pb_ = Path(a), Path(b)
    for p in (pa_, pb_):
        if not p.is_file():
            fail(f"missing {p}")
    da, db = pd.read_parquet(pa_), pd.read_parquet(pb_)
    if len(da) == 0:
        fail(f"{a} has no rows")
    try:
        pd.testing.assert_frame_equal(da, db, check_exact=True)
    except AssertionError as exc:
        fail(f"metrics differ between {a} and {b}:\n{exc}")
    if pq.read_schema(pa_).metadata != pq.read_schema(pb_).metadata:
        fail(f"Parquet schema metadata differ between {a} and {b}")
    ha, hb = sha256(pa_), sha256(pb_)
    print(f"metrics identical: {len(da)} rows; sha256 {ha[:16]} vs {hb[:16]} "
          f"({'same bytes' if ha == hb else 'same table, different bytes'})")


def parquet_ok(root: str) -> None:
    import pyarrow.parquet as pq

    files = sorted(Path(root).rglob("*.parquet"))
    bad = []
    for f in files:
        try:
            pq.read_table(f)
        except Exception as exc:  # any read error means a corrupt artifact
            bad.append(f"{f}: {type(exc).__name__}: {exc}")
    if bad:
        fail("corrupt Parquet artifacts:\n  " + "\n  ".join(bad))
    tmp = sorted(str(p) for p in Path(root).rglob(".*.tmp"))
    print(f"{len(files)} Parquet files readable; {len(tmp)} leftover temporary files"
          + (f" (e.g. {tmp[0]})" if tmp else ""))


def mtimes(root: str, out: str) -> None:
    rec = {str(p): p.stat().st_mtime_ns for p in Path(root).rglob("*.parquet")}
    Path(out).write_text(json.dumps(rec, indent=0, sort_keys=True))
    print(f"recorded {len(rec)} artifacts")


def unchanged(old: str, root: str, excepts: list[str]) -> None:
    rec = json.loads(Path(old).read_text())
    redone = []
    kept = 0
    for path, mt in rec.items():
        if any(e in path for e in excepts):
            continue
        p = Path(path)
        if not p.exists() or p.stat().st_mtime_ns != mt:
            redone.append(path)
        else:
            kept += 1
    if redone:
        fail(f"{len(redone)} finished artifacts were redone or removed, e.g. {redone[:3]}")
    print(f"{kept} finished artifacts kept (not redone)")


def count_jobs(log: str, rule: str) -> None:
    m = re.search(rf"^{re.escape(rule)}\s+(\d+)\s*$", Path(log).read_text(), re.M)
    print(m.group(1) if m else 0)


def main(argv: list[str]) -> None:
    if not argv:
        fail(__doc__ or "")
    cmd, args = argv[0], argv[1:]
    if cmd == "same-metrics":
        same_metrics(*args)
    elif cmd == "parquet-ok":
        parquet_ok(*args)
    elif cmd == "mtimes":
        mtimes(*args)
    elif cmd == "unchanged":
        excepts = args[3:] if len(args) > 2 and args[2] == "--except" else []
        unchanged(args[0], args[1], excepts)
    elif cmd == "count-jobs":
        count_jobs(*args)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
