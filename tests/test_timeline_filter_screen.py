"""Filtered views and search on the command screen: Ctrl+G cycles key events, decisions and
TODOs/actions; Ctrl+F searches; `a` and the palette pick an author; `k` and the event
dialog's Ctrl+O mark key events; live lines join a filtered view when they match."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot

from screens.event import EventDialog
from screens.pickers import AuthorPicker
from storage import live, ops
from storage.db import Store
from storage.demo import build_demo
from storage.errors import Busy
from storage.timeline_filter import TimelineFilter
from tests.test_command_screen import command, type_line
from tests.test_snapshots import steady
from tests.test_timeline_indexed import Record, index, spread
from tests.test_timeline_widget import BERLIN, lines
from tests.waiting import until
from tui.app import WarroomApp
from tui.commands import IncidentCommands
from widgets.timeline import TimelineEntry, TimelineView
from widgets.timeline_entry import sort_key
from widgets.timeline_filtered import IncidentTimeline
from widgets.timeline_search import TimelineSearch

EVENTS = 27
"""Events of the demo incident."""



def timeline_of(app: WarroomApp) -> IncidentTimeline:
    return command(app).query_one(IncidentTimeline)


def title(app: WarroomApp) -> str:
    return str(timeline_of(app).border_title)


def texts(app: WarroomApp) -> list[str]:
    return [entry.text or "" for entry in timeline_of(app).entries]


async def shows(pilot: Pilot[Any], app: WarroomApp, wanted: str) -> None:
    """Wait until the timeline's title is `wanted` (the filter's read has arrived)."""
    try:
        await until(pilot, lambda: title(app) == wanted, what=wanted)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the title: {title(app)!r}") from None
    await steady(pilot)


async def test_ctrl_g_cycles_key_events_decisions_and_todos_then_all(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: timeline_of(app).entry_count == EVENTS, what="the timeline")
        assert title(app) == "Timeline"
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · key events · 8 of {EVENTS}")
        assert all(entry.key for entry in timeline_of(app).entries)
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · decisions · 1 of {EVENTS}")
        assert texts(app)[0].startswith("Treat as SEV1")
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · TODOs/actions · 4 of {EVENTS}")
        assert {entry.kind for entry in timeline_of(app).entries} == {"todo", "action"}
        await pilot.press("ctrl+g")
        await shows(pilot, app, "Timeline")
        assert timeline_of(app).entry_count == EVENTS


async def test_a_search_shows_the_matches_highlighted_and_n_steps_between_them(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        await pilot.press("ctrl+f")
        search = command(app).query_one(TimelineSearch)
        assert search.has_focus and search.display
        await pilot.press(*"HANDSHAKE")
        await shows(pilot, app, f"Timeline · “HANDSHAKE” · 3 of {EVENTS}")
        assert all("handshake" in text for text in texts(app))
        line = timeline.render_line(0)
        matched = [segment.text for segment in line if segment.style and segment.style.underline]
        assert matched == ["handshake"]  # only the match is drawn as one
        assert line.text == TimelineView.render_line(timeline, 0).text  # and nothing else moves
        await pilot.press("enter")
        assert timeline.has_focus and timeline.cursor_index == 2
        await pilot.press("n")
        assert timeline.cursor_index == 0  # from the last match to the first
        await pilot.press("N", "N")
        assert timeline.cursor_index == 1
        chosen = timeline.cursor_entry
        assert chosen is not None
        search.focus()
        await pilot.press("escape")
        await shows(pilot, app, "Timeline")
        assert not search.display and timeline.highlight is None
        assert timeline.entry_count == EVENTS and timeline.cursor_entry == chosen  # seen in its context


async def test_a_search_matching_nothing_says_so_not_that_there_are_no_events(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        await pilot.press("ctrl+f", *"zqx%_")
        await shows(pilot, app, f"Timeline · “zqx%_” · 0 of {EVENTS}")
        assert lines(timeline)[0] == "No event matches the filter or search"
        await pilot.press("escape")
        await shows(pilot, app, "Timeline")
        assert timeline.entry_count == EVENTS


async def test_an_author_is_chosen_with_a_on_the_timeline_and_from_the_palette(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        timeline.focus()
        await pilot.press("end", "a")
        await until(pilot, lambda: isinstance(app.screen, AuthorPicker), what="the author picker")
        assert isinstance(app.screen, AuthorPicker) and app.screen.authors == ["Ana Souza", "Dana Okafor", "Lee Chen"]
        await pilot.press("enter")  # the cursor's author comes first: Lee Chen wrote the last event
        await shows(pilot, app, f"Timeline · by Lee Chen · 11 of {EVENTS}")
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · key events · by Lee Chen · 2 of {EVENTS}")

        provider = IncidentCommands(command(app))
        await provider.startup()
        by_text = {palette_command.text: palette_command for palette_command in provider.commands}
        by_text["Show only the events of Ana Souza"].run()
        await shows(pilot, app, f"Timeline · key events · by Ana Souza · 0 of {EVENTS}")
        await pilot.press("ctrl+g", "ctrl+g", "ctrl+g")  # decisions, TODOs/actions, all
        await shows(pilot, app, f"Timeline · by Ana Souza · 1 of {EVENTS}")
        provider = IncidentCommands(command(app))
        await provider.startup()
        [everyone] = [c for c in provider.commands if c.text == "Show the events of everyone"]
        everyone.run()
        await shows(pilot, app, "Timeline")
        assert ref


async def test_k_marks_and_unmarks_a_key_event_which_leaves_the_key_view(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        timeline.focus()
        await pilot.press("end")
        last = timeline.cursor_entry
        assert last is not None and not last.key
        await pilot.press("k")
        await until(pilot, lambda: timeline.entries[-1].key, what="the key mark")
        assert [r.key for r in live.event_rows(store, ref)[0] if r.seq == last.seq] == [True]
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · key events · 9 of {EVENTS}")
        timeline.focus()
        await pilot.press("end", "k")
        await shows(pilot, app, f"Timeline · key events · 8 of {EVENTS}")
        assert last.id not in {entry.id for entry in timeline.entries}
        assert [(h.revision, h.key) for h in ops.event_history(store, ref, last.seq)] == [(1, False), (2, True)]


async def test_the_event_dialog_marks_a_key_event_with_ctrl_o(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        timeline.focus()
        await pilot.press("end", "enter")
        await until(pilot, lambda: isinstance(app.screen, EventDialog), what="the event dialog")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: timeline.entries[-1].key, what="the key mark")
        seq = timeline.entries[-1].seq
        assert [r.key for r in live.event_rows(store, ref)[0] if r.seq == seq] == [True]


async def test_lines_arriving_in_a_filtered_view_join_it_when_they_match(store: Store) -> None:
    """On SQLite (the filter read with `sqlite3`) and PostgreSQL (through SQLAlchemy)."""
    ref = build_demo(store)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = timeline_of(app)
        await until(pilot, lambda: timeline.entry_count == EVENTS, what="the timeline")
        await pilot.press("ctrl+g")
        await shows(pilot, app, f"Timeline · key events · 8 of {EVENTS}")
        await type_line(pilot, "!a key line typed here")
        await type_line(pilot, "an ordinary line typed here")
        ops.log(store, ref, "!a key line from another writer")
        ops.log(store, ref, "an ordinary line from another writer")
        command(app).poll_now()
        await shows(pilot, app, f"Timeline · key events · 10 of {EVENTS + 4}")
        assert texts(app)[-2:] == ["a key line typed here", "a key line from another writer"]
        await pilot.press("ctrl+g", "ctrl+g", "ctrl+g")
        await shows(pilot, app, "Timeline")
        assert timeline.entry_count == EVENTS + 4


async def key_events(pilot: Pilot[Any]) -> None:
    await steady(pilot)
    await pilot.press("ctrl+g")
    await shows(pilot, pilot.app, f"Timeline · key events · 8 of {EVENTS}")  # type: ignore[arg-type]


def test_snapshot_key_events_120x40(snap_compare: Any, demo: tuple[Store, str]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=key_events)


def test_snapshot_key_events_80x24(snap_compare: Any, demo: tuple[Store, str]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(80, 24), run_before=key_events)


async def searched(pilot: Pilot[Any]) -> None:
    await steady(pilot)
    await pilot.press("ctrl+f", *"tls")
    await shows(pilot, pilot.app, f"Timeline · “tls” · 2 of {EVENTS}")  # type: ignore[arg-type]


def test_snapshot_search_120x40(snap_compare: Any, demo: tuple[Store, str]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=searched)


def test_snapshot_search_80x24(snap_compare: Any, demo: tuple[Store, str]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(80, 24), run_before=searched)


async def test_a_filter_the_database_cannot_read_leaves_the_view_as_it_was(
    demo: tuple[Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    import storage.lite.index

    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: timeline_of(app).entry_count == EVENTS, what="the timeline")
        notes: list[str] = []
        monkeypatch.setattr(app.screen, "notify", lambda message, **_: notes.append(message))

        def busy(*_: object, **__: object) -> None:
            raise Busy("the database is busy: another writer holds it")

        def unreadable(*_: object, **__: object) -> None:
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(storage.lite.index, "open_index", unreadable)
        monkeypatch.setattr(live, "timeline_index", busy)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: notes, what="the notification")
        assert notes == ["the database is busy: another writer holds it. The timeline shows what it showed."]
        await shows(pilot, app, "Timeline")
        assert command(app).shown == TimelineFilter() and timeline_of(app).entry_count == EVENTS


async def test_a_read_for_a_filter_no_longer_asked_for_is_not_shown(demo: tuple[Store, str]) -> None:
    from screens.messages import TimelineLoaded
    from storage.rows import Watermark

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: timeline_of(app).entry_count == EVENTS, what="the timeline")
        key = TimelineFilter("key")
        index = live.timeline_index(store, ref, store.policy.tz, shown=key)
        command(app).post_message(TimelineLoaded(index, Watermark(index.change_count), None, key))  # came late
        await steady(pilot)
        assert timeline_of(app).entry_count == EVENTS and title(app) == "Timeline"


class RemovalViews(App[None]):
    """The same entries given whole (left) and as an index (right), in the command screen's timeline."""

    def __init__(self, entries: list[TimelineEntry]) -> None:
        super().__init__()
        self.initial = entries
        self.record = Record(entries)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield IncidentTimeline(tz=BERLIN, id="whole")
            yield IncidentTimeline(tz=BERLIN, id="indexed")

    def on_mount(self) -> None:
        self.query_one("#whole", IncidentTimeline).set_entries(self.initial)
        index(self.query_one("#indexed", IncidentTimeline), self.record, self.initial)


async def test_entries_leaving_a_view_take_their_days_and_keep_the_cursor_on_its_entry() -> None:
    entries = spread(60)
    app = RemovalViews(entries)
    async with app.run_test(size=(200, 20)) as pilot:
        views = list(app.query(IncidentTimeline))
        ordered = sorted(entries, key=sort_key)
        first_day = ordered[0].at.astimezone(BERLIN).date()
        gone = {e.id for e in ordered if e.at.astimezone(BERLIN).date() == first_day} | {e.id for e in ordered[20:30]}
        kept = [e for e in ordered if e.id not in gone]
        for view in views:
            view.move_cursor(ordered[40].id)
            view.remove_entries([*gone, 999])  # 999: not shown, left alone
        await pilot.pause()
        for view in views:
            assert [e.id for e in view.entries] == [e.id for e in kept]
            assert view.day_count == len({e.at.astimezone(BERLIN).date() for e in kept})
            assert view.cursor_entry == ordered[40]
        assert lines(views[0]) == lines(views[1])
        for view in views:
            view.remove_entries([ordered[40].id])  # the cursor's own: the next one
        await pilot.pause()
        assert views[0].cursor_entry == views[1].cursor_entry == ordered[41]
