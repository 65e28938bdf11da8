"""Where the timeline's day separators go, and how lines map to entries around them.

When the entries span more than one day (in the zone shown), a separator line with the date
heads each day; a line number `row` is then an entry index plus the separators above it,
found by bisection, never by a walk.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta, tzinfo

from widgets.timeline_entry import TimelineEntry, at_of


class DayLines:
    """The day separators of a sorted list of entries: where each day starts, on which line
    its separator is drawn, and which date it shows (all empty while every entry is on one day)."""

    __slots__ = ("days", "rows", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        """Index of the first entry of each day."""
        self.rows: list[int] = []
        """The line of each day's separator (`starts[k] + k`)."""
        self.days: list[date] = []
        """The date each separator shows."""

    def find(self, items: list[TimelineEntry], zone: tzinfo, changed_from: int = 0) -> None:
        """Find where each day starts, with one bisection per day that has entries; when
        only entries from `changed_from` on changed, from the day that index falls in."""
        if not items or items[0].at.astimezone(zone).date() == items[-1].at.astimezone(zone).date():
            self.starts, self.rows, self.days = [], [], []
            return
        keep = max(0, bisect_left(self.starts, changed_from) - 1)
        index = self.starts[keep] if self.starts else 0
        starts, days = self.starts[:keep], self.days[:keep]
        count = len(items)
        while index < count:
            day = items[index].at.astimezone(zone).date()
            starts.append(index)
            days.append(day)
            next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            index = max(index + 1, bisect_left(items, next_midnight, lo=index, key=at_of))
        self.rows = self.rows[:keep] + [start + k for k, start in enumerate(starts[keep:], keep)]
        self.starts = starts
        self.days = days

    def assign(self, starts: list[int], days: list[date]) -> None:
        """Take day starts found elsewhere (one per day with entries, the first day's too):
        separators only when there are several days."""
        if len(days) < 2:
            self.starts, self.rows, self.days = [], [], []
            return
        self.starts, self.days = list(starts), list(days)
        self.rows = [start + k for k, start in enumerate(self.starts)]

    def row_of(self, index: int) -> int:
        """The line entry `index` is drawn on (below the separators of its day and before)."""
        return index + bisect_right(self.starts, index)

    def at_row(self, row: int) -> tuple[int, int | None]:
        """What line `row` shows: (entry index, None), or (the index of the entry it heads,
        the day's number) for a separator."""
        days_above = bisect_right(self.rows, row)
        if days_above and self.rows[days_above - 1] == row:
            return self.starts[days_above - 1], days_above - 1
        return row - days_above, None

    def starts_a_day(self, index: int) -> bool:
        """Whether entry `index` is the first of a day that has a separator."""
        position = bisect_left(self.starts, index)
        return position < len(self.starts) and self.starts[position] == index

    def top_row(self, index: int, heading: bool) -> int:
        """The line putting entry `index` at the top (its separator too, when `heading`)."""
        row = self.row_of(index)
        return row - 1 if heading and self.starts_a_day(index) else row
