"""The whole timeline's order, read with the standard library's `sqlite3` (no SQLAlchemy).

A view of a long timeline needs every event's place, not every event: the ids in timeline
order (`occurred_at`, then `seq`) in an `array('q')` (8 MB for a million events, read in a
third of a second from the covering index `ix_event_incident_occurred`), the position where
each day starts in the zones it can show (range counts between the UTC instants of local
midnights: right across DST changes; days without events cost nothing), and the change
count the read agrees with. Whole events are read for the lines shown (`rows_by_id`).

`storage.live.timeline_index` answers the same on PostgreSQL through SQLAlchemy, with the
same day finding (`day_starts`).
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import chain, pairwise
from typing import TYPE_CHECKING

from storage.lite.connection import from_stored, to_stored
from storage.rows import EventRow

if TYPE_CHECKING:
    from storage.timeline_filter import TimelineFilter

__all__ = ["TimelineIndex", "day_starts", "index_in", "open_index", "read_index", "rows_by_id"]

DayStarts = tuple[tuple[int, date], ...]
"""(position of the day's first event, the day) for each day that has events, in order."""


@dataclass(frozen=True)
class TimelineIndex:
    """Every event's place in the timeline, and where its days start."""

    ids: array[int]
    """Event ids in timeline order (`occurred_at`, then `seq`)."""
    local_days: DayStarts
    """Where each day starts in the zone the index was read for."""
    utc_days: DayStarts
    """Where each day starts in UTC."""
    max_seq: int
    """The highest event number (0 without events)."""
    max_id: int
    """The highest id in `ids` (0 without events): an event with a higher one is not in it."""
    change_count: int
    """The incident's change count the index agrees with (the watermark to poll from)."""


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant day `day` starts in `zone` (as the timeline widget finds its days)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def day_starts(
    first: datetime | None,
    zones: Sequence[tzinfo],
    count_between: Callable[[datetime, datetime], int],
    first_from: Callable[[datetime], datetime | None],
) -> list[DayStarts]:
    """Where each day with events starts in each of `zones`. From the `first` event's time,
    each zone's days with events are found by jumping to the first event at or after the
    next midnight (`first_from`; empty days cost nothing); then the events between every
    two consecutive midnights of any zone are counted once (`count_between(start, end)`:
    at or after start, before end), and a day starts after the events before its midnight."""
    spans: list[list[tuple[date, datetime]]] = []
    edges: set[datetime] = set()
    for zone in zones:
        days: list[tuple[date, datetime]] = []
        at = first
        while at is not None:
            day = at.astimezone(zone).date()
            start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
            days.append((day, start))
            edges.update((start, end))
            at = first_from(end)
        spans.append(days)
    ordered = sorted(edges)
    before = {ordered[0]: 0} if ordered else {}
    for start, end in pairwise(ordered):
        before[end] = before[start] + count_between(start, end)
    return [tuple((before[start], day) for day, start in days) for days in spans]


_IDS = (
    "SELECT group_concat(printf('%016x', id), '') FROM"
    " (SELECT id FROM event WHERE incident_id = ? ORDER BY occurred_at, seq)"
    if sqlite3.sqlite_version_info < (3, 44)
    else "SELECT group_concat(printf('%016x', id), '' ORDER BY occurred_at, seq) FROM event WHERE incident_id = ?"
)
"""Every id in timeline order as 16 hex digits each, in one text made inside SQLite: the
driver makes one value instead of a million rows, so the read holds Python's lock for 20 ms
of its 300 (at a million events) and the screen stays responsive meanwhile. (Before 3.44
an aggregate takes no ORDER BY; it takes the rows of the ordered subquery in their order.)"""
_FIRST_FROM = "SELECT occurred_at FROM event WHERE incident_id = ? AND occurred_at >= ? ORDER BY occurred_at LIMIT 1"
_COUNT = "SELECT count(*) FROM event WHERE incident_id = ? AND occurred_at >= ? AND occurred_at < ?"
_MAX_SEQ = "SELECT max(seq) FROM event WHERE incident_id = ?"


_ID_ROWS = "SELECT id FROM event WHERE incident_id = ? ORDER BY occurred_at, seq"


def _ids(db: sqlite3.Connection, incident_id: int) -> array[int]:
    """The incident's event ids in timeline order (see `_IDS`; row by row past the longest
    text SQLite makes, 60 million ids)."""
    ids = array("q")
    try:
        text = db.execute(_IDS, (incident_id,)).fetchone()[0]
    except sqlite3.DataError:  # string or blob too big
        return array("q", chain.from_iterable(db.execute(_ID_ROWS, (incident_id,))))
    if text:
        ids.frombytes(bytes.fromhex(text))
        if sys.byteorder == "little":
            ids.byteswap()
    return ids


def _incident(db: sqlite3.Connection, ref: str) -> tuple[int, int]:
    from storage import rules

    row = db.execute("SELECT id, change_count FROM incident WHERE ref = ? LIMIT 1", (ref.strip(),)).fetchone()
    if row is None:
        raise rules.no_such_incident(ref)
    return row[0], row[1]


def read_index(db: sqlite3.Connection, ref: str, zone: tzinfo, shown: TimelineFilter | None = None) -> TimelineIndex:
    """The index of incident `ref` (of the events `shown` keeps, when given), read in one
    read transaction of `db` (a connection in autocommit mode, `isolation_level=None`, as
    `open_index` makes)."""
    db.execute("BEGIN")
    try:
        return index_in(db, ref, zone, shown)
    finally:
        db.execute("ROLLBACK")


def index_in(db: sqlite3.Connection, ref: str, zone: tzinfo, shown: TimelineFilter | None = None) -> TimelineIndex:
    """The index of incident `ref` (of the events `shown` keeps, when given: see
    `storage.lite.filter`), read in the transaction `db` is in (its statements must see one
    snapshot: the watermark agrees with the ids)."""
    incident_id, change_count = _incident(db, ref)
    if shown is not None and shown.active:
        from storage.lite.filter import filtered_in

        return filtered_in(db, incident_id, change_count, zone, shown)
    ids = _ids(db, incident_id)

    def count_between(start: datetime, end: datetime) -> int:
        return int(db.execute(_COUNT, (incident_id, to_stored(start), to_stored(end))).fetchone()[0])

    def first_from(at: datetime) -> datetime | None:
        row = db.execute(_FIRST_FROM, (incident_id, to_stored(at))).fetchone()
        return None if row is None else from_stored(row[0])

    first = first_from(datetime(1, 1, 1, tzinfo=UTC)) if ids else None
    max_seq = db.execute(_MAX_SEQ, (incident_id,)).fetchone()[0] or 0
    local_days, utc_days = day_starts(first, (zone, UTC), count_between, first_from)
    return TimelineIndex(ids, local_days, utc_days, max_seq, max(ids, default=0), change_count)


def connect(path: str) -> sqlite3.Connection:
    """A read-only connection to the SQLite file at `path`, usable from any thread (one at
    a time): the index is read on a worker, the rows for the lines shown on the UI thread."""
    from storage.sqlite_file import BUSY_TIMEOUT_MS

    uri = "file:" + path.replace("%", "%25").replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)


RowReader = Callable[[Sequence[int]], dict[int, EventRow]]
"""Reads whole events by id."""


def open_index(
    path: str, ref: str, zone: tzinfo, shown: TimelineFilter | None = None
) -> tuple[TimelineIndex, RowReader]:
    """The index of incident `ref` in the SQLite file at `path` (of the events `shown`
    keeps, when given), and a reader of whole rows by id for the lines shown (`rows_by_id`
    on a connection of its own)."""
    db = connect(path)
    try:
        index = read_index(db, ref, zone, shown)
        incident_id, _ = _incident(db, ref)
    except BaseException:
        db.close()
        raise

    def read(ids: Sequence[int]) -> dict[int, EventRow]:
        try:
            return rows_by_id(db, incident_id, ids)
        except sqlite3.Error:  # busy or gone: nothing read now, asked again when shown again
            return {}

    return index, read


_ROWS = (
    "SELECT id, seq, occurred_at, kind, author, text, key, struck, link,"
    " CASE WHEN kind = 'milestone' AND detail = 'resolved' AND NOT struck THEN 'resolved'"
    " WHEN kind = 'milestone' AND detail = 'started' AND NOT struck THEN 'start'"
    " WHEN kind = 'declared' AND ? THEN 'start' END, detail"
    " FROM event WHERE id = ? AND +incident_id = ?"
)
"""One event by id (a statement per id: a constant statement, and a screenful of rowid
look-ups takes about a millisecond)."""


def rows_by_id(db: sqlite3.Connection, incident_id: int, ids: Iterable[int]) -> dict[int, EventRow]:
    """Whole events of the incident by id, as `storage.live.events_by_id` reads them."""
    wanted = list(ids)
    found: dict[int, EventRow] = {}
    if not wanted:
        return found
    db.execute("BEGIN")
    try:
        started = db.execute(
            "SELECT 1 FROM milestone WHERE incident_id = ? AND name = 'started' LIMIT 1", (incident_id,)
        ).fetchone()
        declared_is_start = started is None
        for wanted_id in wanted:
            row = db.execute(_ROWS, (declared_is_start, wanted_id, incident_id)).fetchone()
            if row is not None:
                id_, seq, at, kind, author, text, key, struck, link, mark, detail = row
                found[id_] = EventRow(id_, seq, from_stored(at), kind, author, text, key == 1, struck == 1, link, mark,
                                      detail)
    finally:
        db.execute("ROLLBACK")
    return found
