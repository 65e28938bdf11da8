"""A snapshot of every screen and dialog, error states included, on the demo incident at the
suite's frozen clock (tests/conftest.py NOW). Each is reached through keys and public
screens, as a user would, so a restructured screen with the same look keeps its picture.

The command screen, composer, incident list, post-mortem editor, status board and timeline
have theirs next to their other tests (test_command_screen.py, test_app.py,
test_postmortem_screen.py, test_status_widgets.py, test_timeline_widget.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from screens.identity import NameDialog
from storage import ops
from storage.db import Store
from tests.waiting import until
from tui.app import WarroomApp
from widgets.timeline import TimelineView

Steps = Callable[[Pilot[Any]], Awaitable[None]]



async def steady(pilot: Pilot[Any]) -> None:
    """Pending messages handled and no cursor blinking, on every screen of the stack. (Not
    `workers.wait_for_complete()`: the command screen's watcher and sender run for good.)"""
    await pilot.pause()
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


def keys(*pressed: str, screen: str | None = None) -> Steps:
    """Press `pressed` one at a time, letting the app settle after each; then, if named,
    wait until the screen on top is of the class `screen`."""

    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        for key in pressed:
            await pilot.press(key)
            await steady(pilot)
        if screen is not None:
            await until(pilot, lambda: type(pilot.app.screen).__name__ == screen, what=f"the {screen} on top")
        await steady(pilot)

    return run


def typed(text: str, *then: str) -> Steps:
    """Type `text` into what has focus, then press `then`."""

    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        await pilot.press(*text)
        for key in then:
            await pilot.press(key)
            await steady(pilot)
        await steady(pilot)

    return run


def chain(*steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        for step in steps:
            await step(pilot)

    return run


async def timeline_entry_opened(pilot: Pilot[Any]) -> None:
    """The last event of the timeline opened in its dialog, as Enter on it does."""
    await steady(pilot)
    pilot.app.screen.query_one(TimelineView).focus()
    await pilot.press("end", "enter")
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "EventDialog", what="the event dialog")
    await steady(pilot)


async def lines_pasted(pilot: Pilot[Any]) -> None:
    """Three lines pasted into the scribe line, one of them a time the grammar refuses."""
    await steady(pilot)
    pilot.app.screen.query_one("#scribe").post_message(
        events.Paste("pager fired\n!/action failover to eu-west-2\n@99:99 errors at 40%\n")
    )
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "PasteDialog", what="the paste dialog")
    await steady(pilot)


async def name_asked(pilot: Pilot[Any]) -> None:
    """The first-start question, with a fixed login name and config path (the app's own
    are this machine's)."""
    await steady(pilot)
    pilot.app.push_screen(NameDialog("opslogin", "~/.config/warroom/config.toml"))
    await until(pilot, lambda: isinstance(pilot.app.screen, NameDialog), what="the name dialog")
    await steady(pilot)


async def ic_release_asked(pilot: Pilot[Any]) -> None:
    """Delete on the Incident Commander in the roster: its confirmation."""
    await steady(pilot)
    pilot.app.screen.query_one("#roster").focus()
    await pilot.press("delete")  # the cursor starts on the first role, the IC
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmDialog", what="the confirmation")
    await steady(pilot)


async def edit_conflict(pilot: Pilot[Any]) -> None:
    """An edit saved from the event dialog after another terminal saved the event's next
    revision: refused, with both texts."""
    await timeline_entry_opened(pilot)
    dialog = pilot.app.screen
    ops.edit_event(dialog.store, dialog.ref, dialog.seq, "!/action fail over to eu-west-2 now", author="Ana Souza")  # type: ignore[attr-defined]
    dialog.query_one("#edit").value = "/action fail over to eu-west-2 (Sam)"  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConflictDialog", what="the conflict")
    await steady(pilot)


FLOWS: dict[str, Steps] = {
    "help": keys("f1", screen="HelpScreen"),
    "severity picker": keys("f2", screen="SeverityPicker"),
    "milestone picker": keys("f3", screen="MilestonePicker"),
    "handover dialog": keys("f4", screen="HandoverDialog"),
    "update picker": keys("f5", screen="UpdatePicker"),
    "checklist": keys("f9", screen="ChecklistScreen"),
    "resolve anyway": keys("f9", "r", screen="ResolveAnyway"),
    "declare dialog": keys("f6", "n", screen="DeclareDialog"),
    "declare dialog with a field missing": chain(keys("f6", "n", screen="DeclareDialog"), typed("login", "ctrl+s")),
    "postmortems due": keys("f6", "d", screen="PostmortemsDueScreen"),
    "event dialog": timeline_entry_opened,
    "strike confirmation": chain(timeline_entry_opened, keys("ctrl+t", screen="ConfirmDialog")),
    "release of the IC confirmation": ic_release_asked,
    "edit conflict": edit_conflict,
    "struck event dialog": chain(
        timeline_entry_opened, keys("ctrl+t", screen="ConfirmDialog"), keys("y", screen="CommandScreen"),
        timeline_entry_opened,
    ),
    "paste dialog with a refused line": lines_pasted,
    "name dialog": name_asked,
    "name dialog with an invalid name": chain(name_asked, typed("", "ctrl+u", "enter")),
    "a refused line on the command screen": typed("@99:99 restarted the gateway", "enter"),
}


@pytest.mark.parametrize("flow", list(FLOWS), ids=[name.replace(" ", "_") for name in FLOWS])
def test_snapshot_120x40(snap_compare: Any, demo: tuple[Store, str], flow: str) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=FLOWS[flow])


SMALL = [
    "help", "handover dialog", "strike confirmation", "release of the IC confirmation", "edit conflict",
    "declare dialog", "declare dialog with a field missing",
]
"""At 80x24 too. (Not yet a refused line, cut at 80 columns: that needs the screen changed first.)"""


@pytest.mark.parametrize("flow", SMALL, ids=[name.replace(" ", "_") for name in SMALL])
def test_snapshot_80x24(snap_compare: Any, demo: tuple[Store, str], flow: str) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=(80, 24), run_before=FLOWS[flow])


def test_snapshot_of_a_resolved_incident_owing_its_postmortem(
    snap_compare: Any, demo: tuple[Store, str]
) -> None:
    store, ref = demo
    ops.set_milestone(store, ref, "resolved")
    due = keys("f6", "d", screen="PostmortemsDueScreen")
    assert snap_compare(WarroomApp(store), terminal_size=(120, 40), run_before=due)
