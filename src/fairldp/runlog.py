"""Logging of pipeline jobs: one log file per Snakemake job, and the stage's own compute time.

Kept free of heavy imports: a Snakemake job that only writes a small file should not pay for
pandas.
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["log", "setup_logging", "timed"]

log = logging.getLogger("fairldp")


class _ImportClock:
    """Seconds spent in (outermost) ``import`` statements while active: the libraries a stage
    imports on first use (scikit-learn, LightGBM, ...) are start-up cost, not computation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._original: Callable[..., object] = builtins.__import__

    def _import(self, *args: object, **kwargs: object) -> object:
        self._depth += 1
        t0 = time.perf_counter()
        try:
            return self._original(*args, **kwargs)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.seconds += time.perf_counter() - t0

    def __enter__(self) -> _ImportClock:
        self._original = builtins.__import__
        builtins.__import__ = self._import
        return self

    def __exit__(self, *exc: object) -> None:
        builtins.__import__ = self._original


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Log the wall time of a stage's own computation (``compute_seconds=``) and, apart, the
    time its first-use imports of libraries took (``import_seconds=``)."""
    t0 = time.perf_counter()
    with _ImportClock() as imports:
        yield
    total = time.perf_counter() - t0
    log.info("stage=%s compute_seconds=%.4f import_seconds=%.4f", stage,
             total - imports.seconds, imports.seconds)  # fmt: skip


def setup_logging(log_file: str | Path | None) -> None:
    """Log to ``log_file`` (a Snakemake ``log:``) and stderr; uncaught errors go to both."""
    import sys
    import traceback

    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    def hook(exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
        log.error(
            "stage failed: %s: %s\n%s",
            exc_type.__name__,
            exc,
            "".join(traceback.format_exception(exc_type, exc, tb)),
        )
        sys.__excepthook__(exc_type, exc, tb)  # type: ignore[arg-type]

    sys.excepthook = hook
