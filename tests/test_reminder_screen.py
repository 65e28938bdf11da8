"""Reminders on the command screen, with the frozen clock moved on: a `/remind` line or
Ctrl+B sets one, it says so once when due, is snoozed and dismissed from its box or the
palette (each recorded); overdue updates remind again at the policy's interval until sent
or snoozed; the IC's row offers a handover after an hour and warns after three. Snapshots
of the reminder box and the dialog at 80x24 and 120x40."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from screens.command import CommandScreen
from screens.reminders import ReminderDialog
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from tests.conftest import NOW
from tests.test_keys_and_palette import run_from_palette
from tests.test_snapshots import chain, keys, steady, typed
from tests.waiting import until
from tui.app import WarroomApp
from widgets.countdown import CountdownPanel
from widgets.reminders import ReminderPanel
from widgets.roster import RosterRow
from widgets.scribe_input import ScribeInput

Said = list[tuple[str, str, str]]


def listening(app: WarroomApp, monkeypatch: pytest.MonkeyPatch) -> tuple[Said, list[bool]]:
    """The notifications (title, message, severity; each checked to be markup=False) and
    bells the app gives from now on."""
    said: Said = []
    bells: list[bool] = []
    real = app.notify

    def notify(message: str, *, title: str = "", severity: str = "information", markup: bool = True,
               **rest: Any) -> None:
        assert markup is False, message
        said.append((title, message, severity))
        real(message, title=title, severity=severity, markup=markup, **rest)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "notify", notify)
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))
    return said, bells


def command(app: WarroomApp) -> CommandScreen:
    assert isinstance(app.screen, CommandScreen)
    return app.screen


async def enter(pilot: Pilot[None], line: str) -> None:
    scribe = pilot.app.screen.query_one(ScribeInput)
    scribe.focus()
    scribe.value = line
    await pilot.press("enter")
    await steady(pilot)


async def at(pilot: Pilot[None], clock: FrozenClock, when: Any) -> None:
    """The clock at `when` and the screen's tick come (as its timer would bring it)."""
    clock.set(when)
    command(pilot.app)._tick()  # type: ignore[arg-type]
    await pilot.pause()


def reminder_rows(app: WarroomApp) -> list[tuple[str, str, bool]]:
    panel = command(app).query_one(ReminderPanel)
    return [(row.label, row.time_text(), row.has_class("-overdue")) for row in panel.query("Countdown")]  # type: ignore[attr-defined]


async def test_a_reminder_says_so_once_when_due_then_snoozes_and_is_dismissed_from_its_box(
    demo: tuple[Store, str], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ref = demo
    # Only the reminder speaks here (the demo's overdue updates would remind too).
    store.policy = replace(store.policy, process=replace(store.policy.process, remind_overdue_every=None))
    app = WarroomApp(store)
    said, bells = listening(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = command(app).query_one(ReminderPanel)
        assert not panel.display
        await enter(pilot, "/remind 10m check the canary")
        await until(pilot, lambda: panel.items, what="the reminder shown")
        assert panel.display and reminder_rows(app) == [("check the canary", "in 10m", False)]
        (event,) = [e for e in ops.timeline(store, ref) if e.kind == "reminder"]
        assert event.text == "Remind at 15:50: check the canary"
        await at(pilot, clock, NOW + timedelta(minutes=9, seconds=30))
        assert reminder_rows(app) == [("check the canary", "in 00:30", False)] and not said
        await at(pilot, clock, NOW + timedelta(minutes=10, seconds=1))
        await at(pilot, clock, NOW + timedelta(minutes=10, seconds=2))
        assert said == [("Reminder", f"#{event.seq} check the canary", "warning")] and bells == [True]
        assert reminder_rows(app) == [("check the canary", "overdue 00:02", True)]
        panel.focus()
        await pilot.press("s")
        await until(pilot, lambda: panel.items and panel.items[0].due_at > NOW + timedelta(minutes=11),
                    what="the snooze shown")
        assert panel.items[0].due_at == NOW + timedelta(minutes=15, seconds=2)
        assert ops.timeline(store, ref)[-1].text == f"Reminder #{event.seq} snoozed to 15:55: check the canary"
        await at(pilot, clock, NOW + timedelta(minutes=15, seconds=3))
        await at(pilot, clock, NOW + timedelta(minutes=15, seconds=4))
        assert len(said) == 2 and bells == [True, True]  # due again after the snooze: said again, once
        await pilot.press("d")
        await until(pilot, lambda: not panel.items, what="the reminder dismissed")
        assert not panel.display and ops.reminders(store, ref).open == ()
        assert ops.timeline(store, ref)[-1].text == f"Reminder #{event.seq} done: check the canary"


async def test_a_bad_remind_line_stays_in_the_input_with_the_reason(demo: tuple[Store, str]) -> None:
    store, ref = demo
    before = len(ops.timeline(store, ref))
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        scribe = screen.query_one(ScribeInput)
        for line, said in (("/remind", "needs a time"), ("/remind soon", "'soon' is not a time"),
                           ("/remind 15:20 late", "'15:20' has passed (15:40 now)")):
            scribe.value = ""
            await enter(pilot, line)
            assert scribe.value == line and scribe.has_class("-error")
            error = screen.query_one("#scribe-error")
            assert error.display and said in str(error.render())
        assert not screen.query_one("#scribe-held").display
        assert len(ops.timeline(store, ref)) == before


async def test_ctrl_b_asks_for_a_reminder_and_logs_the_same_line(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(app.screen, ReminderDialog), what="the reminder dialog")
        await pilot.press(*"roll back")
        await pilot.press("escape")  # something typed: asked first, and Esc on the question keeps it
        await until(pilot, lambda: not isinstance(app.screen, ReminderDialog), what="the question")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ReminderDialog), what="the dialog again")
        assert app.screen.query_one("#what", Input).value == "roll back"
        await pilot.press("shift+tab", "ctrl+u", *"soon", "ctrl+s")
        await steady(pilot)
        assert isinstance(app.screen, ReminderDialog)  # refused: kept open, what was typed kept
        assert "'soon' is not a time" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("ctrl+u", *"25", "tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the dialog closed")
        await until(pilot, lambda: ops.reminders(store, ref).open, what="the reminder logged")
        (reminder,) = ops.reminders(store, ref).open
        assert (reminder.text, reminder.due_at) == ("roll back", NOW + timedelta(minutes=25))
        assert ops.timeline(store, ref)[-1].text == "Remind at 16:05: roll back"


async def test_a_reminder_set_elsewhere_shows_and_the_palette_dismisses_it(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = command(app).query_one(ReminderPanel)
        event = ops.log(store, ref, "/remind 30m call the vendor", author="Lee Chen")  # another terminal
        await until(pilot, lambda: panel.items, what="the reminder from elsewhere")
        assert reminder_rows(app) == [("call the vendor", "in 30m", False)]
        await run_from_palette(pilot, app, "snooze rem", f"Snooze reminder #{event.seq} call the vendor")
        await until(pilot, lambda: ops.reminders(store, ref).open[0].snoozed, what="the snooze recorded")
        await run_from_palette(pilot, app, "reminder done", f"Reminder done: #{event.seq}")
        await until(pilot, lambda: not panel.items, what="the reminder dismissed")
        assert ops.reminders(store, ref).open == ()


async def test_an_overdue_update_reminds_again_every_five_minutes_until_snoozed(
    demo: tuple[Store, str], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    said, _bells = listening(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        internal = command(app).query_one(CountdownPanel).countdown("internal")
        due = internal.due_at
        assert due is not None

        def about_internal() -> list[tuple[str, str, str]]:
            return [s for s in said if s[1].startswith("Internal update")]

        await at(pilot, clock, due + timedelta(seconds=1))
        assert about_internal() == [("Update overdue", "Internal update is due now.", "error")]
        await at(pilot, clock, due + timedelta(minutes=4, seconds=59))
        assert len(about_internal()) == 1
        await at(pilot, clock, due + timedelta(minutes=5, seconds=1))
        await at(pilot, clock, due + timedelta(minutes=5, seconds=2))
        assert about_internal()[1:] == [
            ("Update overdue", "Internal update is still due (overdue 5m).", "warning")
        ]
        await at(pilot, clock, due + timedelta(minutes=10))
        assert len(about_internal()) == 3
        await run_from_palette(pilot, app, "snooze internal", "Snooze reminders: Internal update overdue")
        await until(pilot, lambda: command(app).view.reminders.quiet_until, what="the snooze shown")  # type: ignore[union-attr]
        assert ops.reminders(store, ref).quiet_until == {"internal": due + timedelta(minutes=25)}
        for minutes in (15, 20, 24):
            await at(pilot, clock, due + timedelta(minutes=minutes))
        assert len(about_internal()) == 3
        await at(pilot, clock, due + timedelta(minutes=25))
        assert len(about_internal()) == 4
        ops.record_status_update(store, ref, channel="internal", kind="update")  # sent: no more
        await until(pilot, lambda: internal.due_at != due, what="the countdown reset")
        await at(pilot, clock, due + timedelta(minutes=30))
        assert len(about_internal()) == 4


async def test_the_ic_row_offers_a_handover_after_an_hour_and_warns_after_three(
    demo: tuple[Store, str], clock: FrozenClock
) -> None:
    store, _ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        ic = next(row for row in command(app).query(RosterRow) if row.role.key == "ic")
        since = ic.role.holders[0].since
        assert ic.handover_mark is None
        await at(pilot, clock, since + timedelta(minutes=59, seconds=59))
        assert ic.handover_mark is None
        await at(pilot, clock, since + timedelta(hours=1))
        assert ic.handover_mark == ("held 1h 00m · offer a handover", False)
        assert "offer a handover" in str(ic.render())
        await at(pilot, clock, since + timedelta(hours=3, minutes=1))
        assert ic.handover_mark == ("held 3h 01m · hand over now", True)
        assert command(app).query_one("RoleRoster").next_change(clock.now()) <= 60.001  # type: ignore[attr-defined]
        from storage import checklists

        checklists.resolve(store, _ref, force=True)
        command(app).poll_now()
        await until(pilot, lambda: ic.handover_mark is None, what="no handover offered once resolved")


def with_reminders(store: Store, ref: str) -> None:
    ops.log(store, ref, "/remind 10m check the canary https://grafana.example.com/d/canary")
    ops.log(store, ref, "/remind 4m page the database team if p99 stays above 2s", author="Lee Chen")
    ops.log(store, ref, "/remind 5m roll back payments-api", entered_at=NOW - timedelta(minutes=12))


async def _focus_reminders(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: pilot.app.screen.query_one(ReminderPanel).items, what="the reminders")
    pilot.app.screen.query_one(ReminderPanel).focus()
    await steady(pilot)


SNAPSHOT_FLOWS = {
    "reminder box": chain(keys(), _focus_reminders),
    "reminder dialog": chain(keys("ctrl+b", screen="ReminderDialog"), typed("check the canary")),
}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("flow", list(SNAPSHOT_FLOWS), ids=[name.replace(" ", "_") for name in SNAPSHOT_FLOWS])
def test_snapshot(snap_compare: Any, demo: tuple[Store, str], flow: str, size: tuple[int, int]) -> None:
    store, ref = demo
    with_reminders(store, ref)
    assert snap_compare(WarroomApp(store), terminal_size=size, run_before=SNAPSHOT_FLOWS[flow])


def test_snapshot_of_an_ic_past_the_hour(snap_compare: Any, demo: tuple[Store, str], clock: FrozenClock) -> None:
    store, _ref = demo
    clock.advance(minutes=20)  # Dana took the role 46 minutes before NOW
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=keys())
