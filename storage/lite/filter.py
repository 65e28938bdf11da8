"""A filtered view's order, read with the standard library's `sqlite3` (no SQLAlchemy).

The events a `TimelineFilter` keeps, as `storage.lite.index` reads every event: their ids in
timeline order in one text made inside SQLite, each with its time to the second, so the
days are found by bisection in memory (`day_starts`) without a second pass over the table.
A million events are filtered in about the time their unfiltered order takes to read.

`storage.live.timeline_index(..., shown=...)` answers the same on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from itertools import chain

from storage.lite.index import TimelineIndex, day_starts
from storage.timeline_filter import TimelineFilter, glob_pattern, like_pattern

__all__ = ["filtered_in", "index_from_times"]

_MATCHING = (
    "SELECT group_concat(printf('%016x%016x', id, CAST(strftime('%s', occurred_at) AS INTEGER)), '') FROM"
    " (SELECT id, occurred_at"
    " FROM event WHERE incident_id = :incident AND (:key = 0 OR key)"
    " AND (:kind_a IS NULL OR kind IN (:kind_a, :kind_b))"
    " AND (:author IS NULL OR author = :author)"
    " AND (:like IS NULL OR (text LIKE :like ESCAPE '\\' AND text GLOB :glob)"
    " OR (author LIKE :like ESCAPE '\\' AND author GLOB :glob))"
    " ORDER BY occurred_at, seq)"
)
"""Each matching event's id and its time in whole seconds, 32 hex digits an event (the
conditions a filter does not use are switched off by their parameters: one statement)."""
_MATCHING_ROWS = (
    "SELECT id, CAST(strftime('%s', occurred_at) AS INTEGER)"
    " FROM event WHERE incident_id = :incident AND (:key = 0 OR key)"
    " AND (:kind_a IS NULL OR kind IN (:kind_a, :kind_b))"
    " AND (:author IS NULL OR author = :author)"
    " AND (:like IS NULL OR (text LIKE :like ESCAPE '\\' AND text GLOB :glob)"
    " OR (author LIKE :like ESCAPE '\\' AND author GLOB :glob))"
    " ORDER BY occurred_at, seq"
)
_TOTAL = "SELECT max(seq) FROM event WHERE incident_id = ?"


def _parameters(incident_id: int, shown: TimelineFilter) -> dict[str, object]:
    kinds = shown.kinds or (None, None)
    return {
        "incident": incident_id,
        "key": int(shown.show == "key"),
        "kind_a": kinds[0],
        "kind_b": kinds[1],
        "author": shown.author,
        "like": like_pattern(shown.search) if shown.search else None,
        "glob": glob_pattern(shown.search),
    }


def _matching(db: sqlite3.Connection, incident_id: int, shown: TimelineFilter) -> tuple[array[int], array[int]]:
    """The matching ids in timeline order, and their times (seconds since the epoch)."""
    parameters = _parameters(incident_id, shown)
    pairs = array("q")
    try:
        text = db.execute(_MATCHING, parameters).fetchone()[0]
    except sqlite3.DataError:  # string or blob too big
        pairs = array("q", chain.from_iterable(db.execute(_MATCHING_ROWS, parameters)))
    else:
        if text:
            pairs.frombytes(bytes.fromhex(text))
            if sys.byteorder == "little":
                pairs.byteswap()
    return pairs[0::2], pairs[1::2]


def index_from_times(
    ids: array[int], seconds: Sequence[int], zone: tzinfo, max_seq: int, change_count: int
) -> TimelineIndex:
    """The index of the events `ids` at `seconds` (sorted): their days found by bisection."""

    def at(position: int) -> datetime:
        return datetime.fromtimestamp(seconds[position], UTC)

    def count_between(start: datetime, end: datetime) -> int:
        return bisect_left(seconds, int(end.timestamp())) - bisect_left(seconds, int(start.timestamp()))

    def first_from(when: datetime) -> datetime | None:
        position = bisect_left(seconds, int(when.timestamp()))
        return at(position) if position < len(seconds) else None

    first = at(0) if ids else None
    local_days, utc_days = day_starts(first, (zone, UTC), count_between, first_from)
    return TimelineIndex(ids, local_days, utc_days, max_seq, max(ids, default=0), change_count)


def filtered_in(db: sqlite3.Connection, incident_id: int, change_count: int, zone: tzinfo,
                shown: TimelineFilter) -> TimelineIndex:
    """The index of the events of incident `incident_id` that `shown` keeps, read in the
    transaction `db` is in; `max_seq` is the incident's last event number (how many it has)."""
    ids, seconds = _matching(db, incident_id, shown)
    max_seq = db.execute(_TOTAL, (incident_id,)).fetchone()[0] or 0
    return index_from_times(ids, seconds, zone, max_seq, change_count)

