"""A timeline held whole: every entry (or its stub) in a sorted list, found by id in a dict.

What `TimelineView.set_entries` keeps: a short timeline, or one handed over as stubs (`text`
None) that are read in full by the widget's loader when they come on screen.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo

from widgets.timeline_days import DayLines
from widgets.timeline_entry import EntriesView, TimelineEntry, at_of, id_of, seq_of, sort_key

Loader = Callable[[Sequence[int]], Mapping[int, TimelineEntry]]
"""Reads whole entries by id (those missing are left out)."""


class EntryList:
    """Every entry, sorted by `(at, seq, id)`."""

    __slots__ = ("by_id", "items", "loader", "max_seq")

    def __init__(
        self, entries: Sequence[TimelineEntry] = (), loader: Callable[[], Loader | None] = lambda: None
    ) -> None:
        by_id = dict(zip(map(id_of, entries), entries, strict=True))
        items = list(by_id.values() if len(by_id) != len(entries) else entries)
        # Three stable sorts on single attributes order by (at, seq, id) in a third of the
        # time one sort on a tuple key takes, and each is linear when the input is in order.
        items.sort(key=id_of)
        items.sort(key=seq_of)
        items.sort(key=at_of)
        self.items = items
        self.by_id = by_id
        self.max_seq = max(map(seq_of, items), default=0)
        self.loader = loader
        """The widget's loader of whole entries, as it is now."""

    def __len__(self) -> int:
        return len(self.items)

    @property
    def entries(self) -> Sequence[TimelineEntry]:
        return EntriesView(self.items)

    def entry_at(self, position: int, around: int) -> TimelineEntry | None:
        """The entry at `position`; a stub is read in full with its neighbours (`around`
        positions before, twice as many after) when there is a loader."""
        entry = self.items[position]
        if entry.text is None and (loader := self.loader()) is not None:
            self._load(loader, max(0, position - around), min(len(self.items), position + 2 * around + 1))
            entry = self.items[position]
        return entry

    def _load(self, loader: Loader, start: int, stop: int) -> None:
        """Read the stubs between `start` and `stop` in full (one call to the loader)."""
        missing = [entry.id for entry in self.items[start:stop] if entry.text is None]
        if not missing:
            return
        loaded = loader(missing)
        for position in range(start, stop):
            entry = self.items[position]
            whole = loaded.get(entry.id) if entry.text is None else None
            if whole is not None:
                # Keep the stub's place: a changed time arrives through `upsert`.
                whole = whole._replace(at=entry.at, seq=entry.seq)
                self.items[position] = whole
                self.by_id[entry.id] = whole

    def position_of(self, entry_id: int) -> int | None:
        entry = self.by_id.get(entry_id)
        return None if entry is None else self._index_of(entry)

    def _index_of(self, entry: TimelineEntry) -> int:
        """Where an entry that is in the list sits (a binary search)."""
        key = sort_key(entry)
        index = bisect_left(self.items, key, key=sort_key)
        if index < len(self.items) and self.items[index].id == entry.id:
            return index
        return next(i for i, item in enumerate(self.items) if item.id == entry.id)  # pragma: no cover

    def upsert(self, entry: TimelineEntry) -> tuple[int | None, int | None]:
        """Add or replace `entry`: (where an older version was taken out, where it went in);
        (None, None) when it replaced its older version in place."""
        items = self.items
        old = self.by_id.get(entry.id)
        self.by_id[entry.id] = entry
        self.max_seq = max(self.max_seq, entry.seq)
        removed = None
        if old is not None:
            removed = self._index_of(old)
            if sort_key(old) == sort_key(entry):
                items[removed] = entry
                return None, None
            del items[removed]
        inserted = bisect_right(items, sort_key(entry), key=sort_key)
        items.insert(inserted, entry)
        return removed, inserted

    def forget(self) -> None:
        """Make every entry a stub again (read anew when shown), keeping its place."""
        if self.loader() is None:
            return
        self.items = [entry._replace(text=None) for entry in self.items]
        self.by_id = {entry.id: entry for entry in self.items}

    def find_days(self, days: DayLines, zone: tzinfo, utc: bool, changed_from: int) -> None:
        """Place the day separators again, from the day entry `changed_from` falls in."""
        days.find(self.items, zone, changed_from)

    def whole_entries(self) -> list[TimelineEntry]:
        """The entries held whole (not stubs)."""
        return [entry for entry in self.items if entry.text is not None]
