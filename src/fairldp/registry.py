"""Registries: name -> implementation, for every kind of thing a study file can name.

A protocol, dataset, model, fair method, representation, metric, audit or figure kind is added
by registering it under a name, from one new module::

    from fairldp.fair.methods import METHODS, FairMethod

    @METHODS.register("my_method")
    class MyMethod(FairMethod):
        ...

Study files name registered entries; the configuration loader checks every name against its
registry before any job runs and suggests the closest one on a typo. Modules outside the
package register their entries when a study lists them under ``plugins`` (imported at DAG
build and in every job).

A registry can also declare built-in entries *lazily* (``register_lazy(name, "module:attr")``):
the name is known at once, the module is imported on first :meth:`Registry.get`. This keeps
the DAG build free of heavy imports (scikit-learn takes seconds to import).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "UnknownNameError", "closest"]

T = TypeVar("T")


class UnknownNameError(KeyError, ValueError):
    """A name that no registry entry has; the message names the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def closest(name: object, choices: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice to ``name``, or ``""``."""
    match = difflib.get_close_matches(str(name), choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


class Registry(Mapping[str, T], Generic[T]):
    """An ordered mapping name -> entry with a decorator to add entries.

    ``kind`` names what the registry holds, for error messages ("unknown fair method 'x'").
    ``loader``, if given, is called once before the first lookup (it imports the modules that
    register the built-in entries).
    """

    def __init__(self, kind: str, loader: Callable[[], object] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, tuple[str, dict[str, Any]]] = {}
        self._order: list[str] = []
        self._meta: dict[str, dict[str, Any]] = {}
        self._aliases: dict[str, str] = {}
        self._loader = loader
        self._loaded = loader is None

    # ----- adding entries -----------------------------------------------------------------------

    def register(
        self, name: str, obj: T | None = None, *, replace: bool = False, **meta: Any
    ) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, a decorator. ``meta``: light
        facts about the entry that are available without importing it (see :meth:`meta`).
        ``replace=True`` replaces an existing entry (e.g. a dataset re-parametrized by the
        study); otherwise a second registration of a name is an error."""

        def add(entry: T) -> T:
            if replace and name in self._order:
                self._entries.pop(name, None)
                self._lazy.pop(name, None)
                self._order.remove(name)
            self._check_new(name)
            self._entries[name] = entry
            self._order.append(name)
            self._meta[name] = dict(meta)
            return entry

        return add if obj is None else add(obj)

    def register_lazy(self, name: str, target: str, **meta: Any) -> None:
        """Declare ``name`` as ``"module:attribute"``, imported on first use."""
        self._check_new(name)
        module, _, attr = target.partition(":")
        if not module or not attr:
            raise ValueError(f"lazy {self.kind} target must be 'module:attribute', got {target!r}")
        self._lazy[name] = (target, dict(meta))
        self._meta[name] = dict(meta)
        self._order.append(name)

    def _check_new(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        if name in self._entries or name in self._lazy or name in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")

    # ----- lookups ----------------------------------------------------------------------------

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            assert self._loader is not None
            self._loader()

    def alias(self, old: str, name: str) -> None:
        """Let ``old`` (a former or another library's name) stand for the entry ``name``."""
        self._require(name)
        self._check_new(old)
        self._aliases[old] = name

    def resolve(self, name: str) -> str:
        """The registered name ``name`` stands for (itself unless it is an alias)."""
        self._load()
        name = self._aliases.get(name, name)
        self._require(name)
        return name

    def aliases(self) -> dict[str, str]:
        """alias -> registered name."""
        self._load()
        return dict(self._aliases)

    def names(self) -> list[str]:
        """Every registered name, in registration order (lazy ones included, aliases not)."""
        self._load()
        return list(self._order)

    def meta(self, name: str) -> dict[str, Any]:
        """The light facts registered with ``name`` (no import)."""
        name = self.resolve(name)
        return self._meta[name]

    def _require(self, name: str) -> None:
        if name not in self._entries and name not in self._lazy:
            names = self.names()
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{closest(name, names)}; registered: {names}"
            )

    def get(self, name: str) -> T:  # type: ignore[override]
        """The entry ``name`` (or of the alias ``name``); :class:`UnknownNameError` names the
        closest ones."""
        name = self.resolve(name)
        if name not in self._entries:
            target, _ = self._lazy[name]
            module, _, attr = target.partition(":")
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self._entries[name] = obj
        return self._entries[name]

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries or name in self._lazy or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
