"""Fetching raw files: vendored copy first, then a verified earlier download, then the network.

:func:`fetch` never leaves a partial or unverified file in ``raw_dir``: the body is streamed
into a hidden temporary file in the same folder, hashed while it is written, and renamed to
its final name (``os.replace``, atomic on POSIX) only once its sha256 matches the registry.
On any failure the temporary file is deleted.

A file already present under its final name whose sha256 does not match is never
overwritten: it may be the user's own copy, so :func:`fetch` raises and asks for it to be
deleted (or replaced by hand) instead.

Only the standard library is used (``urllib``). Progress is logged at INFO on the
``fairldp`` logger, at most every :data:`LOG_EVERY` seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from fairldp.datasets.raw import ChecksumError, read_vendored
from fairldp.datasets.registry import RawFile

__all__ = ["LOCK_FILE", "DownloadError", "expected_sha256", "fetch", "pin_sha256"]

log = logging.getLogger("fairldp")

CHUNK = 1 << 16
LOG_EVERY = 2.0  # seconds between progress messages
USER_AGENT = "fairldp python-urllib"

Opener = Callable[..., Any]

#: default lock file of pinned digests (files without a published checksum), relative to the
#: working directory of a study: ``name<TAB>sha256<TAB>url`` per line, sorted by name.
LOCK_FILE = Path("data/checksums.lock")


def _read_lock(lock: Path) -> dict[str, tuple[str, str]]:
    """``name -> (sha256, url)`` of a lock file (empty if it does not exist)."""
    pins: dict[str, tuple[str, str]] = {}
    if not lock.exists():
        return pins
    for i, line in enumerate(lock.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or len(parts[1]) != 64:
            raise ValueError(f"{lock}:{i}: expected 'name<TAB>sha256<TAB>url', got {line!r}")
        pins[parts[0]] = (parts[1], parts[2])
    return pins


def expected_sha256(raw: RawFile, lock: str | Path | None = None) -> str | None:
    """The digest ``raw`` must have: the registry's, else the one pinned in ``lock``, else
    None (never downloaded yet)."""
    if raw.sha256 is not None:
        return raw.sha256
    if lock is None:
        return None
    pinned = _read_lock(Path(lock)).get(raw.name)
    return pinned[0] if pinned else None


def pin_sha256(lock: str | Path, raw: RawFile, digest: str) -> None:
    """Record ``digest`` for ``raw`` in ``lock`` (trust on first use), under an exclusive
    file lock and atomically, so parallel download jobs cannot lose each other's pins. A
    different digest already pinned for the file is an error."""
    import fcntl

    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock.with_name(f".{lock.name}.flock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        pins = _read_lock(lock)
        old = pins.get(raw.name, (digest, ""))[0]
        if old != digest:
            raise ChecksumError(f"{lock}: {raw.name} is pinned to {old}, not {digest}")
        pins[raw.name] = (digest, raw.url)
        lines = [f"{n}\t{d}\t{u}\n" for n, (d, u) in sorted(pins.items())]
        tmp = lock.with_name(f".{lock.name}.tmp")
        tmp.write_text(
            "# sha256 pinned on first download (no published checksum); commit this file\n"
            + "".join(lines)
        )
        os.replace(tmp, lock)


_TOFU = "trust-on-first-use"  # sentinel digest: accept any bytes, the caller pins them


class DownloadError(RuntimeError):
    """A raw file could not be downloaded (network or HTTP problem)."""


class _Transient(Exception):
    """An attempt failed in a way worth retrying; ``problem`` describes it."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _by_hand(raw: RawFile, target: Path) -> str:
    return (
        f"to install it by hand, download {raw.url} and place it at {target} "
        f"(its sha256 must be {raw.sha256})"
    )


def _describe(exc: BaseException, timeout: float) -> str:
    """A short human description of a network exception."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"timeout: no data from the server for {timeout:g} s"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return str(reason)


def fetch(
    raw: RawFile,
    raw_dir: str | Path,
    *,
    dataset: str,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 1.0,
    opener: Opener | None = None,
    lock: str | Path | None = None,
) -> Path:
    """The path of a verified copy of ``raw`` under ``raw_dir``, downloading it if needed.

    In order:

    1. if the vendored gzip copy ``raw_dir/raw.vendored`` exists, its decompressed sha256 is
       checked (:func:`~fairldp.datasets.raw.read_vendored`) and its path is returned; this
       path is the *gzip* file, to be read with ``read_vendored``; nothing is downloaded;
    2. if ``raw_dir/raw.name`` exists and its sha256 matches, it is returned; if it does not
       match, :class:`ChecksumError` is raised (the file is left alone: delete it to retry);
    3. otherwise ``raw.url`` is downloaded to ``raw_dir/raw.name`` (plain bytes) and verified
       before it is renamed into place.

    ``timeout`` is the socket timeout in seconds: it bounds the connection and every read,
    so a server that stalls (before or in the middle of the body) fails the attempt. It does
    not bound the total time of a slow but steady transfer. Timeouts, connection errors,
    truncated bodies and HTTP 5xx are retried, up to ``retries`` attempts in all, sleeping
    ``backoff * 2**i`` seconds after the i-th failure; HTTP 4xx and a checksum mismatch fail
    at once. ``opener`` has the signature of :func:`urllib.request.urlopen` (the default);
    pass ``urllib.request.build_opener(...).open`` to use custom handlers.

    Files without a published checksum (``raw.sha256 is None``) are checked against the digest
    pinned in ``lock`` (see :func:`pin_sha256`); the first download pins it, with a warning.

    Raises :class:`DownloadError` (network/HTTP, with the status code and how to install the
    file by hand) or :class:`ChecksumError` (with the expected and actual digests).
    """
    if raw.sha256 is None:
        if lock is None:
            raise ChecksumError(
                f"{dataset}: {raw.name} has no published sha256; pass a lock file to pin it"
            )
        pinned = expected_sha256(raw, lock)
        if pinned is None:
            path = fetch(
                replace(raw, sha256=_TOFU), raw_dir, dataset=dataset, timeout=timeout,
                retries=retries, backoff=backoff, opener=opener,
            )  # fmt: skip
            digest = _sha256_file(path)
            pin_sha256(lock, raw, digest)
            log.warning(
                "%s: %s has no published checksum; pinned sha256 %s in %s (commit it)",
                dataset, raw.name, digest, lock,
            )  # fmt: skip
            return path
        raw = replace(raw, sha256=pinned)
    if Path(raw.name).name != raw.name or raw.name in ("", ".", ".."):
        raise ValueError(f"{dataset}: raw file name {raw.name!r} must be a plain file name")
    if retries < 1:
        raise ValueError(f"retries must be >= 1, got {retries}")
    raw_dir = Path(raw_dir)
    target = raw_dir / raw.name

    # 1. vendored copy
    if raw.vendored is not None and (raw_dir / raw.vendored).exists():
        try:
            read_vendored(raw, raw_dir)
        except ChecksumError as exc:
            raise ChecksumError(f"{dataset}: {exc}") from None
        log.info("%s: using vendored %s", dataset, raw_dir / raw.vendored)
        return raw_dir / raw.vendored

    # 2. earlier download (or a copy placed by hand)
    if target.exists():
        digest = _sha256_file(target)
        if digest != raw.sha256 and raw.sha256 != _TOFU:
            raise ChecksumError(
                f"{dataset}: existing file {target} has sha256 {digest}, expected {raw.sha256} "
                f"(the canonical {raw.url}); it is left untouched: delete it to download again, "
                f"or replace it with the correct file"
            )
        log.info("%s: using verified %s", dataset, target)
        return target

    # 3. download
    open_url = opener if opener is not None else urllib.request.urlopen
    raw_dir.mkdir(parents=True, exist_ok=True)
    problem = ""
    last_exc: BaseException | None = None
    for attempt in range(retries):
        if attempt:
            delay = backoff * 2 ** (attempt - 1)
            log.info(
                "%s: %s failed (%s); retry %d/%d in %.3g s",
                dataset,
                raw.name,
                problem,
                attempt,
                retries - 1,
                delay,
            )
            time.sleep(delay)
        try:
            _download_once(raw, target, dataset, timeout, open_url)
            return target
        except urllib.error.HTTPError as exc:
            problem, last_exc = f"HTTP {exc.code} {exc.reason}", exc
            exc.close()
            if exc.code < 500:
                break
        except _Transient as exc:
            problem, last_exc = exc.problem, exc.__cause__ or exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            problem, last_exc = _describe(exc, timeout), exc
    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
    raise DownloadError(
        f"{dataset}: could not download {raw.name} from {raw.url}: {problem} "
        f"(after {tries}); {_by_hand(raw, target)}"
    ) from last_exc


def _download_once(
    raw: RawFile, target: Path, dataset: str, timeout: float, open_url: Opener
) -> None:
    """One attempt: stream into a temporary file, verify, rename. Cleans up on failure."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{raw.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        request = urllib.request.Request(raw.url, headers={"User-Agent": USER_AGENT})
        h = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out, open_url(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            of_total = f" of {total}" if total is not None else ""
            log.info("%s: downloading %s%s bytes from %s", dataset, raw.name, of_total, raw.url)
            # read1 returns what has arrived, so the byte count is exact if the server stalls
            read = getattr(response, "read1", response.read)
            last_log = time.monotonic()
            try:
                while chunk := read(CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if time.monotonic() - last_log >= LOG_EVERY:
                        last_log = time.monotonic()
                        pct = f" ({100 * done / total:.0f}%)" if total else ""
                        log.info("%s: %s %d%s bytes%s", dataset, raw.name, done, of_total, pct)
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"{_describe(exc, timeout)} after {done}{of_total} bytes") from exc
            if total is not None and done != total:
                raise _Transient(f"connection closed after {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != raw.sha256 and raw.sha256 != _TOFU:
            raise ChecksumError(
                f"{dataset}: {raw.name} downloaded from {raw.url} has sha256 {digest}, "
                f"expected {raw.sha256}; it was discarded (the upstream file may have changed: "
                f"check it and update the registry, or {_by_hand(raw, target)})"
            )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, target)
        log.info("%s: %s verified (%d bytes) -> %s", dataset, raw.name, done, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
