"""A long timeline held as its order only: event ids in an `array('q')` (8 bytes an event),
the positions where days start, and a bounded cache of whole entries for the lines shown.

What `TimelineView.set_index` keeps. Entries are read by id through the widget's loader
when they come on screen; a new or moved entry is placed by bisecting on the keys of the
entries at the positions probed (read the same way), and the day starts are moved with it,
so nothing is read again whole.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import overload

from widgets.timeline_days import DayLines
from widgets.timeline_entry import TimelineEntry
from widgets.timeline_list import Loader

CACHE_ENTRIES = 4096
"""Whole entries kept (the most recently used): a few screens' worth and the probes of
recent placements; memory stays flat however far the timeline is scrolled."""

LAST_LOOKED = 64
"""Positions from the end looked at for an id before the whole array is searched."""

_OLDEST = datetime.min.replace(tzinfo=UTC)

Key = tuple[datetime, int, int]


class EntryIndex:
    """The order of a long timeline, sorted by `(at, seq, id)`, and where its days start
    in the local zone (`utc` False) and in UTC (`utc` True)."""

    def __init__(
        self,
        ids: array[int],
        days: dict[bool, Sequence[tuple[int, date]]],
        tz: tzinfo,
        max_seq: int,
        loader: Callable[[], Loader | None],
        max_id: int | None = None,
        capacity: int = CACHE_ENTRIES,
    ) -> None:
        self.ids = ids
        self.tz = tz
        self.max_seq = max_seq
        self._max_id = max_id
        self.loader = loader
        self.capacity = capacity
        self.cache: OrderedDict[int, TimelineEntry] = OrderedDict()
        self._starts = {utc: [start for start, _ in days[utc]] for utc in (False, True)}
        self._days = {utc: [day for _, day in days[utc]] for utc in (False, True)}

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def max_id(self) -> int:
        """The highest id held (found when first asked: 30 ms for a million)."""
        if self._max_id is None:
            self._max_id = max(self.ids, default=0)
        return self._max_id

    @property
    def entries(self) -> Sequence[TimelineEntry]:
        return IndexEntries(self)

    # -- whole entries ---------------------------------------------------------------------

    def remember(self, entries: Iterable[TimelineEntry]) -> None:
        """Keep these whole entries (the newest first used), forgetting the least recently used."""
        cache = self.cache
        for entry in entries:
            cache[entry.id] = entry
            cache.move_to_end(entry.id)
        while len(cache) > self.capacity:
            cache.popitem(last=False)

    def load(self, start: int, stop: int) -> None:
        """Read the entries between positions `start` and `stop` not held (one call)."""
        loader = self.loader()
        start, stop = max(0, start), min(len(self.ids), stop)
        missing = [entry_id for entry_id in self.ids[start:stop] if entry_id not in self.cache]
        if missing and loader is not None:
            self.remember(loader(missing).values())

    def entry_at(self, position: int, around: int) -> TimelineEntry | None:
        """The entry at `position`, read with its neighbours (`around` positions before,
        twice as many after) when not held; None if the loader does not know it."""
        entry_id = self.ids[position]
        entry = self.cache.get(entry_id)
        if entry is None:
            self.load(position - around, position + 2 * around + 1)
            entry = self.cache.get(entry_id)
        else:
            self.cache.move_to_end(entry_id)
        return entry

    def forget(self) -> None:
        """Drop every whole entry (read anew when shown)."""
        self.cache.clear()

    def key_at(self, position: int) -> Key:
        entry = self.entry_at(position, 0)
        if entry is None:  # not in the record (any more): sorts first
            return (_OLDEST, 0, self.ids[position])
        return (entry.at, entry.seq, entry.id)

    def whole_entries(self) -> list[TimelineEntry]:
        """The entries held whole (the cache, least recently used first)."""
        return list(self.cache.values())

    # -- places ----------------------------------------------------------------------------

    def position_of(self, entry_id: int) -> int | None:
        """Where the entry with this id is (the newest looked at first), None if nowhere."""
        ids = self.ids
        if entry_id > self.max_id or entry_id < 0:  # a new event, most often
            return None
        for position in range(len(ids) - 1, max(-1, len(ids) - 1 - LAST_LOOKED), -1):
            if ids[position] == entry_id:
                return position
        data, needle = ids.tobytes(), entry_id.to_bytes(ids.itemsize, sys.byteorder, signed=True)
        offset = data.find(needle)
        while offset != -1 and offset % ids.itemsize:  # a match across two ids
            offset = data.find(needle, offset + 1)
        return None if offset == -1 else offset // ids.itemsize

    def upsert(self, entry: TimelineEntry) -> tuple[int | None, int | None]:
        """Add or replace `entry`: (where it was taken out, where it went in); (None, None)
        when it replaced its older version in place."""
        old = self.position_of(entry.id)
        self.remember((entry,))
        self.max_seq = max(self.max_seq, entry.seq)
        self._max_id = max(self.max_id, entry.id)
        key = (entry.at, entry.seq, entry.id)
        if old is not None:
            if self._fits(old, key, entry):
                return None, None
            self._remove(old)
        position = self._place(key)
        self._insert(position, entry)
        return old, position

    def take_out(self, entry_id: int) -> int | None:
        """Take the entry with this id out of the order (its cached version stays): where it
        was, None if nowhere. A batch of entries is taken out before any is placed again:
        the record already holds their new times, and a bisection probing the old place of
        one not yet moved would read its new time there."""
        position = self.position_of(entry_id)
        if position is not None:
            self._remove(position)
        return position

    def _fits(self, position: int, key: Key, entry: TimelineEntry) -> bool:
        """Whether `entry` belongs where its older version is: between its neighbours, on
        the same days."""
        if position > 0 and self.key_at(position - 1) >= key:
            return False
        if position + 1 < len(self.ids) and self.key_at(position + 1) <= key:
            return False
        return all(self._day_of(position, utc) == self._day(entry, utc) for utc in (False, True))

    def _place(self, key: Key) -> int:
        """Where an entry with this key goes: after the newest (most often), else bisected."""
        count = len(self.ids)
        if not count or self.key_at(count - 1) < key:
            return count
        low, high = 0, count - 1
        while low < high:
            middle = (low + high) // 2
            if self.key_at(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    # -- days ------------------------------------------------------------------------------

    def _day(self, entry: TimelineEntry, utc: bool) -> date:
        return entry.at.astimezone(UTC if utc else self.tz).date()

    def _day_of(self, position: int, utc: bool) -> date | None:
        k = bisect_right(self._starts[utc], position) - 1
        return self._days[utc][k] if k >= 0 else None

    def _remove(self, position: int) -> None:
        count = len(self.ids)
        for utc in (False, True):
            starts, days = self._starts[utc], self._days[utc]
            k = bisect_right(starts, position) - 1
            end = starts[k + 1] if k + 1 < len(starts) else count
            if end - starts[k] == 1:  # its day's only entry: the day goes
                del starts[k], days[k]
            else:
                k += 1
            for j in range(k, len(starts)):
                starts[j] -= 1
        del self.ids[position]

    def _insert(self, position: int, entry: TimelineEntry) -> None:
        for utc in (False, True):
            starts, days = self._starts[utc], self._days[utc]
            day = self._day(entry, utc)
            k = bisect_left(days, day)
            if k == len(days) or days[k] != day:  # a day of its own
                starts.insert(k, position)
                days.insert(k, day)
            for j in range(k + 1, len(starts)):
                starts[j] += 1
        self.ids.insert(position, entry.id)

    def find_days(self, lines: DayLines, zone: tzinfo, utc: bool, changed_from: int) -> None:
        """Give `lines` the day starts of the zone shown (none while there is only one day)."""
        lines.assign(self._starts[utc], self._days[utc])


class IndexEntries(Sequence[TimelineEntry]):
    """The entries of an `EntryIndex`, read as they are asked for (a stub with no text for
    one the loader does not know)."""

    __slots__ = ("_index",)

    def __init__(self, index: EntryIndex) -> None:
        self._index = index

    def _get(self, position: int) -> TimelineEntry:
        entry = self._index.entry_at(position, 64)
        if entry is None:
            return TimelineEntry(self._index.ids[position], 0, _OLDEST, "note", "", None)
        return entry

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | Sequence[TimelineEntry]:
        count = len(self._index)
        if isinstance(index, slice):
            return [self._get(position) for position in range(*index.indices(count))]
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(index)
        return self._get(index)

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[TimelineEntry]:
        for start in range(0, len(self._index), 256):
            self._index.load(start, start + 256)
            for position in range(start, min(start + 256, len(self._index))):
                yield self._get(position)

    def __repr__(self) -> str:
        return f"<TimelineView entries: {len(self._index)} indexed>"
