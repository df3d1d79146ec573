"""Provenance of a run (fairldp.provenance): the record, and its HTML page for the report."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from fairldp.provenance import provenance, provenance_html, write_provenance

RECORD = {
    "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": True},
    "python": "3.11.7",
    "platform": "Linux-x86_64",
    "packages": {"numpy": "2.4.6", "folktables": None},
    "code": {"learn": "27516290e2647c98"},
    "config": {"study": "demo <b>", "epsilons": [1, 4], "runs": [{"name": "main",
               "privatizers": ["grr"]}], "privatizers": {"grr": {"budget_splits": ["uniform"]}},
               "label_bias": None, "baseline": True},
}  # fmt: skip


def test_record_of_this_checkout(repo: Path) -> None:
    rec = provenance({"study": "x", "epsilons": [1.0]}, repo)
    assert set(rec) == {"git", "python", "platform", "packages", "config"}
    assert rec["packages"]["numpy"] and rec["config"] == {"study": "x", "epsilons": [1.0]}


def test_html_is_tables_not_a_json_dump() -> None:
    page = provenance_html(RECORD)
    assert page.startswith("<!DOCTYPE html>") and "<pre" not in page
    for text in ("Code and platform", "Package versions", "Code digests of the stages",
                 "Study configuration", "0123456789abcdef0123456789abcdef01234567",
                 "yes: the results may not match the commit", "not installed", "2.4.6",
                 "27516290e2647c98"):
        assert text in page, text
    # the configuration as nested tables, lists of scalars joined, values escaped
    assert "<th scope='row'>privatizers</th><td><table>" in page
    assert "1, 4" in page and "demo &lt;b&gt;" in page and "demo <b>" not in page
    assert ">null<" in page and ">true<" in page
    # the JSON record attached
    data = re.search(r"href='data:application/json;base64,([^']+)'", page).group(1)
    assert json.loads(base64.b64decode(data)) == json.loads(json.dumps(RECORD))


def test_write_provenance(tmp_path: Path) -> None:
    write_provenance(RECORD, tmp_path / "p.json", tmp_path / "p.html")
    assert json.loads((tmp_path / "p.json").read_text())["git"]["dirty"] is True
    assert "Package versions" in (tmp_path / "p.html").read_text()
    unknown = provenance_html({"git": {"commit": None, "dirty": None}, "config": {}})
    assert "unknown (not a git checkout)" in unknown


def test_proxies_found_at_prepare_are_in_the_provenance_page() -> None:
    """Issue 14: a feature that determines a sensitive attribute (Adult's relationship: sex in
    46% of rows) is named in the provenance, and a dataset without one says so."""
    from fairldp.provenance import provenance_html

    page = provenance_html({"config": {"study": "x"}, "proxies": {
        "adult": [{"feature": "relationship", "attribute": "sex", "determined_share": 0.459,
                   "normalized_mi": 0.43}], "german": []}})  # fmt: skip
    assert "Proxies of the sensitive attributes" in page
    assert "<td>relationship</td><td>sex</td><td>46%</td><td>0.43</td>" in page
    assert "No proxy found in: german." in page
