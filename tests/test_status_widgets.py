"""The command screen's status widgets: countdowns, role roster, header and scribe input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget

from widgets.countdown import Countdown, CountdownPanel
from widgets.incident_header import IncidentHeader
from widgets.roster import RoleRoster, RosterHolder, RosterRole, RosterRow
from widgets.scribe_input import ScribeInput

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)
"""A fixed 'now': 15:40 in Berlin."""


class Harness(App[None]):
    """Composes the given widgets and records the messages they post."""

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield from self.widgets

    def on_countdown_expired(self, message: Countdown.Expired) -> None:
        self.seen.append(message)

    def on_input_submitted(self, message: ScribeInput.Submitted) -> None:
        self.seen.append(message)

    def on_role_roster_handover_requested(self, message: RoleRoster.HandoverRequested) -> None:
        self.seen.append(message)

    def on_role_roster_release_requested(self, message: RoleRoster.ReleaseRequested) -> None:
        self.seen.append(message)


def shown(widget: Widget) -> str:
    """The text a widget renders, without styles."""
    return widget.render().plain  # type: ignore[union-attr]


def roles(at: datetime = T0) -> list[RosterRole]:
    return [
        RosterRole("ic", "Incident Commander", False, (RosterHolder("Dana Okafor", at - timedelta(minutes=35)),)),
        RosterRole("deputy", "Deputy", False, ()),
        RosterRole("scribe", "Scribe", False, (RosterHolder("Lee Park", at - timedelta(minutes=30)),)),
        RosterRole(
            "sme",
            "Subject Matter Experts",
            True,
            (
                RosterHolder("Ana Souza", at - timedelta(minutes=20), note="payments"),
                RosterHolder("Kim Ito", at - timedelta(minutes=5), note="auth"),
                RosterHolder("Raj Mehta", at - timedelta(minutes=12), note="db"),
            ),
        ),
        RosterRole("customer_liaison", "Customer Liaison", False, ()),
        RosterRole("internal_liaison", "Internal Liaison", False, (RosterHolder("Sam Ruiz", at),)),
    ]


# --- Countdown ---------------------------------------------------------------------------


async def test_countdown_reads_as_time_left_in_minutes_hours_and_overdue() -> None:
    countdown = Countdown("Status page", name="status_page")
    async with Harness(countdown).run_test(size=(100, 20)) as pilot:
        countdown.now = T0
        countdown.due_at = T0 + timedelta(minutes=4, seconds=59)
        await pilot.pause()
        assert countdown.time_text() == "in 04:59"  # near the deadline: to the second
        assert shown(countdown).startswith("Status page")
        assert shown(countdown).endswith(" in 04:59")
        countdown.due_at = T0 + timedelta(minutes=12, seconds=3)
        await pilot.pause()
        assert shown(countdown).endswith(" in 13m")  # time left, rounded up; not the clock time 15:52
        countdown.due_at = T0 + timedelta(minutes=5, seconds=1)
        assert countdown.time_text() == "in 6m"
        countdown.due_at = T0 + timedelta(minutes=5)
        assert countdown.time_text() == "in 5m"
        countdown.due_at = T0 + timedelta(hours=1, minutes=2, seconds=3)
        assert countdown.time_text() == "in 1h 03m"
        countdown.due_at = T0 + timedelta(minutes=59, seconds=59)
        assert countdown.time_text() == "in 1h 00m"
        countdown.due_at = T0 - timedelta(seconds=12)
        assert countdown.time_text() == "overdue 00:12"
        countdown.due_at = T0 - timedelta(minutes=4, seconds=59)
        assert countdown.time_text() == "overdue 04:59"
        countdown.due_at = T0 - timedelta(minutes=5)
        assert countdown.time_text() == "overdue 5m"
        countdown.due_at = T0 - timedelta(hours=2, seconds=1)
        assert countdown.time_text() == "overdue 2h 00m"
        await pilot.pause()
        assert shown(countdown).endswith(" overdue 2h 00m")


async def test_countdown_far_from_its_deadline_is_drawn_once_a_minute() -> None:
    countdown = Countdown("Status page", name="status_page")
    async with Harness(countdown).run_test(size=(100, 20)) as pilot:
        countdown.now = T0
        countdown.due_at = T0 + timedelta(minutes=30)
        await pilot.pause()
        drawn: list[str] = []
        original = countdown.refresh

        def counting(*args: Any, **kwargs: Any) -> Widget:
            drawn.append(countdown.time_text())
            return original(*args, **kwargs)

        countdown.refresh = counting  # type: ignore[method-assign,assignment]
        for second in range(1, 121):  # two minutes of ticks, 30 minutes out
            countdown.now = T0 + timedelta(seconds=second)
        assert drawn == ["in 29m", "in 28m"]
        countdown.due_at = T0 + timedelta(minutes=2, seconds=5)  # now near: every second
        drawn.clear()
        for second in range(121, 126):
            countdown.now = T0 + timedelta(seconds=second)
        assert list(dict.fromkeys(drawn)) == ["in 00:04", "in 00:03", "in 00:02", "in 00:01", "overdue 00:00"]
        await pilot.pause()
        assert shown(countdown).endswith(" overdue 00:00")


async def test_countdown_warning_then_overdue_classes() -> None:
    countdown = Countdown("Internal update", name="internal")
    async with Harness(countdown).run_test(size=(100, 20)) as pilot:
        countdown.due_at = T0 + timedelta(minutes=10)
        countdown.now = T0
        await pilot.pause()
        assert not countdown.has_class("-warning") and not countdown.has_class("-overdue")
        countdown.now = T0 + timedelta(minutes=5)
        assert countdown.has_class("-warning") and not countdown.has_class("-overdue")
        countdown.now = T0 + timedelta(minutes=10)
        assert countdown.has_class("-overdue") and not countdown.has_class("-warning")
        countdown.warn_within = timedelta(minutes=1)
        countdown.now = T0 + timedelta(minutes=8)
        assert not countdown.has_class("-warning")


async def test_countdown_expires_exactly_once_when_time_passes_due() -> None:
    countdown = Countdown("Check in", name="check_in")
    app = Harness(countdown)
    async with app.run_test(size=(100, 20)) as pilot:
        countdown.now = T0
        countdown.due_at = T0 + timedelta(seconds=10)
        for second in range(1, 15):
            countdown.now = T0 + timedelta(seconds=second)
            await pilot.pause()
        assert [type(m) for m in app.seen] == [Countdown.Expired]
        expired = app.seen[0]
        assert isinstance(expired, Countdown.Expired)
        assert expired.countdown is countdown and expired.control is countdown


async def test_countdown_created_overdue_does_not_expire() -> None:
    countdown = Countdown("Initial communication", name="initial")
    app = Harness(countdown)
    async with app.run_test(size=(100, 20)) as pilot:
        countdown.due_at = T0 - timedelta(minutes=3)
        countdown.now = T0
        countdown.now = T0 + timedelta(seconds=1)
        await pilot.pause()
        assert countdown.has_class("-overdue")
        # Moved to another deadline that is also already past: still no expiry.
        countdown.due_at = T0 - timedelta(minutes=1)
        countdown.now = T0 + timedelta(seconds=2)
        await pilot.pause()
        assert app.seen == []


async def test_countdown_rearms_when_due_at_changes() -> None:
    countdown = Countdown("Internal update", name="internal")
    app = Harness(countdown)
    async with app.run_test(size=(100, 20)) as pilot:
        countdown.now = T0
        countdown.due_at = T0 + timedelta(seconds=5)
        countdown.now = T0 + timedelta(seconds=6)
        countdown.due_at = T0 + timedelta(minutes=30)  # an update was sent: reset
        assert not countdown.has_class("-overdue")
        countdown.now = T0 + timedelta(minutes=30)
        countdown.now = T0 + timedelta(minutes=31)
        await pilot.pause()
        assert len(app.seen) == 2


async def test_countdown_without_deadline_shows_a_muted_dash() -> None:
    countdown = Countdown("Status page", name="status_page")
    app = Harness(countdown)
    async with app.run_test(size=(100, 20)) as pilot:
        countdown.now = T0
        await pilot.pause()
        assert countdown.due_at is None
        assert shown(countdown).rstrip().endswith("—")
        assert countdown.has_class("-none") and not countdown.has_class("-overdue")
        countdown.now = T0 + timedelta(days=1)
        await pilot.pause()
        assert app.seen == []


async def test_countdown_label_is_literal() -> None:
    countdown = Countdown("[bold]x[/] \x1b[2J", name="odd")
    async with Harness(countdown).run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        assert shown(countdown).startswith("[bold]x[/] ␛[2J")


async def test_panel_hides_countdowns_missing_from_due() -> None:
    panel = CountdownPanel(
        [
            ("initial", "Initial comms"),
            ("check_in", "Check in"),
            ("internal", "Internal"),
            ("status_page", "Status page"),
        ]
    )
    app = Harness(panel)
    async with app.run_test(size=(100, 20)) as pilot:
        due = {
            "initial": T0 + timedelta(minutes=20),
            "check_in": T0 + timedelta(minutes=20),
            "internal": T0 + timedelta(minutes=30),
            "status_page": None,
        }
        panel.update_countdowns(due, T0)
        await pilot.pause()
        assert panel.border_title == "Next updates"
        assert all(countdown.display for countdown in panel.query(Countdown))
        assert panel.countdown("status_page").has_class("-none")
        del due["initial"]  # the first communication went out
        panel.update_countdowns(due, T0 + timedelta(minutes=1))
        await pilot.pause()
        assert not panel.countdown("initial").display
        assert panel.countdown("initial").region.height == 0
        assert panel.countdown("check_in").display and panel.countdown("check_in").time_text() == "in 19m"
        panel.set_now(T0 + timedelta(minutes=25))
        await pilot.pause()
        assert panel.countdown("check_in").has_class("-overdue")
        assert [m.countdown.name for m in app.seen] == ["check_in"]  # type: ignore[attr-defined]


# --- RoleRoster --------------------------------------------------------------------------


async def test_roster_shows_vacant_roles_and_every_sme() -> None:
    roster = RoleRoster(tz=BERLIN)
    async with Harness(roster).run_test(size=(100, 20)) as pilot:
        roster.set_roles(roles())
        await pilot.pause()
        assert roster.border_title == "Roles"
        rows = {row.role.key: row for row in roster.query(RosterRow)}
        assert list(rows) == ["ic", "deputy", "scribe", "sme", "customer_liaison", "internal_liaison"]
        assert rows["deputy"].has_class("-vacant") and "vacant" in shown(rows["deputy"])
        assert rows["ic"].has_class("-commander")
        assert "Dana Okafor" in shown(rows["ic"]) and "since 15:05" in shown(rows["ic"])
        sme_lines = shown(rows["sme"]).split("\n")
        assert len(sme_lines) == 3 and rows["sme"].region.height == 3
        assert sme_lines[0].startswith("Subject Matter Experts") and "Ana Souza (payments)" in sme_lines[0]
        assert "Kim Ito (auth)" in sme_lines[1] and "since 15:35" in sme_lines[1]
        assert "Raj Mehta (db)" in sme_lines[2] and not sme_lines[2].startswith("Subject")


async def test_roster_says_vacant_when_narrower_than_name_column_and_word() -> None:
    """At 80 columns, with a scrollbar, the roster's rows are narrower than the name column
    and `vacant`: the name gives way, the word stays (it wrapped out of sight before)."""
    roster = RoleRoster(tz=BERLIN)
    roster.styles.width = 28
    async with Harness(roster).run_test(size=(80, 20)) as pilot:
        roster.set_roles(roles())
        await pilot.pause()
        rows = {row.role.key: row for row in roster.query(RosterRow)}
        deputy = rows["deputy"]
        assert deputy.content_size.width < len("Subject Matter Experts vacant")
        line = shown(deputy)
        assert "\n" not in line and line.rstrip().endswith("vacant") and line.startswith("Deputy")
        assert len(line) <= deputy.content_size.width
        assert shown(rows["customer_liaison"]).rstrip().endswith("vacant")


async def test_roster_times_follow_show_utc() -> None:
    roster = RoleRoster(tz=BERLIN)
    async with Harness(roster).run_test(size=(100, 20)) as pilot:
        roster.set_roles(roles())
        await pilot.pause()
        rows = {row.role.key: row for row in roster.query(RosterRow)}
        assert "since 15:05" in shown(rows["ic"]) and "Z" not in shown(rows["ic"])
        roster.show_utc = True
        await pilot.pause()
        assert "since 14:05Z" in shown(rows["ic"])
        assert "since 14:35Z" in shown(rows["sme"]).split("\n")[1]
        roster.set_roles([*roles(), RosterRole("extra", "Extra", False, (RosterHolder("Jo", T0),))])
        await pilot.pause()
        extra = roster.query(RosterRow).last()
        assert "since 14:40Z" in shown(extra)  # a row added later is in UTC too
        roster.show_utc = False
        await pilot.pause()
        assert "since 15:05" in shown(rows["ic"]) and "since 15:40" in shown(extra)


async def test_roster_enter_requests_a_handover_of_the_cursor_role() -> None:
    roster = RoleRoster(tz=BERLIN)
    app = Harness(roster)
    async with app.run_test(size=(100, 20)) as pilot:
        roster.set_roles(roles())
        roster.focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press("down", "enter")
        await pilot.press("down", "down", "down", "down", "down", "enter")  # stops at the last role
        await pilot.press("up", "up", "up")
        await pilot.pause()
        assert [m.role_key for m in app.seen] == ["ic", "deputy", "internal_liaison"]  # type: ignore[attr-defined]
        assert roster.cursor_role is not None and roster.cursor_role.key == "scribe"
        assert [row.has_class("-cursor") for row in roster.query(RosterRow)] == [
            False,
            False,
            True,
            False,
            False,
            False,
        ]


async def test_roster_delete_requests_a_release() -> None:
    roster = RoleRoster(tz=BERLIN)
    app = Harness(roster)
    async with app.run_test(size=(100, 20)) as pilot:
        roster.set_roles(roles())
        roster.focus()
        await pilot.press("delete")  # the IC
        await pilot.press("down", "delete")  # the deputy is vacant: nothing to release
        await pilot.press("down", "down", "delete")  # SMEs: the most recent one
        await pilot.pause()
        released = [(m.role_key, m.person) for m in app.seen]  # type: ignore[attr-defined]
        assert released == [("ic", "Dana Okafor"), ("sme", "Kim Ito")]
        assert all(isinstance(m, RoleRoster.ReleaseRequested) for m in app.seen)


async def test_roster_keeps_the_cursor_on_its_role_when_roles_change() -> None:
    roster = RoleRoster(tz=BERLIN)
    async with Harness(roster).run_test(size=(100, 20)) as pilot:
        roster.set_roles(roles())
        roster.focus()
        await pilot.press("down", "down")
        updated = [role for role in roles() if role.key != "deputy"]
        roster.set_roles(updated)
        await pilot.pause()
        assert roster.cursor_role is not None and roster.cursor_role.key == "scribe"
        assert len(roster.query(RosterRow)) == 5


# --- IncidentHeader ----------------------------------------------------------------------


def header_fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "ref": "inc-26-11-23-SEV-1",
        "title": "login is failing for EU customers",
        "severity": 1,
        "severity_name": "major",
        "status": "investigating",
        "started_at": T0 - timedelta(hours=1, minutes=2, seconds=3),
        "commander": "Dana Okafor",
        "now": T0,
    }
    fields.update(changes)
    return fields


async def test_header_shows_the_incident_at_a_glance() -> None:
    header = IncidentHeader()
    async with Harness(header).run_test(size=(120, 20)) as pilot:
        header.show(**header_fields())
        await pilot.pause()
        text = shown(header)
        assert header.region.height == 1
        for part in (
            "inc-26-11-23-SEV-1",
            "login is failing for EU customers",
            "SEV1 major",
            "investigating",
            "1h 02m",
            "IC Dana Okafor",
        ):
            assert part in text
        header.now = T0 + timedelta(days=2)
        header.commander = None
        await pilot.pause()
        assert "2 days 1h 02m" in shown(header) and "no IC" in shown(header)


async def test_header_clock_counts_minutes_and_is_drawn_once_a_minute() -> None:
    header = IncidentHeader()
    async with Harness(header).run_test(size=(120, 20)) as pilot:
        header.show(**header_fields(started_at=T0 - timedelta(seconds=59), now=T0))
        await pilot.pause()
        assert header.clock_text() == "0m"
        drawn: list[str] = []
        original = header.refresh

        def counting(*args: Any, **kwargs: Any) -> Widget:
            drawn.append(header.clock_text())
            return original(*args, **kwargs)

        header.refresh = counting  # type: ignore[method-assign,assignment]
        for second in range(1, 121):
            header.now = T0 + timedelta(seconds=second)
        assert drawn == ["1m", "2m"]
        header.now = T0 + timedelta(hours=3, minutes=4, seconds=1)
        assert header.clock_text() == "3h 05m"
        await pilot.pause()
        assert "3h 05m" in shown(header)


async def test_header_shows_user_text_literally() -> None:
    header = IncidentHeader()
    async with Harness(header).run_test(size=(120, 20)) as pilot:
        header.show(**header_fields(title="[bold]login[/bold] [@click=app.quit]x[/]", commander="[i]Eve[/i]"))
        await pilot.pause()
        text = shown(header)
        assert "[bold]login[/bold] [@click=app.quit]x[/]" in text
        assert "IC [i]Eve[/i]" in text


async def test_header_truncates_the_title_and_takes_two_lines_when_narrow() -> None:
    header = IncidentHeader()
    long_title = "checkout and login are failing for all customers in every region"
    async with Harness(header).run_test(size=(80, 20)) as pilot:
        header.show(**header_fields(title=long_title))
        await pilot.pause()
        first, second = shown(header).split("\n")
        assert header.region.height == 2
        assert first.startswith("inc-26-11-23-SEV-1") and first.endswith("…") and len(first) == 78
        assert second.startswith("SEV1 major")
    async with Harness(header := IncidentHeader()).run_test(size=(140, 20)) as pilot:
        header.show(**header_fields(title=long_title))
        await pilot.pause()
        assert header.region.height == 1 and long_title in shown(header)


async def test_header_colours_follow_severity_and_status() -> None:
    header = IncidentHeader()
    async with Harness(header).run_test(size=(100, 20)) as pilot:
        header.show(**header_fields())
        await pilot.pause()
        app = pilot.app
        error = app.theme_variables["error"]
        sev = header.get_visual_style("incident-header--sev1")
        assert sev.foreground is not None and sev.foreground.hex.lower() == error.lower() and sev.bold
        resolved = header.get_visual_style("incident-header--resolved")
        assert resolved.foreground is not None
        assert resolved.foreground.hex.lower() == app.theme_variables["success"].lower()


# --- ScribeInput -------------------------------------------------------------------------


async def test_scribe_input_history_keeps_the_draft() -> None:
    scribe = ScribeInput(history=["first", "second"])
    async with Harness(scribe).run_test(size=(100, 20)) as pilot:
        scribe.focus()
        assert "/decision" in scribe.placeholder and "@-5m" in scribe.placeholder
        await pilot.press(*"draft")
        await pilot.press("up")
        assert scribe.value == "second"
        await pilot.press("up", "up")  # the oldest line stays
        assert scribe.value == "first"
        await pilot.press("down")
        assert scribe.value == "second"
        await pilot.press("down")
        assert scribe.value == "draft" and scribe.cursor_position == 5
        await pilot.press("down")
        assert scribe.value == "draft"
        scribe.remember("third")
        scribe.clear()
        await pilot.press("up")
        assert scribe.value == "third" and scribe.history == ("first", "second", "third")


async def test_scribe_input_edited_recall_becomes_the_draft() -> None:
    scribe = ScribeInput(history=["first", "second"])
    async with Harness(scribe).run_test(size=(100, 20)) as pilot:
        scribe.focus()
        await pilot.press("up", "!", "up")
        assert scribe.value == "second"
        await pilot.press("down")
        assert scribe.value == "second!"


async def test_scribe_input_hands_the_line_over_and_empties_at_once() -> None:
    scribe = ScribeInput()
    app = Harness(scribe)
    async with app.run_test(size=(100, 20)) as pilot:
        scribe.focus()
        await pilot.press(*"first", "enter", "enter", *"second", "enter")
        await pilot.pause()
        submitted = [m.value for m in app.seen if isinstance(m, ScribeInput.Submitted)]
        assert submitted == ["first", "second"]  # a blank Enter hands nothing over
        assert scribe.value == "" and scribe.history == ("first", "second")


async def test_scribe_input_error_class_until_the_next_edit() -> None:
    scribe = ScribeInput()
    async with Harness(scribe).run_test(size=(100, 20)) as pilot:
        scribe.focus()
        await pilot.press(*"/todo")
        scribe.show_error("a todo needs a text")  # as the screen does for a line taken back to fix
        await pilot.pause()
        assert scribe.has_class("-error") and scribe.error == "a todo needs a text"
        await pilot.press("escape", "left", "right")
        await pilot.pause()
        assert scribe.value == "/todo" and scribe.has_class("-error")
        await pilot.press("space")
        await pilot.pause()
        assert scribe.value == "/todo " and not scribe.has_class("-error") and scribe.error is None


# --- Together ----------------------------------------------------------------------------


class StatusBoard(App[None]):
    """Header above, roster and countdowns side by side, all with fixed data."""

    CSS = """
    #board { height: 1fr; }
    RoleRoster { width: 3fr; }
    #side { width: 2fr; }
    """

    def compose(self) -> ComposeResult:
        yield IncidentHeader()
        with Horizontal(id="board"):
            yield RoleRoster(tz=BERLIN)
            with Vertical(id="side"):
                yield CountdownPanel(
                    [
                        ("check_in", "Check in"),
                        ("internal", "Internal update"),
                        ("status_page", "Status page"),
                        ("initial", "Initial comms"),
                    ]
                )
        yield ScribeInput()

    def on_mount(self) -> None:
        self.query_one(IncidentHeader).show(**header_fields())
        self.query_one(RoleRoster).set_roles(roles())
        self.query_one(CountdownPanel).update_countdowns(
            {
                "check_in": T0 + timedelta(minutes=3, seconds=20),
                "internal": T0 - timedelta(minutes=1, seconds=5),
                "status_page": None,
            },
            T0,
        )


def test_status_board_snapshot(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(StatusBoard(), terminal_size=(100, 20))


async def test_header_clock_stops_at_the_resolution_and_says_how_long_it_lasted() -> None:
    header = IncidentHeader()
    async with Harness(header).run_test(size=(120, 20)) as pilot:
        header.show(**header_fields(status="resolved", ended_at=T0 - timedelta(minutes=30)))
        await pilot.pause()
        lasted = header.clock_text()
        assert lasted == "lasted 32m" and "lasted 32m" in shown(header)
        header.now = T0 + timedelta(hours=5)
        await pilot.pause()
        assert header.clock_text() == lasted  # a resolved incident's clock no longer runs
        header.ended_at = None  # reopened
        assert header.clock_text() == "6h 02m"


def test_a_countdown_says_when_what_it_shows_changes_next() -> None:
    countdown = Countdown("Status page", name="status_page")
    countdown.now = T0
    assert countdown.next_change(T0) is None  # no deadline
    countdown.due_at = T0 + timedelta(minutes=30, seconds=20)
    assert countdown.next_change(T0) == pytest.approx(20.001)  # "in 31m" becomes "in 30m"
    countdown.due_at = T0 + timedelta(minutes=5, seconds=40)
    assert countdown.next_change(T0) == pytest.approx(40.001)  # into the last five minutes, to the second
    countdown.due_at = T0 + timedelta(minutes=3, seconds=10, milliseconds=250)
    assert countdown.next_change(T0) == pytest.approx(0.251)
    countdown.due_at = T0 - timedelta(minutes=2, milliseconds=400)
    assert countdown.next_change(T0) == pytest.approx(0.601)  # overdue to the second at first
    countdown.due_at = T0 - timedelta(minutes=12, seconds=15)
    assert countdown.next_change(T0) == pytest.approx(45.001)  # then to the minute


def test_the_header_clock_says_when_its_minute_changes() -> None:
    header = IncidentHeader()
    header.started_at = T0 - timedelta(minutes=3, seconds=15)
    assert header.next_change(T0) == pytest.approx(45.001)
    header.started_at = T0 + timedelta(seconds=30)  # a start backdated into the future
    assert header.next_change(T0) == pytest.approx(30.001)
    header.ended_at = T0
    assert header.next_change(T0) is None  # stopped at the resolution
