"""The Enter path and the idle screen: a line entered is shown from what its write
returned and never read back, the watcher reads nothing while nothing changes, and neither
a new line nor a clock tick lays the screen out again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widget import Widget

import screens.watcher
import screens.writer
from screens.command import CommandScreen
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.outbox import ChangeProbe, Outbox
from tests.conftest import NOW
from tests.waiting import until
from tui.app import WarroomApp
from widgets.countdown import CountdownPanel
from widgets.incident_header import IncidentHeader
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineEntry, TimelineView


def declare(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref


class Statements:
    """The SQL statements the store's engine runs, with the thread that ran each; the
    threads that made writes from the outbox are `writers`."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []
        self.writers: set[int] = set()

    def __call__(self, conn: object, cursor: object, statement: str, *_: object) -> None:
        self.seen.append((threading.get_ident(), statement))

    def reads_outside_the_writer(self) -> list[str]:
        """SELECTs run by anything but the outbox, other than the change-count check."""
        return [
            statement
            for thread, statement in self.seen
            if thread not in self.writers
            and statement.lstrip().upper().startswith("SELECT")
            and "incident.change_count" not in statement
        ]


@pytest.fixture
def statements(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    found = Statements()
    original = Outbox._write

    def write(self: Outbox, *args: Any) -> None:
        found.writers.add(threading.get_ident())
        original(self, *args)

    monkeypatch.setattr(Outbox, "_write", write)
    sa.event.listen(store.engine, "before_cursor_execute", found)
    yield found
    sa.event.remove(store.engine, "before_cursor_execute", found)


@pytest.fixture
def polls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each of the watcher's probes answered, in order."""
    answers: list[bool] = []
    original = ChangeProbe.changed

    def changed(self: ChangeProbe) -> bool:
        answer = original(self)
        answers.append(answer)
        return answer

    monkeypatch.setattr(ChangeProbe, "changed", changed)
    monkeypatch.setattr(screens.watcher, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(screens.watcher, "QUIET_POLL_SECONDS", 0.05)  # where the kernel says when written
    return answers


async def polled(pilot: Pilot[Any], polls: list[bool], times: int = 3) -> None:
    """Wait for the watcher to poll `times` more times."""
    target = len(polls) + times
    await until(pilot, lambda: len(polls) >= target, what=f"{times} more polls")
    await pilot.pause()


def shown(screen: CommandScreen, text: str) -> int:
    """How many timeline entries have `text`."""
    return sum(1 for entry in screen.query_one(TimelineView).entries if entry.text == text)


async def opened(pilot: Pilot[Any], polls: list[bool]) -> CommandScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CommandScreen)
    await until(pilot, lambda: screen.writer is not None and len(polls) >= 2, what="the incident open and polled")
    await polled(pilot, polls)
    return screen


async def test_a_line_entered_is_shown_from_its_write_and_never_read_back(
    store: Store, statements: Statements, polls: list[bool]
) -> None:
    ref = declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        statements.seen.clear()
        scribe = screen.query_one(ScribeInput)
        scribe.value = "db restarted"
        await pilot.press("enter")
        await until(pilot, lambda: shown(screen, "db restarted"), what="the line on screen")
        await polled(pilot, polls)
        assert statements.writers, "the line was written by the outbox"
        assert statements.reads_outside_the_writer() == []
        assert shown(screen, "db restarted") == 1
        assert [e.text for e in ops.timeline(store, ref)][-1] == "db restarted"


async def test_an_idle_watcher_reads_nothing(store: Store, statements: Statements, polls: list[bool]) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        await opened(pilot, polls)
        statements.seen.clear()
        await polled(pilot, polls, times=5)
        ran = [statement for _, statement in statements.seen]
        if store.dialect == "sqlite":
            assert ran == []  # one PRAGMA data_version a poll, on the driver's connection
        else:
            assert ran and all("incident.change_count" in s or s.startswith("BEGIN") for s in ran)


async def test_lines_from_another_writer_still_appear_once_in_order(store: Store, polls: list[bool]) -> None:
    ref = declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        ops.log(store, ref, "from the other process")  # a change this screen has not seen
        scribe = screen.query_one(ScribeInput)
        scribe.value = "typed here"
        await pilot.press("enter")
        await until(pilot, lambda: shown(screen, "typed here"), what="the line typed")
        await until(pilot, lambda: shown(screen, "from the other process"), what="the other writer's line")
        ops.log(store, ref, "and another")
        await until(pilot, lambda: shown(screen, "and another"), what="a later line of the other writer")
        await polled(pilot, polls)
        texts = [entry.text for entry in screen.query_one(TimelineView).entries]
        assert texts[-3:] == ["from the other process", "typed here", "and another"]
        assert texts == [event.text for event in ops.timeline(store, ref)]


class LayoutSpy:
    """Every `refresh(layout=True)` of any widget, and the widgets repainted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.layouts: list[Widget] = []
        self.repainted: list[Widget] = []
        original = Widget.refresh

        def refresh(widget: Widget, *regions: Any, **kwargs: Any) -> Widget:
            if kwargs.get("layout"):
                self.layouts.append(widget)
            elif kwargs.get("repaint", True):
                self.repainted.append(widget)
            return original(widget, *regions, **kwargs)

        monkeypatch.setattr(Widget, "refresh", refresh)

    def clear(self) -> None:
        self.layouts.clear()
        self.repainted.clear()


async def test_a_tick_repaints_the_clocks_that_changed_without_a_layout(
    store: Store, clock: FrozenClock, polls: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        header = screen.query_one(IncidentHeader)
        panel = screen.query_one(CountdownPanel)
        spy = LayoutSpy(monkeypatch)
        for _ in range(3):
            clock.advance(seconds=60)  # the clocks far from a deadline change once a minute
            screen._tick()
            await pilot.pause()
        assert spy.layouts == []
        assert header in spy.repainted
        idle = [c for c in panel.countdowns.values() if not c.display or c.due_at is None]
        running = [c for c in panel.countdowns.values() if c.display and c.due_at is not None]
        assert running, "the demo policy runs a countdown"
        assert all(c in spy.repainted for c in running)
        assert not any(c in spy.repainted for c in idle)  # `—` does not change; hidden is not drawn
        assert header.clock_text() == "3m"


async def test_a_tick_that_widens_the_clock_lays_out_only_if_the_header_wraps(
    store: Store, clock: FrozenClock, polls: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        header = screen.query_one(IncidentHeader)
        spy = LayoutSpy(monkeypatch)
        clock.set(NOW + timedelta(hours=10))  # 9h 59m to 10h 00m: one character wider
        screen._tick()
        await pilot.pause()
        assert header.clock_text() == "10h 00m"
        assert spy.layouts == [] and header.region.height == 1


def entry(number: int, at: datetime) -> TimelineEntry:
    return TimelineEntry(number, number, at + timedelta(seconds=number), "note", "lee", f"line {number}")


async def test_appending_a_line_repaints_the_timeline_without_a_layout(
    store: Store, polls: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        timeline = screen.query_one(TimelineView)
        timeline.set_entries([entry(n, NOW) for n in range(1, 200)])
        await pilot.pause()
        size, region = timeline.size, timeline.region
        spy = LayoutSpy(monkeypatch)
        timeline.upsert([entry(200, NOW)])
        timeline.show_newest()
        await pilot.pause()
        assert spy.layouts == []
        assert timeline.virtual_size == Size(0, 200)
        assert timeline.is_vertical_scroll_end and timeline.cursor_entry == entry(200, NOW)
        assert (timeline.size, timeline.region) == (size, region)
        assert "line 200" in timeline.render_line(timeline.scrollable_content_region.height - 1).text


async def test_typing_and_entering_lay_out_nothing_but_the_input(
    store: Store, polls: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        await pilot.press("x", "backspace")  # the first change shows the hidden panels' state once
        await pilot.pause()
        spy = LayoutSpy(monkeypatch)
        await pilot.press(*"db up", "enter")
        await until(pilot, lambda: shown(screen, "db up"), what="the line on screen")
        await polled(pilot, polls)
        assert spy.layouts == []  # not even the input, whose text changes width (see ScribeInput)


@pytest.mark.parametrize(("write_seconds", "hold_seconds"), [(0.01, 0.5), (0.3, 0.05)])
async def test_drawing_waits_for_the_line_entered_a_moment_at_most(
    store: Store, polls: list[bool], monkeypatch: pytest.MonkeyPatch, write_seconds: float, hold_seconds: float
) -> None:
    """From Enter, the app draws nothing until the line's write is reported and shown, so
    the line and the input emptied are drawn in one frame (the emptied input alone would
    take one, and Textual draws the next 17 to 33 ms after it); a write slower than
    `PAINT_HOLD_SECONDS` (here `hold_seconds`, the loaded test machine's) holds nothing
    longer."""
    monkeypatch.setattr(screens.writer, "PAINT_HOLD_SECONDS", hold_seconds)
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        scribe = screen.query_one(ScribeInput)
        log_line = Outbox._log_line

        def slow_log_line(outbox: Outbox, line: Any) -> Any:
            time.sleep(write_seconds)
            return log_line(outbox, line)

        monkeypatch.setattr(Outbox, "_log_line", slow_log_line)
        held_when_shown: list[bool] = []
        on_line_written = CommandScreen.on_line_written

        def line_written(shown_on: CommandScreen, message: Any) -> None:
            on_line_written(shown_on, message)
            held_when_shown.append(app._batch_count > 0)

        monkeypatch.setattr(CommandScreen, "on_line_written", line_written)
        held_when_entered: list[bool] = []
        on_input_submitted = CommandScreen.on_input_submitted

        def input_submitted(entered_on: CommandScreen, message: Any) -> None:
            on_input_submitted(entered_on, message)
            held_when_entered.append(app._batch_count > 0)

        monkeypatch.setattr(CommandScreen, "on_input_submitted", input_submitted)
        scribe.value = "db up"
        await pilot.press("enter")
        assert scribe.value == ""
        if write_seconds > hold_seconds:
            await pilot.pause(hold_seconds + 0.05)
            assert app._batch_count == 0 and not shown(screen, "db up")  # drawn meanwhile, emptied
        await until(pilot, lambda: shown(screen, "db up"), what="the line on screen")
        await pilot.pause()
        assert held_when_entered == [True]
        assert held_when_shown == [write_seconds < hold_seconds]
        assert app._batch_count == 0


@pytest.mark.parametrize("settles", [False, True])
async def test_the_warroom_app_leaves_start_up_out_of_later_garbage_collections(
    store: Store, polls: list[bool], settles: bool
) -> None:
    """The `warroom` command's app freezes what start-up made once the incident is shown (a
    full collection over it fell while the scribe typed); an app made by a test does not
    (tests run many apps in one process, which would then never be collected)."""
    import gc

    declare(store)
    app = WarroomApp(store)
    app.settles_heap = settles
    before = gc.get_freeze_count()
    try:
        async with app.run_test(size=(140, 42)) as pilot:
            await opened(pilot, polls)
            await pilot.pause()
            assert (gc.get_freeze_count() > before) == settles
    finally:
        gc.unfreeze()
        gc.freeze()  # as the suite's start froze it (tests/conftest.py), this app's objects with it


async def test_the_clocks_tick_when_what_they_show_changes_not_every_second(
    store: Store, clock: FrozenClock, polls: list[bool]
) -> None:
    """Far from any deadline the next tick is the next minute; a line waiting to be written
    brings it within a second; near a deadline it is every second."""
    ref = declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await opened(pilot, polls)
        panel = screen.query_one(CountdownPanel)
        soonest = panel.next_change(clock.now())
        assert soonest is not None and soonest > 5  # the demo policy's deadlines are minutes away
        assert screen._tick_due - time.monotonic() > 5
        screen._queue_lines([])  # nothing to write: nothing changes
        screen.send_change("Severity SEV1", ops.change_severity, 1)
        assert screen._tick_due - time.monotonic() <= 1.01  # a change waiting shows as waiting
        await until(pilot, lambda: not screen.unsaved_changes, what="the change written")
        due = min(c.due_at for c in panel.countdowns.values() if c.display and c.due_at is not None)
        clock.set(due - timedelta(seconds=90))  # now near a deadline
        screen._tick()
        assert screen._tick_due - time.monotonic() <= 1.01
        assert ops.get_incident(store, ref).severity == 1
