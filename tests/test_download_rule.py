"""The Snakemake download rule against a real HTTP server on 127.0.0.1 (a mirror)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fairldp.datasets import get_dataset
from fairldp.datasets.compas import SOURCE

pytestmark = pytest.mark.e2e

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving the folder it returns; stopped after the test."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def download(repo: Path, work: Path, url: str) -> subprocess.CompletedProcess[str]:
    cfg = yaml.safe_load((repo / "config" / "studies" / "test.yaml").read_text())
    cfg["download"] = {"mirror": url, "timeout": 5, "retries": 1}
    (work / "c.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(work), "--cores", "1",
           f"data/downloads/{SOURCE.name}", "--configfile", str(work / "c.yaml")]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not (SHARED / SOURCE.name).exists(), reason="needs ../shared (present in CI)")
def test_download_rule_verifies_before_the_file_appears(
    repo: Path, tmp_path: Path, mirror: tuple[str, Path]
) -> None:
    url, folder = mirror
    work = tmp_path / "work"
    work.mkdir()
    data = (SHARED / SOURCE.name).read_bytes()

    # a corrupted mirror: the job fails and leaves nothing under data/downloads
    (folder / SOURCE.name).write_bytes(data.replace(b"Male", b"Mal3", 1))
    res = download(repo, work, url)
    assert res.returncode != 0
    log = (work / "logs" / "download" / f"{SOURCE.name}.log").read_text()
    assert "sha256" in log and SOURCE.sha256 in log
    assert not list((work / "data" / "downloads").glob("*"))

    # the good file: downloaded, verified, and a second run has nothing to do
    (folder / SOURCE.name).write_bytes(data)
    res = download(repo, work, url)
    assert res.returncode == 0, res.stdout + res.stderr
    got = (work / "data" / "downloads" / SOURCE.name).read_bytes()
    assert hashlib.sha256(got).hexdigest() == SOURCE.sha256
    (folder / SOURCE.name).unlink()  # nothing to serve any more
    res = download(repo, work, url)
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr

    # the identifier-free COMPAS file derived from the download equals the vendored copy
    derived = get_dataset("compas").raw_files[0]
    cmd = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(work), "--cores", "1",
           f"data/downloads/{derived.name}", "--configfile", str(work / "c.yaml")]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    got = (work / "data" / "downloads" / derived.name).read_bytes()
    assert hashlib.sha256(got).hexdigest() == derived.sha256
    assert got == gzip.decompress((repo / "data" / "raw" / str(derived.vendored)).read_bytes())
    assert b"dob" not in got.split(b"\n", 1)[0]  # no identifier column
