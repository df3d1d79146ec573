"""fetch() against a real HTTP server on 127.0.0.1: verification, retries, timeouts, cleanup."""

from __future__ import annotations

import gzip
import hashlib
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fairldp.datasets.download import DownloadError, expected_sha256, fetch, pin_sha256
from fairldp.datasets.raw import ChecksumError
from fairldp.datasets.registry import RawFile

DATA = b"age,sex,income\n" + b"39,Male,<=50K\n" * 5000
SHA = hashlib.sha256(DATA).hexdigest()
BAD = DATA.replace(b"Male", b"Mule", 1)
BAD_SHA = hashlib.sha256(BAD).hexdigest()
STALL = 5.0  # how long a stalling handler waits (cut short when the server stops)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, body: bytes, status: int = 200, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        srv = self.server
        with srv.lock:
            srv.hits[self.path] += 1
            n = srv.hits[self.path]
        if self.path == "/good":
            self._send(DATA)
        elif self.path == "/corrupt":
            self._send(BAD)
        elif self.path == "/flaky":
            self._send(b"busy", status=503) if n == 1 else self._send(DATA)
        elif self.path == "/short":  # promises more than it sends, then closes
            self._send(DATA[:1000], length=len(DATA))
        elif self.path == "/stall-head":
            srv.stop.wait(STALL)
        elif self.path == "/stall-body":
            self._send(DATA[:1000], length=len(DATA))
            self.wfile.flush()
            srv.stop.wait(STALL)
        else:
            self._send(b"not found", status=404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # broken pipes after the client gave up are expected

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "raw"  # fetch creates it


def _raw(url: str, sha: str | None = SHA, vendored: str | None = None) -> RawFile:
    return RawFile(name="toy.csv", url=url, sha256=sha, vendored=vendored)


def test_good_file(server: _Server, dest: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fairldp")
    path = fetch(_raw(server.url("/good")), dest, dataset="toy")
    assert path == dest / "toy.csv"
    assert path.read_bytes() == DATA
    assert list(dest.iterdir()) == [path]  # no temporary file left
    assert server.hits["/good"] == 1
    assert any("verified" in r.getMessage() for r in caplog.records)
    assert len(caplog.records) < 10  # throttled, not one line per chunk


def test_second_run_downloads_nothing(server: _Server, dest: Path) -> None:
    raw = _raw(server.url("/good"))
    first = fetch(raw, dest, dataset="toy")
    assert fetch(raw, dest, dataset="toy") == first
    assert server.hits["/good"] == 1


def test_corrupt_download(server: _Server, dest: Path) -> None:
    with pytest.raises(ChecksumError) as info:
        fetch(_raw(server.url("/corrupt")), dest, dataset="toy")
    msg = str(info.value)
    assert SHA in msg and BAD_SHA in msg and "toy" in msg and server.url("/corrupt") in msg
    assert list(dest.iterdir()) == []
    assert server.hits["/corrupt"] == 1  # a mismatch is not retried


def test_existing_mismatching_file_is_left_alone(server: _Server, dest: Path) -> None:
    dest.mkdir()
    (dest / "toy.csv").write_bytes(BAD)
    with pytest.raises(ChecksumError, match="delete it") as info:
        fetch(_raw(server.url("/good")), dest, dataset="toy")
    assert BAD_SHA in str(info.value) and str(dest / "toy.csv") in str(info.value)
    assert (dest / "toy.csv").read_bytes() == BAD
    assert server.hits["/good"] == 0


def test_404_fails_at_once(server: _Server, dest: Path) -> None:
    url = server.url("/nope")
    with pytest.raises(DownloadError) as info:
        fetch(_raw(url), dest, dataset="toy", retries=3, backoff=0.01)
    assert "404" in str(info.value) and url in str(info.value)
    assert server.hits["/nope"] == 1
    assert list(dest.iterdir()) == []


def test_503_is_retried(server: _Server, dest: Path) -> None:
    path = fetch(_raw(server.url("/flaky")), dest, dataset="toy", retries=3, backoff=0.01)
    assert path.read_bytes() == DATA
    assert server.hits["/flaky"] == 2
    assert list(dest.iterdir()) == [path]


def test_truncated_body_is_retried_then_fails(server: _Server, dest: Path) -> None:
    with pytest.raises(DownloadError, match="closed after 1000 of") as info:
        fetch(_raw(server.url("/short")), dest, dataset="toy", retries=2, backoff=0.01)
    assert "2 attempts" in str(info.value)
    assert server.hits["/short"] == 2
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("path", ["/stall-head", "/stall-body"])
def test_stalled_server_times_out(server: _Server, dest: Path, path: str) -> None:
    start = time.monotonic()
    with pytest.raises(DownloadError, match="timeout") as info:
        fetch(_raw(server.url(path)), dest, dataset="toy", timeout=0.5, retries=2, backoff=0.01)
    assert time.monotonic() - start < STALL - 1  # the timeout, not the server, ended it
    assert server.url(path) in str(info.value)
    if path == "/stall-body":
        assert "after 1000 of" in str(info.value)  # bytes received before the stall
    assert server.hits[path] == 2
    assert list(dest.iterdir()) == []


def test_vendored_copy_is_used(server: _Server, dest: Path) -> None:
    dest.mkdir()
    (dest / "toy.csv.gz").write_bytes(gzip.compress(DATA))
    path = fetch(_raw(server.url("/good"), vendored="toy.csv.gz"), dest, dataset="toy")
    assert path == dest / "toy.csv.gz"
    assert server.hits["/good"] == 0
    assert sorted(p.name for p in dest.iterdir()) == ["toy.csv.gz"]


def test_unreachable_host(dest: Path) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/toy.csv"
    with pytest.raises(DownloadError) as info:
        fetch(_raw(url), dest, dataset="toy", timeout=1, retries=2, backoff=0.01)
    msg = str(info.value)
    assert "toy" in msg and url in msg
    assert str(dest / "toy.csv") in msg and SHA in msg
    assert list(dest.iterdir()) == []


# Files without a published checksum: the first download pins its digest in a lock file
# (trust on first use); later runs verify against the pin.


def test_first_download_pins_the_digest(
    server: _Server, dest: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = tmp_path / "checksums.lock"
    raw = _raw(server.url("/good"), sha=None)
    path = fetch(raw, dest, dataset="toy", lock=lock)
    assert path.read_bytes() == DATA
    assert expected_sha256(raw, lock) == SHA
    assert f"toy.csv\t{SHA}\t{raw.url}" in lock.read_text()
    assert any("pinned" in r.getMessage() for r in caplog.records)
    assert fetch(raw, dest, dataset="toy", lock=lock) == path  # second run: no download
    assert server.hits["/good"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".checksums.lock.flock", "checksums.lock", "raw"
    ]  # fmt: skip


def test_pinned_digest_rejects_changed_upstream_file(
    server: _Server, dest: Path, tmp_path: Path
) -> None:
    lock = tmp_path / "checksums.lock"
    pin_sha256(lock, _raw(server.url("/corrupt"), sha=None), SHA)
    with pytest.raises(ChecksumError) as info:
        fetch(_raw(server.url("/corrupt"), sha=None), dest, dataset="toy", lock=lock)
    assert SHA in str(info.value) and BAD_SHA in str(info.value)
    assert list(dest.iterdir()) == []


def test_conflicting_pin_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "checksums.lock"
    raw = _raw("http://127.0.0.1/x", sha=None)
    pin_sha256(lock, raw, SHA)
    pin_sha256(lock, raw, SHA)  # the same pin again is fine
    with pytest.raises(ChecksumError, match="pinned to"):
        pin_sha256(lock, raw, BAD_SHA)
    assert expected_sha256(raw, lock) == SHA


def test_unpinned_file_without_lock_is_an_error(server: _Server, dest: Path) -> None:
    with pytest.raises(ChecksumError, match="no published sha256"):
        fetch(_raw(server.url("/good"), sha=None), dest, dataset="toy")
    assert server.hits["/good"] == 0


def test_failed_first_download_pins_nothing(server: _Server, dest: Path, tmp_path: Path) -> None:
    lock = tmp_path / "checksums.lock"
    with pytest.raises(DownloadError, match="404"):
        fetch(_raw(server.url("/nope"), sha=None), dest, dataset="toy", lock=lock, retries=1)
    assert not lock.exists()
    assert list(dest.iterdir()) == []
