"""What the timeline shows: one immutable `TimelineEntry` per event, and how entries sort.

Kept apart from the widget so code that only builds entries (a screen turning rows into
entries, a benchmark) reads the data model without the rendering and scrolling around it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple, overload

RECORD_KINDS: frozenset[str] = frozenset(
    {"declared", "severity", "status", "role", "milestone", "update", "link", "checklist", "facts", "reminder"}
)
"""Kinds written by the system when incident state changes, as opposed to typed notes."""


class TimelineEntry(NamedTuple):
    """One event of the incident timeline, as the widget shows it.

    A named tuple rather than a dataclass: a 100,000-event timeline builds this many,
    and tuples are several times quicker to make.
    """

    id: int
    """Stable identity: `upsert` replaces the entry with the same id."""
    seq: int
    """Event number, shown as `#seq`."""
    at: datetime
    """When it happened (aware, UTC)."""
    kind: str
    """note, action, decision, todo, query, comms, declared, severity, status, role, milestone, update, link."""
    author: str
    text: str | None
    """None for a stub not read yet (see `TimelineView.entry_loader`)."""
    key: bool = False
    struck: bool = False
    link: str | None = None
    marker: str | None = None
    """`"start"` for the incident start, `"resolved"` for its resolution, else None."""


sort_key = attrgetter("at", "seq", "id")
"""The timeline's order: by time, then event number, then id."""
at_of = attrgetter("at")
seq_of = attrgetter("seq")
id_of = attrgetter("id")


class EntriesView(Sequence[TimelineEntry]):
    """A read-only view of the widget's sorted entries (no copy)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[TimelineEntry]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | Sequence[TimelineEntry]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[TimelineEntry]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"<TimelineView entries: {len(self._items)}>"
