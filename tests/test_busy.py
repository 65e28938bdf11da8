"""A database held by another writer: the scribe sees "not saved yet, retrying", keeps
typing, and every entered line is written, in order, once the database is free."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import storage.outbox
from screens.command import CommandScreen
from storage import db, live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.drafts import Drafts, PendingLine
from storage.errors import Busy, InvalidInput
from storage.policy import Policy
from tests.conftest import NOW
from tui.app import WarroomApp
from widgets.held_lines import HeldLines
from widgets.scribe_input import ScribeInput


@pytest.fixture(autouse=True)
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers give up on a held lock after 0.3 s instead of 5 s, so the test is quick."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)


@contextmanager
def write_lock_held(url: str, ref: str, policy: Policy, clock: FrozenClock) -> Iterator[None]:
    """Another writer holds the incident (SQLite: the database's write lock; PostgreSQL:
    the incident's row) until the block ends."""
    with Store(url, policy=policy, clock=clock) as other, other.write() as session:
        ops.find_incident(session, ref, lock=True)
        yield


def texts(store: Store, ref: str) -> list[str]:
    rows, _ = live.event_rows(store, ref)
    return [row.text for row in rows]


async def until(pilot: Pilot[None], condition: object, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():  # type: ignore[operator]
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


def test_a_held_lock_is_reported_as_busy(store: Store, policy: Policy, clock: FrozenClock) -> None:
    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    with write_lock_held(store.url, ref, policy, clock), pytest.raises(Busy, match="busy: another writer holds it"):
        ops.log(store, ref, "waits for the lock")
    ops.log(store, ref, "after the lock")
    assert texts(store, ref)[-1] == "after the lock"


async def test_busy_database_keeps_the_lines_and_writes_them_when_free(
    store: Store, policy: Policy, clock: FrozenClock
) -> None:
    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        held: CommandScreen = screen  # stays narrowed inside the lambdas below
        scribe = screen.query_one(ScribeInput)
        waiting = screen.query_one("#scribe-waiting", Static)
        with write_lock_held(store.url, ref, policy, clock):
            await pilot.press(*"rolled back deploy 4711", "enter")
            await until(pilot, lambda: waiting.display and "busy" in str(waiting.render()))
            shown = str(waiting.render())
            assert "Not saved yet, retrying" in shown and "rolled back deploy 4711" in shown
            assert scribe.value == "" and app.screen is screen  # no crash, no dialog, typing goes on
            await pilot.press(*"/decision keep the old version", "enter")
            assert held.unsaved_lines == ("rolled back deploy 4711", "/decision keep the old version")
            assert "2 lines kept" in str(waiting.render())
            assert Drafts(store.url).load_pending(ref)  # on disk too, should the process stop now
        await until(pilot, lambda: not held.unsaved_lines)
        await pilot.pause()
        assert not waiting.display
        assert texts(store, ref)[-2:] == ["rolled back deploy 4711", "keep the old version"]
        timeline = [entry.text for entry in screen.query_one("#timeline").entries]  # type: ignore[attr-defined]
        assert timeline[-2:] == ["rolled back deploy 4711", "keep the old version"]
        assert Drafts(store.url).load_pending(ref) == []


async def test_a_line_written_late_keeps_the_time_it_was_entered(
    store: Store, policy: Policy, clock: FrozenClock
) -> None:
    # declared before the line's time, which therefore needs no confirmation
    ref = ops.declare(
        store, severity=2, functionality="checkout", state="slow", audience="all", at=NOW - timedelta(minutes=20)
    ).ref
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        with write_lock_held(store.url, ref, policy, clock):
            await pilot.press(*"@-5m cache flushed", "enter")
            await pilot.press(*"traffic back", "enter")
            clock.advance(timedelta(minutes=3))  # the database stays held for minutes
        await until(pilot, lambda: not screen.unsaved_lines)
    rows, _ = live.event_rows(store, ref)
    at = {row.text: row.at for row in rows}
    assert at["cache flushed"] == NOW - timedelta(minutes=5)
    assert at["traffic back"] == NOW


async def test_lines_entered_before_a_stop_are_written_once(store: Store) -> None:
    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    ops.log(store, ref, "/action written before the stop", entered_at=NOW)
    Drafts(store.url).save_pending(
        ref,
        [PendingLine("/action written before the stop", NOW), PendingLine("not written yet", NOW)],
    )
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await until(pilot, lambda: not screen.unsaved_lines)
    assert texts(store, ref)[-2:] == ["written before the stop", "not written yet"]
    assert Drafts(store.url).load_pending(ref) == []


async def test_a_line_refused_when_written_is_set_aside_with_the_reason(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise InvalidInput("the incident was closed meanwhile")

    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        monkeypatch.setattr(ops, "log", refuse)
        monkeypatch.setattr(storage.outbox, "lite_log_line", refuse)  # SQLite's writer
        await pilot.press(*"late note", "enter")
        await until(pilot, lambda: not screen.unsaved_lines)
        await pilot.pause()
        assert screen.query_one(ScribeInput).value == ""  # free for the next line
        held = screen.query_one(HeldLines)
        assert [entry.text for entry in held.entries] == ["late note"]
        assert "closed meanwhile" in str(held.render())


@pytest.mark.parametrize("behind_a_line", [True, False])
async def test_a_change_made_while_busy_waits_its_turn_and_keeps_its_time(
    store: Store, policy: Policy, clock: FrozenClock, behind_a_line: bool
) -> None:
    from screens.pickers import SeverityPicker
    from widgets.incident_header import IncidentHeader

    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        waiting = screen.query_one("#scribe-waiting", Static)
        with write_lock_held(store.url, ref, policy, clock):
            if behind_a_line:
                await pilot.press(*"checkout errors at 40%", "enter")
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, SeverityPicker)
            await pilot.press("enter")  # the first choice that is not current: SEV1
            await until(pilot, lambda: app.screen is screen)
            assert screen.unsaved_changes == ("Severity SEV1",)  # behind the line, if any: in order
            await until(pilot, lambda: "busy" in str(waiting.render()))
            assert f"{2 if behind_a_line else 1} change" in str(waiting.render())
            clock.advance(timedelta(minutes=2))
        await until(pilot, lambda: not screen.unsaved_changes and not screen.unsaved_lines)
        await until(pilot, lambda: screen.query_one(IncidentHeader).severity == 1)
    assert ops.get_incident(store, ref).severity == 1
    rows, _ = live.event_rows(store, ref)
    expected = [("note", NOW), ("severity", NOW)] if behind_a_line else [("severity", NOW)]
    assert [(row.kind, row.at) for row in rows if row.kind in ("note", "severity")] == expected


async def test_a_tick_refused_after_the_checklist_closed_is_still_reported(
    store: Store, policy: Policy, clock: FrozenClock
) -> None:
    """Space on a step, then Escape at once, while another writer holds the database: the
    tick is refused (the checklist does not retry) after its screen has gone; the refusal
    must still be shown, not dropped with the screen."""
    from textual.widgets import OptionList

    from screens.checklist import ChecklistScreen
    from storage import checklists

    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ChecklistScreen))
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        steps = checklist.query_one("#steps", OptionList)
        steps.highlighted = [s.key for s in checklists.process_checklist(store, ref)].index("triage")
        with write_lock_held(store.url, ref, policy, clock):
            checklist.action_tick()
            checklist.action_close()
            await until(pilot, lambda: app.screen is screen)
            await pilot.pause(0.6)  # the lock wait (0.3 s) runs out: the tick is refused
        triage = next(s for s in checklists.process_checklist(store, ref) if s.key == "triage")
        assert not triage.done
        await until(pilot, lambda: any("busy" in str(n.message) for n in app._notifications))


async def test_a_change_waiting_when_another_incident_is_opened_is_written_or_reported(
    store: Store, policy: Policy, clock: FrozenClock
) -> None:
    from screens.pickers import SeverityPicker

    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref
    other = ops.declare(store, severity=3, functionality="search", state="slow", audience="all").ref
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        with write_lock_held(store.url, ref, policy, clock):
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, SeverityPicker))
            await pilot.press("enter")  # SEV1
            await until(pilot, lambda: app.screen is screen)
            assert screen.unsaved_changes == ("Severity SEV1",)
            app.open_incident(other)  # the palette's "Open inc-…", or the incident list
            await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen is not screen)
            await pilot.pause(1.0)  # the database stays held a while longer
        await pilot.pause(1.0)
        reported = any("SEV1" in str(n.message) for n in app._notifications)
        assert ops.get_incident(store, ref).severity == 1 or reported
