"""The command screen: logging, backdating, refusals, roles, severity, countdowns, live refresh."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList

from screens.command import CommandScreen
from screens.event import EventDialog
from screens.incident_list import IncidentListScreen
from screens.pickers import HandoverDialog, SeverityPicker, UpdatePicker
from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.policy import Policy
from tests.conftest import NOW
from tests.waiting import until
from tui.app import WarroomApp
from widgets.countdown import Countdown, CountdownPanel
from widgets.incident_header import IncidentHeader
from widgets.roster import RoleRoster, RosterRow
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView


def command(app: WarroomApp) -> CommandScreen:
    screen = app.screen
    assert isinstance(screen, CommandScreen)
    return screen


async def written(pilot: Pilot[None]) -> None:
    """Wait until the lines entered on the command screen are in the record."""
    screen = command(pilot.app)  # type: ignore[arg-type]
    for _ in range(500):
        if not screen.unsaved_lines:
            break
        await pilot.pause(0.01)
    assert not screen.unsaved_lines
    await pilot.pause()


async def type_line(pilot: Pilot[None], line: str) -> None:
    scribe = pilot.app.screen.query_one(ScribeInput)
    scribe.focus()
    scribe.value = line
    await pilot.press("enter")
    await written(pilot)


async def event_dialog_of_a_new_line(app: WarroomApp, pilot: Pilot[None], line: str) -> EventDialog:
    """Log `line` from the scribe line and open its event dialog from the timeline."""

    await type_line(pilot, line)
    command(app).query_one(TimelineView).focus()
    await pilot.press("end", "enter")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, EventDialog)
    return dialog


async def test_logging_a_line_shows_it_at_once_and_clears_the_input(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        assert screen.ref == ref and screen.focused is screen.query_one(ScribeInput)
        await type_line(pilot, "!/decision fail over to eu-central")
        last = screen.query_one(TimelineView).entries[-1]
        assert (last.kind, last.key, last.text) == ("decision", True, "fail over to eu-central")
        assert screen.query_one(ScribeInput).value == ""
        assert ops.timeline(store, ref)[-1].text == "fail over to eu-central"


async def test_backdated_line_lands_in_time_order(demo: tuple[Store, str]) -> None:
    store, _ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "@-20m gateway alarms paged the on-call")
        entries = list(command(app).query_one(TimelineView).entries)
        backdated = next(e for e in entries if e.text == "gateway alarms paged the on-call")
        assert backdated.at == NOW - timedelta(minutes=20)
        assert [e.at for e in entries] == sorted(e.at for e in entries)
        assert entries[-1] is not backdated


async def test_a_refused_line_is_set_aside_with_its_reason_and_recalled_to_fix(demo: tuple[Store, str]) -> None:
    store, ref = demo
    before = len(ops.timeline(store, ref))
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "/bogus keep me")
        screen = command(app)
        scribe = screen.query_one(ScribeInput)
        assert scribe.value == ""
        held = screen.query_one("#scribe-held")
        assert held.display and "unknown command '/bogus'" in str(held.render())
        assert len(ops.timeline(store, ref)) == before
        await pilot.press("ctrl+r")
        assert scribe.value == "/bogus keep me"
        assert scribe.has_class("-error")
        error = screen.query_one("#scribe-error")
        assert error.display and "unknown command '/bogus'" in str(error.render())
        await pilot.press("x")
        assert not error.display


async def test_up_recalls_earlier_lines(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "first line")
        await type_line(pilot, "second line")
        await pilot.press("up")
        assert command(app).query_one(ScribeInput).value == "second line"
        await pilot.press("up")
        assert command(app).query_one(ScribeInput).value == "first line"


async def test_role_handover_from_the_roster_keeps_history(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        roster = screen.query_one(RoleRoster)
        roster.focus()
        roster.cursor = 0
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, HandoverDialog)
        await pilot.press(*"Priya Natarajan")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        await until(
            pilot, lambda: screen.query_one(IncidentHeader).commander == "Priya Natarajan", what="the new IC shown"
        )
        ic = next(r for r in roster.roles if r.key == "ic")
        assert [h.person for h in ic.holders] == ["Priya Natarajan"]
        assert screen.query_one(IncidentHeader).commander == "Priya Natarajan"
        history = [(h.person, h.ended_at) for h in ops.role_history(store, ref) if h.role == "ic"]
        assert history == [("Dana Okafor", NOW), ("Priya Natarajan", None)]


async def test_handover_dialog_refuses_a_bad_time_and_keeps_the_name(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, HandoverDialog)
        await pilot.press(*"Priya", "tab", "tab", *"25:99", "enter")
        await pilot.pause()
        assert app.screen is dialog
        assert dialog.query_one("#person").value == "Priya"  # type: ignore[attr-defined]
        assert "not a time" in str(dialog.query_one(".dialog-error").render())


async def test_severity_change_recomputes_the_countdowns(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        panel = screen.query_one(CountdownPanel)
        sev1_due = panel.countdown("checkin").due_at
        assert sev1_due is not None
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SeverityPicker)
        await pilot.press("enter")  # the first choice that is not current: SEV2
        await until(pilot, lambda: screen.query_one(IncidentHeader).severity == 2, what="SEV2 in the header")
        assert ops.get_incident(store, ref).severity == 2
        assert panel.countdown("checkin").due_at == sev1_due - timedelta(minutes=20) + timedelta(minutes=50)
        assert screen.query_one(TimelineView).entries[-1].kind == "severity"


async def test_countdown_expires_once_and_recording_an_update_resets_it(
    demo: tuple[Store, str], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ref = demo
    # Only the expiry rings here: the reminders of updates left overdue are in test_reminder_screen.py.
    store.policy = replace(store.policy, process=replace(store.policy.process, remind_overdue_every=None))
    app = WarroomApp(store)
    bells: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))
    expired: dict[int, str] = {}  # by message: a bubbling message is seen once per node

    def seen(message: object) -> None:
        if isinstance(message, Countdown.Expired):
            expired[id(message)] = message.countdown.name or ""

    async with app.run_test(size=(120, 40), message_hook=seen) as pilot:
        screen = command(app)
        internal = screen.query_one(CountdownPanel).countdown("internal")
        due = internal.due_at
        assert due is not None and not internal.has_class("-overdue")
        clock.set(due - timedelta(minutes=4))
        screen._tick()
        await pilot.pause()
        assert internal.has_class("-warning")
        clock.set(due + timedelta(seconds=1))
        screen._tick()
        await pilot.pause()
        screen._tick()
        await pilot.pause()
        assert internal.has_class("-overdue")
        assert list(expired.values()) == ["internal"] and bells == [True]
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, UpdatePicker)
        await pilot.press("down", "down", "enter")  # Internal: update sent
        await until(pilot, lambda: internal.due_at == clock.now() + timedelta(minutes=30), what="the countdown reset")
        assert internal.due_at == clock.now() + timedelta(minutes=30)
        assert not internal.has_class("-overdue")
        assert [u.kind for u in ops.status_updates(store, ref)][-1] == "update"


async def test_another_process_shows_up_without_a_key(
    demo: tuple[Store, str], policy: Policy, clock: FrozenClock
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        with Store(store.url, policy=policy, clock=clock) as other:
            ops.log(other, ref, "written by a second warroom", author="Lee Chen")
            ops.assign_role(other, ref, "deputy", "Omar Haddad")
        for _ in range(20):
            await pilot.pause(0.1)
            if screen.query_one(TimelineView).entries[-1].text == "Omar Haddad is Deputy":
                break
        texts = [e.text or "" for e in screen.query_one(TimelineView).entries]
        assert texts[-2:] == ["written by a second warroom", "Omar Haddad is Deputy"]
        deputy = next(r for r in screen.query_one(RoleRoster).roles if r.key == "deputy")
        assert [h.person for h in deputy.holders] == ["Omar Haddad"]


async def test_the_line_being_typed_survives_a_restart(demo: tuple[Store, str]) -> None:
    store, _ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"half a thou")
    again = WarroomApp(store)
    async with again.run_test(size=(120, 40)) as pilot:
        assert command(again).query_one(ScribeInput).value == "half a thou"
        await type_line(pilot, "half a thought, finished")
    third = WarroomApp(store)
    async with third.run_test(size=(120, 40)):
        assert command(third).query_one(ScribeInput).value == ""


async def test_user_text_is_literal(demo: tuple[Store, str]) -> None:
    store, ref = demo
    ops.log(store, ref, "[bold]x[/bold] [@click=app.quit]q[/] \x1b[31mred")
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = command(app).query_one(TimelineView)
        rendered = [timeline.render_line(y).text for y in range(timeline.size.height)]
        assert any("[bold]x[/bold] [@click=app.quit]q[/]" in line for line in rendered)
        assert not any("\x1b" in line for line in rendered)
        await pilot.click(TimelineView)
        assert app.is_running


async def test_incident_list_filters_and_opens(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        listing = app.screen
        assert isinstance(listing, IncidentListScreen)
        table = listing.query_one("#incidents")
        assert table.row_count == 2  # type: ignore[attr-defined]
        listing.query_one("#status").value = "open"  # type: ignore[attr-defined]
        await pilot.pause()
        assert table.row_count == 1  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert command(app).ref == ref


async def test_declare_from_the_list(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing typed yet: refused, the dialog stays
        await pilot.pause()
        assert "functionality is required" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press(*"search", "tab", *"slow", "tab", *"all customers")
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen = command(app)
        assert screen.ref is not None
        assert live.incident_view(store, screen.ref).title == "search is slow for all customers"


async def test_help_lists_every_key(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        keys = {key.lower() for key, _ in app.screen.key_rows}  # type: ignore[attr-defined]
        assert {"f2", "f3", "f4", "f5", "f6", "f7", "f1", "ctrl+p", "^q"} <= keys
        times = str(app.screen.query_one("#help-times").render())
        assert "F7" in times and "UTC" in times and "date heads each day" in times
        await pilot.press("escape")
        assert isinstance(app.screen, CommandScreen)


def drawn(widget: Widget) -> list[str]:
    """Every line the widget draws, its border (and the titles on it) included."""
    width, height = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def roster_lines(roster: RoleRoster) -> list[str]:
    """The lines the roster's rows draw."""
    return [line for row in roster.query(RosterRow) for line in drawn(row)]


async def test_f7_switches_every_time_on_the_screen_and_names_the_zone(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        timeline, roster = screen.query_one(TimelineView), screen.query_one(RoleRoster)
        await pilot.pause()
        assert "times in Europe/Berlin" in drawn(timeline)[-1]
        declared = next(line for line in drawn(timeline) if "Declared" in line)
        assert "#1 14:54:00 " in declared  # 46 minutes before 15:40 in Berlin
        assert any("Dana Okafor" in line and line.rstrip(" │").endswith("since 14:54") for line in roster_lines(roster))
        internal = screen.query_one(CountdownPanel).countdown("internal")
        line = drawn(internal)[0].strip()
        assert line.startswith("Internal update") and line.endswith(" in 16m")  # time left, not 15:56

        await pilot.press("f7")
        await pilot.pause()
        assert "times in UTC" in drawn(timeline)[-1]
        assert "#1 13:54:00Z " in next(line for line in drawn(timeline) if "Declared" in line)
        assert any(
            "Dana Okafor" in line and line.rstrip(" │").endswith("since 13:54Z") for line in roster_lines(roster)
        )
        assert drawn(internal)[0].rstrip().endswith("in 16m")  # a time left is in no zone

        await pilot.press("f7")
        await pilot.pause()
        assert "times in Europe/Berlin" in drawn(timeline)[-1]
        assert any(line.rstrip(" │").endswith("since 14:54") for line in roster_lines(roster))


async def test_an_incident_across_midnight_shows_each_day(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        # Sunday 19:40 in Berlin to Monday 15:40 (now): two days.
        ref = ops.declare(
            store, severity=2, functionality="batch", state="stuck", audience="all", at=NOW - timedelta(hours=20)
        ).ref
        ops.log(store, ref, "before midnight", at=NOW - timedelta(hours=15, minutes=50), confirmed=True)  # Sun 23:50
        ops.log(store, ref, "after midnight", at=NOW - timedelta(hours=15, minutes=30), confirmed=True)  # Mon 00:10
        ops.log(store, ref, "this afternoon", at=NOW - timedelta(minutes=10), confirmed=True)  # Mon 15:30
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            timeline = command(app).query_one(TimelineView)
            await pilot.pause()
            shown = [timeline.render_line(y).text.rstrip() for y in range(timeline.scrollable_content_region.height)]
            shown = [line for line in shown if line]
            assert shown[0].startswith("── Sun 22 Nov 2026 ──") and "Declared SEV2" in shown[1]
            assert shown[2].startswith("#2 23:50:00") and shown[2].endswith("before midnight")
            assert shown[3].startswith("── Mon 23 Nov 2026 ──")
            assert shown[4].startswith("#3 00:10:00") and shown[4].endswith("after midnight")
            assert shown[5].startswith("#4 15:30:00") and len(shown) == 6
            await pilot.press("f7")  # in UTC 00:10 is 23:10Z, still Sunday: the separator moves
            await pilot.pause()
            shown = [timeline.render_line(y).text.rstrip() for y in range(timeline.scrollable_content_region.height)]
            shown = [line for line in shown if line]
            assert shown[0].startswith("── Sun 22 Nov 2026") and shown[3].startswith("#3 23:10:00Z")
            assert shown[4].startswith("── Mon 23 Nov 2026") and shown[5].startswith("#4 14:30:00Z")


def _steady(pilot: Pilot[None]) -> None:
    for scribe in pilot.app.screen.query(ScribeInput):
        scribe.cursor_blink = False


def test_command_screen_snapshot_120x40(snap_compare, demo: tuple[Store, str]) -> None:  # noqa: ANN001
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=_steady)


def test_command_screen_snapshot_80x24(snap_compare, demo: tuple[Store, str]) -> None:  # noqa: ANN001
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(80, 24), run_before=_steady)


async def test_the_start_marker_moves_to_the_started_milestone(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            timeline = command(app).query_one(TimelineView)
            assert [(e.kind, e.marker) for e in timeline.entries] == [("declared", "start")]
            await pilot.press("f3")
            await pilot.pause()
            app.screen.query_one("#when").value = "-10m"  # type: ignore[attr-defined]
            await pilot.press("enter")  # the highlighted milestone: started
            await until(
                pilot,
                lambda: {(e.kind, e.marker) for e in timeline.entries} == {("declared", None), ("milestone", "start")},
                what="the start marker on the started milestone",
            )
            await pilot.press("f3")
            await pilot.pause()
            options = app.screen.query_one(OptionList)
            options.highlighted = 5  # resolved: the criteria are checked first
            await pilot.press("enter")
            await pilot.pause()
            from screens.checklist import ResolveAnyway

            assert isinstance(app.screen, ResolveAnyway)
            await pilot.press("enter")  # resolve anyway
            await until(
                pilot,
                lambda: ("milestone", "resolved") in {(e.kind, e.marker) for e in timeline.entries},
                what="the resolved marker",
            )
            header = command(app).query_one(IncidentHeader)
            assert header.status == "resolved"
            assert header.clock_text().startswith("lasted ")  # the clock stopped at the resolution


async def test_live_refresh_on_each_backend(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    """A second writer's changes appear within a second, on SQLite and PostgreSQL alike."""
    with Store(db_url, policy=policy, clock=clock) as store, Store(db_url, policy=policy, clock=clock) as other:
        ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", ic="Dana").ref
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = command(app)
            ops.log(other, ref, "from the scribe's terminal", author="Lee")
            ops.change_severity(other, ref, 1)
            started = asyncio.get_running_loop().time()
            while asyncio.get_running_loop().time() - started < 1.0:
                await pilot.pause(0.05)
                if screen.query_one(IncidentHeader).severity == 1:
                    break
            assert screen.query_one(IncidentHeader).severity == 1
            assert [e.text for e in screen.query_one(TimelineView).entries][-2:] == [
                "from the scribe's terminal",
                "Raised severity from SEV2 to SEV1",
            ]


async def test_edit_and_strike_an_event_from_the_timeline(demo: tuple[Store, str]) -> None:

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = command(app)
        timeline = screen.query_one(TimelineView)
        dialog = await event_dialog_of_a_new_line(app, pilot, "gatway restarted")
        edit = dialog.query_one("#edit")
        edit.value = "/bogus typo"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and "unknown command" in str(dialog.query_one(".dialog-error").render())
        edit.value = "!gateway restarted"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        await until(pilot, lambda: timeline.entries[-1].text == "gateway restarted", what="the edit shown")
        last = timeline.entries[-1]
        assert (last.text, last.key) == ("gateway restarted", True)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+t")  # asks first (tests/test_confirmations.py): y strikes
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", what="the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: timeline.entries[-1].struck, what="the strike shown")
        history = ops.event_history(store, ref, last.seq)
        assert [r.text for r in history] == ["gatway restarted", "gateway restarted"]


async def test_a_long_timeline_loads_as_stubs_and_reads_what_is_shown(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    with Store(tmp_path / "long.db", policy=policy, clock=clock) as store:
        ref = ops.declare(
            store, severity=1, functionality="api", state="down", audience="all", at=NOW - timedelta(hours=3)
        ).ref
        lines = [(f"step {n}", NOW - timedelta(seconds=5000 - n)) for n in range(1500)]
        ops.log_many(store, ref, lines, author="Lee")
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            timeline = command(app).query_one(TimelineView)
            for _ in range(50):
                if timeline.entry_count == 1501:
                    break
                await pilot.pause(0.05)
            assert timeline.entry_count == 1501
            assert timeline.whole_count < 500  # the order only: entries are read as they are shown
            assert timeline.entries[-1].text == "step 1499"  # the newest were read first
            timeline.focus()
            await pilot.press("home")
            await pilot.pause()
            shown = [timeline.render_line(y).text for y in range(5)]
            assert "Declared SEV1: api is down for all" in shown[0] and "step 0" in shown[1]
            assert timeline.entries[1].text == "step 0"
            ops.log(store, ref, "after the stubs")
            command(app).poll_now()  # the watcher reads it, without waiting for its next poll
            await until(
                pilot, lambda: timeline.entries[-1].text == "after the stubs", what="the new event after the stubs"
            )


async def test_compose_lint_copy_and_record_an_update(demo: tuple[Store, str], clock: FrozenClock) -> None:
    from textual.widgets import Input, TextArea

    from screens.composer import ComposerScreen

    store, ref = demo
    app = WarroomApp(store)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign,assignment]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        internal = screen.query_one(CountdownPanel).countdown("internal")
        before = internal.due_at
        await pilot.press("f8")
        await pilot.pause()
        composer = app.screen
        assert isinstance(composer, ComposerScreen) and composer.kind == "internal_update"
        subject = composer.query_one("#composer-subject", Input).value
        assert subject == "UPDATE: SEV1 Incident - checkout is failing for EU customers"
        assert "no problems found" in str(composer.query_one("#composer-lint").render())
        composer.query_one("#composer-kinds", OptionList).highlighted = 4  # status page: update
        await pilot.pause()
        body = composer.query_one("#composer-body", TextArea)
        body.text = body.text + " This outage is {tbd}."
        await pilot.pause()
        lint = str(composer.query_one("#composer-lint").render())
        assert "outage" in lint and "{tbd}" in lint
        await pilot.press("ctrl+o")
        assert copied and "This outage is {tbd}." in copied[0]
        await pilot.press("ctrl+s")  # warnings: the first Ctrl+S only warns
        await pilot.pause()
        assert app.screen is composer
        composer.query_one("#composer-kinds", OptionList).highlighted = 1  # internal update
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        sent = ops.status_updates(store, ref)[-1]
        assert (sent.channel, sent.kind, sent.subject) == ("internal", "update", subject)
        assert internal.due_at == clock.now() + timedelta(minutes=30) and internal.due_at != before
        assert screen.query_one(TimelineView).entries[-1].kind == "update"


def test_composer_snapshot(snap_compare, demo: tuple[Store, str]) -> None:  # noqa: ANN001
    store, _ = demo

    async def open_composer(pilot: Pilot[None]) -> None:
        _steady(pilot)
        await pilot.press("f8")
        await pilot.pause()
        for widget in pilot.app.screen.query("TextArea, Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]  # a steady picture
        await pilot.pause()

    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=open_composer)


async def test_checklist_ticks_resolves_and_lists_follow_ups(demo: tuple[Store, str]) -> None:
    from screens.checklist import ChecklistScreen, ResolveAnyway
    from storage import checklists
    from storage.identity import AS_OPTION, Identity

    store, ref = demo
    store.identity = Identity("Dana Okafor", AS_OPTION)  # the IC signs off, as with `warroom --as "Dana Okafor"`
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        await pilot.press("f9")
        await pilot.pause()
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        steps = checklist.query_one("#steps", OptionList)
        steps.highlighted = [s.key for s in checklists.process_checklist(store, ref)].index("triage")
        await pilot.press("space")
        await until(pilot, lambda: checklist.changed, what="the tick written")
        triage = next(s for s in checklists.process_checklist(store, ref) if s.key == "triage")
        assert triage.done and triage.done_by == "Dana Okafor"
        await pilot.press("s")
        await until(
            pilot,
            lambda: next(c for c in checklists.resolution_criteria(store, ref) if c.key == "ic_signoff").met,
            what="the sign-off written",
        )
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ResolveAnyway)
        await pilot.press("enter")
        await until(pilot, lambda: ops.get_incident(store, ref).status == "resolved", what="the incident resolved")
        assert app.screen is checklist
        followups = checklist.query_one("#followups", OptionList)
        await until(pilot, lambda: followups.display, what="the follow-ups shown")
        assert followups.display and followups.option_count > 5
        followups.focus()
        followups.highlighted = 0
        await pilot.press("space")
        await until(
            pilot, lambda: next(iter(checklists.followups(store, ref).values()))[0].done, what="the follow-up ticked"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await until(pilot, lambda: screen.query_one(IncidentHeader).status == "resolved", what="the resolution shown")
        texts = [e.text or "" for e in screen.query_one(TimelineView).entries]
        assert any(t.startswith("Checklist:") for t in texts)
        assert any(t.startswith("Resolved with unmet criteria") for t in texts)
        assert screen.query_one(IncidentHeader).status == "resolved"


async def test_checklist_space_twice_ticks_then_unticks(demo: tuple[Store, str]) -> None:
    """Space twice on a step, quicker than the write: the second press unticks it again, as it
    did when the checklist wrote on the UI thread (not "already ticked", the step left ticked)."""
    from screens.checklist import ChecklistScreen
    from storage import checklists

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        command(app)
        await pilot.press("f9")
        await pilot.pause()
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        steps = checklist.query_one("#steps", OptionList)
        steps.highlighted = [s.key for s in checklists.process_checklist(store, ref)].index("triage")
        checklist.action_tick()  # two presses in one read of the terminal (a key repeat): the
        checklist.action_tick()  # second comes before the first is written
        await until(pilot, lambda: not checklist.writer.outbox._queue.qsize(), what="both presses written")
        await pilot.pause(0.3)
        triage = next(s for s in checklists.process_checklist(store, ref) if s.key == "triage")
        assert not triage.done
        assert not any(n.title == "Not done" for n in app._notifications)


async def test_an_edit_to_a_future_time_is_refused_in_the_dialog_keeping_the_text(demo: tuple[Store, str]) -> None:
    """An edit the record refuses (a time still to come) says why in the event dialog, which
    stays open with the text to fix, as when the dialog wrote the edit itself; not a
    notification after the dialog closed with the text gone."""

    store, _ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await event_dialog_of_a_new_line(app, pilot, "gateway restarted")
        edit = dialog.query_one("#edit")
        later = f"@{(NOW + timedelta(days=1)):%Y-%m-%dT%H:%M} gateway restarted"  # tomorrow: not yet
        edit.value = later  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        assert app.screen is dialog
        assert "future" in str(dialog.query_one(".dialog-error").render())
        assert edit.value == later  # type: ignore[attr-defined]


async def test_a_tick_made_just_before_quitting_is_written(demo: tuple[Store, str]) -> None:
    """Space on a step and Ctrl+Q in the same read of the terminal: the checklist's writer
    (an app worker, cancelled as the app quits) still writes the tick, as when the checklist
    wrote on the UI thread; it was dropped unwritten, without a word."""
    from screens.checklist import ChecklistScreen
    from storage import checklists

    store, ref = demo

    def triage_done() -> bool:
        return next(s for s in checklists.process_checklist(store, ref) if s.key == "triage").done

    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ChecklistScreen), what="the checklist")
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        steps = checklist.query_one("#steps", OptionList)
        steps.highlighted = [s.key for s in checklists.process_checklist(store, ref)].index("triage")
        outbox = checklist.writer.outbox
        write_now = outbox._write

        def write_late(write: Any, cancelled: Any) -> None:
            time.sleep(0.3)  # the writer's thread takes the tick once the app is quitting
            write_now(write, cancelled)

        outbox._write = write_late  # type: ignore[method-assign]
        checklist.action_tick()
        app.exit()  # Ctrl+Q, before the writer's thread has taken the tick
    for _ in range(150):  # `warroom` waits for the writer's thread as the process ends (asyncio.run)
        if triage_done():
            break
        await asyncio.sleep(0.02)
    assert triage_done()
