"""Self-describing registries: scorers, normalizers and model families are each defined once.

A ``Registry`` maps a name to an entry (a class or an object) and checks, at
registration time, that the entry carries every piece the rest of the package
reads from it (display name, formula, methods …). A missing piece is a
``RegistryError`` at import, naming the entry and the piece, instead of a
failure deep inside a view. The CLI's choices, the training recipes, the app's
labels and formulas and the tests all read the registries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(TypeError):
    """An entry lacks a required piece, or its name is taken."""


class Registry(Generic[T]):
    """Name → entry, in registration order.

    Args:
        kind: what the entries are ("scorer", "normalizer", "model family"), for messages.
        attributes: names of attributes every entry must define, as non-empty values.
        methods: names of methods every entry must define (callables; on a class,
            overridden from ``base`` when one is given).
        base: for class entries, the abstract base whose placeholder methods do not count.
        key: the attribute that holds an entry's name.
    """

    def __init__(
        self,
        kind: str,
        attributes: tuple[str, ...] = (),
        methods: tuple[str, ...] = (),
        base: type | None = None,
        key: str = "name",
    ):
        self.kind = kind
        self.key = key
        self.attributes = (key, *attributes)
        self.methods = methods
        self.base = base
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` (usable as a class decorator) and return it unchanged.

        Raises:
            RegistryError: a required attribute is missing or empty, a required
                method is missing (or not overridden from ``base``), or the name is taken.
        """
        label = getattr(entry, "__name__", type(entry).__name__)
        for attribute in self.attributes:
            value = getattr(entry, attribute, None)
            if value is None or value == "" or value == ():
                raise RegistryError(f"{self.kind} {label} lacks {attribute!r}")
        for method in self.methods:
            function = getattr(entry, method, None)
            inherited = self.base is not None and function is getattr(self.base, method, None)
            if not callable(function) or inherited:
                raise RegistryError(f"{self.kind} {label} ({getattr(entry, self.key)!r}) does not define {method}()")
        name = getattr(entry, self.key)
        if name in self._entries:
            raise RegistryError(f"{self.kind} name {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove an entry (tests register throw-away entries and clean up after)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        """The entry called ``name``.

        Raises:
            ValueError: unknown name; the message lists the valid ones.
        """
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ValueError(f"unknown {self.kind} {name!r}; choose one of {', '.join(self._entries)}") from None

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._entries)

    def select(self, predicate: Callable[[T], bool]) -> tuple[T, ...]:
        """The entries for which ``predicate`` holds, in registration order."""
        return tuple(e for e in self._entries.values() if predicate(e))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)
