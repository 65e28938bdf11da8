"""TimelineView given a long timeline's order only (`set_index`) and reading entries through a
fake loader: it shows, scrolls, places and marks what the same view given every entry does."""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot

from tests.test_timeline_widget import BERLIN, T0, entry, lines
from tests.waiting import until
from widgets.timeline import TimelineEntry, TimelineView
from widgets.timeline_entry import sort_key
from widgets.timeline_index import CACHE_ENTRIES

SIZE = (200, 20)


class Record:
    """What a loader reads from: entries by id, and every read counted."""

    def __init__(self, entries: Sequence[TimelineEntry]) -> None:
        self.rows = {e.id: e for e in entries}
        self.asked: list[int] = []

    def load(self, ids: Sequence[int]) -> Mapping[int, TimelineEntry]:
        self.asked += ids
        return {i: self.rows[i] for i in ids if i in self.rows}

    def write(self, *entries: TimelineEntry) -> list[TimelineEntry]:
        self.rows.update((e.id, e) for e in entries)
        return list(entries)


def day_starts(entries: Sequence[TimelineEntry], zone: tzinfo) -> list[tuple[int, date]]:
    """What storage answers: (position, day) where each day with entries starts."""
    days = [e.at.astimezone(zone).date() for e in sorted(entries, key=sort_key)]
    return [(p, day) for p, day in enumerate(days) if p == 0 or days[p - 1] != day]


def index(view: TimelineView, record: Record, entries: Sequence[TimelineEntry]) -> None:
    ordered = sorted(entries, key=sort_key)
    view.entry_loader = record.load
    view.set_index(array("q", (e.id for e in ordered)), local_days=day_starts(ordered, BERLIN),
                   utc_days=day_starts(ordered, UTC), max_seq=max(e.seq for e in ordered))


class TwoViews(App[None]):
    """The same entries given whole (left) and as an index (right), side by side."""

    def __init__(self, entries: Sequence[TimelineEntry]) -> None:
        super().__init__()
        self.initial = list(entries)
        self.record = Record(entries)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield TimelineView(tz=BERLIN, id="whole")
            yield TimelineView(tz=BERLIN, id="indexed")

    def on_mount(self) -> None:
        self.query_one("#whole", TimelineView).set_entries(self.initial)
        index(self.query_one("#indexed", TimelineView), self.record, self.initial)

    @property
    def views(self) -> tuple[TimelineView, TimelineView]:
        return self.query_one("#whole", TimelineView), self.query_one("#indexed", TimelineView)


def spread(count: int, seed: int = 5) -> list[TimelineEntry]:
    """`count` entries over several days around Berlin midnights, a few at the same time."""
    rng = random.Random(seed)
    return [entry(n, minutes=rng.randrange(-3 * 24 * 60, 2 * 24 * 60) // 7 * 7) for n in range(1, count + 1)]


async def same(app: TwoViews, pilot: Pilot[Any], *actions: Callable[[TimelineView], object]) -> None:
    """Do each action to both views; after each, both show the same lines and cursor (once
    both have drawn it: on a loaded machine one view may take a frame longer to follow a
    scroll or the cursor)."""
    whole, indexed = app.views
    for action in actions:
        action(whole)
        action(indexed)
        await pilot.pause()
        await until(pilot, lambda: lines(indexed) == lines(whole) and indexed.scroll_offset == whole.scroll_offset,
                    seconds=5, what="both views to show the same lines")
        assert lines(indexed) == lines(whole)
        assert indexed.cursor_index == whole.cursor_index and indexed.cursor_entry == whole.cursor_entry
        assert (indexed.entry_count, indexed.day_count, indexed.scroll_offset) == (
            whole.entry_count, whole.day_count, whole.scroll_offset
        )


async def test_keys_scroll_and_days_show_as_with_every_entry() -> None:
    app = TwoViews(spread(3000))
    async with app.run_test(size=SIZE) as pilot:
        whole, indexed = app.views
        await same(app, pilot, lambda v: None)
        assert indexed.day_count == whole.day_count == 6 and indexed.is_vertical_scroll_end
        assert indexed.whole_count < 200  # only the lines shown were read
        await same(
            app, pilot,
            TimelineView.action_first, TimelineView.action_page_down, TimelineView.action_page_down,
            TimelineView.action_cursor_down, TimelineView.action_last, TimelineView.action_page_up,
            TimelineView.action_cursor_up, lambda v: v.move_cursor(1500), lambda v: setattr(v, "show_utc", True),
            TimelineView.action_first, lambda v: setattr(v, "show_utc", False), lambda v: v.scroll_to(y=2000,
                                                                                                      immediate=True),
        )
        assert indexed.entries[0] == whole.entries[0] and indexed.entries[-1] == whole.entries[-1]
        assert list(indexed.entries[100:110]) == list(whole.entries[100:110])


async def test_a_click_puts_the_cursor_on_the_line_clicked() -> None:
    app = TwoViews(spread(500))
    async with app.run_test(size=SIZE) as pilot:
        whole, indexed = app.views
        await same(app, pilot, TimelineView.action_first)
        for view in app.views:
            await pilot.click(view, offset=(5, 4))
        await pilot.pause()
        assert indexed.cursor_index == whole.cursor_index != len(whole.entries) - 1
        assert indexed.cursor_entry == whole.cursor_entry


async def test_upserts_newest_backdated_moved_and_edited_in_place_land_as_with_every_entry() -> None:
    entries = spread(2000)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        record = app.record
        newest = record.write(entry(5000, minutes=3 * 24 * 60))
        backdated = record.write(entry(5001, minutes=-5 * 24 * 60))  # a day of its own, before all
        midnight = record.write(entry(5002, minutes=(datetime(2026, 11, 24, 23, tzinfo=UTC) - T0).total_seconds() / 60))
        moved = record.write(entries[10]._replace(at=entries[10].at + timedelta(days=1, minutes=3)))
        edited = record.write(entries[20]._replace(text="edited in place"))
        alone = record.write(entry(5003, minutes=10 * 24 * 60), entry(5003, minutes=10 * 24 * 60 + 1))[1:]
        await same(app, pilot, *(lambda v, rows=rows: v.upsert(rows) for rows in (
            newest, backdated, midnight, moved, edited, alone,
        )))
        _, indexed = app.views
        assert any(e.text == "edited in place" for e in indexed.entries)
        await same(app, pilot, TimelineView.action_first, lambda v: v.upsert(record.write(  # scrolled up: stays put
            entry(5004, minutes=-6 * 24 * 60), entries[30]._replace(at=entries[30].at - timedelta(days=2)),
        )), lambda v: setattr(v, "show_utc", True), TimelineView.action_last)
        # an entry's only day goes when it moves away
        await same(app, pilot, lambda v: v.upsert(record.write(entry(5001, minutes=0))))


async def test_random_upserts_keep_the_order_and_days_of_every_entry() -> None:
    rng = random.Random(3)
    entries = spread(600, seed=9)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        record = app.record
        whole, indexed = app.views
        for n in range(601, 700):
            number = rng.randrange(1, n) if rng.random() < 0.4 else n
            row = record.write(entry(number, minutes=rng.randrange(-4 * 24 * 60, 3 * 24 * 60)))
            whole.upsert(row)
            indexed.upsert(row)
        await same(app, pilot, lambda v: None, TimelineView.action_first, lambda v: setattr(v, "show_utc", True))
        assert [e.id for e in indexed.entries] == [e.id for e in whole.entries]
        assert indexed._day_lines.starts == whole._day_lines.starts


async def test_scrolling_through_everything_keeps_a_bounded_number_of_entries() -> None:
    app = TwoViews(spread(3 * CACHE_ENTRIES))
    async with app.run_test(size=SIZE) as pilot:
        _, indexed = app.views
        indexed.focus()
        await pilot.press("home")
        for _ in range(30):
            await pilot.press("pagedown")
        assert indexed.whole_count < 31 * 3 * 20  # what came near the screen: a few pages each press
        assert sum(1 for _ in indexed.entries) == 3 * CACHE_ENTRIES  # every entry read once, in chunks
        assert indexed.whole_count <= CACHE_ENTRIES
        assert len(app.record.asked) < 4 * CACHE_ENTRIES


async def test_an_entry_the_loader_does_not_know_is_a_blank_line() -> None:
    entries = spread(100)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        _, indexed = app.views
        gone = max(entries, key=sort_key)
        del app.record.rows[gone.id]
        indexed.set_index(array("q", indexed._model.ids), local_days=day_starts(entries, BERLIN),  # type: ignore[union-attr]
                          utc_days=day_starts(entries, UTC), max_seq=100)
        await pilot.pause()
        assert lines(indexed)[-1] == "" and indexed.cursor_entry is None


async def test_forgotten_entries_are_read_again_as_shown() -> None:
    entries = spread(1000)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        whole, indexed = app.views
        whole.entry_loader = app.record.load
        newest = max(entries, key=sort_key)
        app.record.write(newest._replace(marker="resolved"))
        for view in app.views:
            view.forget_entries()
        await pilot.pause()
        assert whole.entries[-1].marker == indexed.entries[-1].marker == "resolved"
        assert lines(whole) == lines(indexed)
        assert whole.entry_count == indexed.entry_count == 1000 and whole.entries[0].text is None  # not shown: a stub
