"""Filtered views of the timeline (key events, decisions, TODOs/actions, one author, a search)
and key marks: the stdlib `sqlite3` path, SQLAlchemy's statements and `TimelineFilter.matches`
give the same events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from storage import live, ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.lite.index import TimelineIndex, open_index
from storage.timeline_filter import TimelineFilter, glob_pattern, like_pattern, regex_pattern, search_pattern

BERLIN = ZoneInfo("Europe/Berlin")
DECLARED = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)

LINES = [
    ("Lee", "checked the DB replicas"),
    ("Lee", "!/decision fail over to eu-west"),
    ("Ana", "/todo page the db team"),
    ("Ana", "/action restart Überlast-Wächter"),
    ("Lee", "überlast cleared in the wächter"),
    ("Ana", "!rollback done: 100% of pods"),
    ("Lee", "under_score and 100 percent"),
    ("Kim", "/decision keep the *[glob]? chars"),
    ("Kim", "a back\\slash note"),
    ("Ana", "ǅemal said DŽ ǆ"),
]

FILTERS = [
    TimelineFilter(),
    TimelineFilter("key"),
    TimelineFilter("decisions"),
    TimelineFilter("todos"),
    TimelineFilter(author="Ana"),
    TimelineFilter("key", author="Ana"),
    TimelineFilter(search="db"),
    TimelineFilter(search="ÜBERLAST"),
    TimelineFilter(search="wächter"),
    TimelineFilter(search="100%"),
    TimelineFilter(search="r_s"),
    TimelineFilter(search="*[glob]?"),
    TimelineFilter(search="back\\sl"),
    TimelineFilter(search="kim"),
    TimelineFilter(search="ǆemal"),
    TimelineFilter("todos", search="DB"),
    TimelineFilter(search="nowhere at all"),
]


def _incident(store: Store) -> str:
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", at=DECLARED).ref
    for number, (author, line) in enumerate(LINES):
        # Two hours apart from 21:30 UTC: across Berlin's and UTC's midnights.
        ops.log(store, ref, line, author=author, at=DECLARED + timedelta(minutes=90 + 120 * number), confirmed=True)
    return ref


def _expected(store: Store, ref: str, shown: TimelineFilter) -> list[int]:
    rows, _ = live.event_rows(store, ref)
    return [row.id for row in rows if shown.matches(kind=row.kind, author=row.author, text=row.text, key=row.key)]


def _days(index: TimelineIndex, rows: dict[int, datetime]) -> tuple[list[tuple[int, date]], list[tuple[int, date]]]:
    def starts(zone: tzinfo) -> list[tuple[int, date]]:
        days = [rows[i].astimezone(zone).date() for i in index.ids]
        return [(n, day) for n, day in enumerate(days) if n == 0 or days[n - 1] != day]

    return starts(BERLIN), starts(UTC)


@pytest.mark.parametrize("shown", FILTERS, ids=lambda shown: "-".join(shown.describe()) or "all")
def test_every_reader_keeps_the_same_events_in_order_with_their_days(store: Store, shown: TimelineFilter) -> None:
    ref = _incident(store)
    expected = _expected(store, ref, shown)
    times = {row.id: row.at for row in live.event_rows(store, ref)[0]}
    index = live.timeline_index(store, ref, BERLIN, shown=shown)
    core = live.timeline_index(store, ref, BERLIN, shown=shown, driver=False)
    assert list(index.ids) == list(core.ids) == expected
    assert (list(index.local_days), list(index.utc_days)) == _days(index, times)
    assert (core.local_days, core.utc_days, core.max_seq) == (index.local_days, index.utc_days, index.max_seq)
    assert index.max_seq == len(LINES) + 1  # the incident's events, however many are kept
    if store.dialect == "sqlite":
        path = store.engine.url.database
        assert path is not None
        lite, _ = open_index(path, ref, BERLIN, shown)
        assert lite == index


def test_the_searches_find_what_was_meant(store: Store) -> None:
    ref = _incident(store)
    texts = {row.id: row.text for row in live.event_rows(store, ref)[0]}

    def found(search: str) -> list[str]:
        return [texts[i] for i in live.timeline_index(store, ref, BERLIN, shown=TimelineFilter(search=search)).ids]

    assert found("ÜBERLAST") == ["restart Überlast-Wächter", "überlast cleared in the wächter"]
    assert found("100%") == ["rollback done: 100% of pods"]  # % is itself, not any text
    assert found("r_s") == ["under_score and 100 percent"]
    assert found("DB") == ["checked the DB replicas", "page the db team"]
    assert len(found("ana")) == 4  # by the author
    assert found("ǆemal") == ["ǅemal said DŽ ǆ"]


def test_search_patterns_escape_what_each_reader_treats_specially() -> None:
    assert like_pattern("a%_\\é") == "%a\\%\\_\\\\_%"
    assert glob_pattern("ab") == "*"  # LIKE alone decides for ASCII
    assert glob_pattern("é*[") == "*[Éé][*][[]*"
    assert regex_pattern("a.b é") == "[Aa]\\.[Bb]\\ [Éé]"
    assert search_pattern("A.b").findall("xa.B a-b") == ["a.B"]


def test_the_filter_cycles_and_says_what_it_keeps() -> None:
    shown = TimelineFilter(author="Lee", search="db")
    cycle = [shown := shown.next_show() for _ in range(4)]
    assert [step.show for step in cycle] == ["key", "decisions", "todos", "all"]
    assert cycle[0].describe() == ["key events", "by Lee", "“db”"]
    assert not TimelineFilter().active and TimelineFilter().describe() == []


def test_authors_are_everyone_who_wrote_an_event(store: Store) -> None:
    ref = _incident(store)
    assert live.authors(store, ref) == ["Ana", "Kim", "Lee", "tester"]


def test_a_key_mark_is_set_and_taken_off_with_the_earlier_version_kept(store: Store) -> None:
    ref = _incident(store)
    seq = ops.log(store, ref, "an ordinary note").seq
    before = live.change_count(store, ref) or 0
    assert ops.set_key(store, ref, seq, True).key
    assert live.change_count(store, ref) == before + 1
    key_ids = live.timeline_index(store, ref, BERLIN, shown=TimelineFilter("key")).ids
    assert max(key_ids) == next(r.id for r in live.event_rows(store, ref)[0] if r.seq == seq)
    with pytest.raises(InvalidInput, match="already a key event"):
        ops.set_key(store, ref, seq, True)
    assert not ops.set_key(store, ref, seq, False).key
    with pytest.raises(InvalidInput, match="not a key event"):
        ops.set_key(store, ref, seq, False)
    history = ops.event_history(store, ref, seq)
    assert [(h.revision, h.key) for h in history] == [(1, False), (2, True)]
    assert {h.text for h in history} == {"an ordinary note"}
