"""What every welcome shares, built once: ``facilitation.views.Memo`` for the hub.

A welcome is the whole room as one viewer may see it. Most of it is the same for every
participant (statements, turns, the moderation log, the people the public knows by
name), and in a room of 3,000 statements building and encoding that list took about
20 ms per welcome: a crowd arriving late (or coming back after a worker died) paid it
once each. ``SnapshotMemo`` keeps, for each part, the value built from the state's
parts it depends on, compared by identity (the state is immutable, and an event that
does not touch a part keeps the same object); ``encoded`` parts are kept as JSON
already (``msgspec.Raw``), which the hub's encoder copies into each welcome as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

__all__ = ["SnapshotMemo"]

_encoder = msgspec.json.Encoder()


class SnapshotMemo:
    """The latest value of each part, by name (``views`` starts each name with the room's
    id), with the sources it was built from; at most ``size`` names kept (the least
    recently built dropped first). One value per name: a room posting statements all
    evening replaces its encoded list, it does not pile up a copy per version."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._kept: dict[str, tuple[tuple[object, ...], Any]] = {}
        self.built = 0  # parts built (a cache miss each), for tests and curiosity

    def value(self, name: str, sources: tuple[object, ...], build: Callable[[], Any]) -> Any:
        """``build()``, or the value it gave for the same sources."""
        return self._get(name, sources, build)

    def encoded(self, name: str, sources: tuple[object, ...], build: Callable[[], Any]) -> Any:
        """``build()`` as JSON, kept encoded (``msgspec.Raw``)."""
        return self._get(name, sources, lambda: msgspec.Raw(_encoder.encode(build())))

    def _get(self, name: str, sources: tuple[object, ...], build: Callable[[], Any]) -> Any:
        found = self._kept.get(name)
        if found is not None and _same(found[0], sources):
            return found[1]
        value = build()
        self.built += 1
        kept = self._kept
        kept.pop(name, None)
        kept[name] = (sources, value)
        if len(kept) > self._size:
            del kept[next(iter(kept))]
        return value


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
