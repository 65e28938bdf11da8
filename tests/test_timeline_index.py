"""The timeline's index (event ids in order, where days start): the stdlib `sqlite3` path of
`storage.lite.index` and the SQLAlchemy statements PostgreSQL runs give the same answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from storage import live, ops
from storage.db import Store
from storage.lite.index import TimelineIndex, open_index

BERLIN = ZoneInfo("Europe/Berlin")
DECLARED = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
"""22:00 in Berlin (summer time), the evening before the clocks go back."""

TIMES = [
    datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST, Saturday
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # Berlin midnight: Sunday 00:00 CEST
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # the same instant: after it by its number
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET, the hour again
    datetime(2026, 10, 25, 22, 59, tzinfo=UTC),  # 23:59 CET, Sunday (a 25-hour day)
    datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # Monday 00:00 CET
    datetime(2026, 10, 26, 0, 0, tzinfo=UTC),  # UTC midnight, 01:00 CET
    datetime(2026, 10, 28, 12, 0, tzinfo=UTC),  # Tuesday empty: Wednesday
    datetime(2026, 10, 24, 21, 0, tzinfo=UTC),  # backdated, logged last
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # the midnight again, logged last
]


def _incident(store: Store) -> str:
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", at=DECLARED).ref
    ops.log_many(store, ref, [(f"line {n}", at) for n, at in enumerate(TIMES)], author="Lee")
    return ref


def _expected(store: Store, ref: str) -> tuple[list[int], list[tuple[int, date]], list[tuple[int, date]]]:
    """The order and the day starts worked out from every row read whole."""
    rows, _ = live.event_rows(store, ref)
    rows.sort(key=lambda row: (row.at, row.seq))

    def starts(zone: tzinfo) -> list[tuple[int, date]]:
        days = [row.at.astimezone(zone).date() for row in rows]
        return [(position, day) for position, day in enumerate(days) if position == 0 or days[position - 1] != day]

    return [row.id for row in rows], starts(BERLIN), starts(UTC)


def _answer(index: TimelineIndex) -> tuple[list[int], list[tuple[int, date]], list[tuple[int, date]]]:
    return list(index.ids), list(index.local_days), list(index.utc_days)


def test_the_index_orders_by_time_then_number_and_finds_days_across_midnight_and_dst(store: Store) -> None:
    ref = _incident(store)
    expected = _expected(store, ref)
    ids, local_days, utc_days = expected
    seqs = {row.id: row.seq for row in live.event_rows(store, ref)[0]}
    midnight = [seqs[i] for i, at in zip(ids, sorted([DECLARED, *TIMES]), strict=True) if at == TIMES[1]]
    assert midnight == sorted(midnight) and len(midnight) == 3  # ties on time by number
    assert [day for _, day in local_days] == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26),
                                             date(2026, 10, 28)]
    assert [start for start, _ in local_days] == [0, 3, 9, 11]  # 25 hours of Sunday, Tuesday skipped
    assert [start for start, _ in utc_days] == [0, 6, 10, 11]
    index = live.timeline_index(store, ref, BERLIN)
    assert _answer(index) == expected
    assert _answer(live.timeline_index(store, ref, BERLIN, driver=False)) == expected  # the statements PostgreSQL runs
    assert index.max_seq == len(ids) and index.change_count == ops.get_incident(store, ref).change_count
    if store.dialect == "sqlite":
        path = store.engine.url.database
        assert path is not None
        lite, reader = open_index(path, ref, BERLIN)
        assert lite == index
        assert reader(ids[:5]) == live.events_by_id(store, ref, ids[:5])


def test_an_empty_timeline_has_no_days(store: Store) -> None:
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", at=DECLARED).ref
    index = live.timeline_index(store, ref, BERLIN, driver=False)
    assert len(index.ids) == 1 and index.local_days == ((0, date(2026, 10, 24)),)


def test_rows_by_id_read_only_the_incidents_own(store: Store) -> None:
    ref = _incident(store)
    other = ops.declare(store, severity=3, functionality="db", state="slow", audience="all").ref
    others = live.timeline_index(store, other, BERLIN).ids
    assert live.events_by_id(store, ref, list(others)) == {}
    if store.dialect == "sqlite":
        path = store.engine.url.database
        assert path is not None
        _, reader = open_index(path, ref, BERLIN)
        assert reader(list(others)) == {}
        mine = list(live.timeline_index(store, ref, BERLIN).ids)
        assert set(reader(mine + list(others))) == set(mine)


def test_ids_past_the_longest_text_sqlite_makes_are_read_row_by_row() -> None:
    import sqlite3

    from storage.lite.index import _ids

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, incident_id, occurred_at, seq)")
    rows = [(n, f"2026-01-01 00:00:{n % 60:02d}", n) for n in range(1, 101)]
    db.executemany("INSERT INTO event VALUES (?, 1, ?, ?)", rows)
    expected = sorted(range(1, 101), key=lambda n: (n % 60, n))
    assert list(_ids(db, 1)) == expected
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)  # 100 ids make 1,600 characters
    assert list(_ids(db, 1)) == expected
