"""The incident's phase from the command screen: the status by key (Ctrl+S, Shift+F3) and palette,
resolving through the criteria whichever way it is asked, and a milestone out of order
asked about before it is marked."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from screens.checklist import ResolveAnyway
from screens.command import CommandScreen
from screens.pickers import Confirm, StatusPicker
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from tests.test_snapshots import steady
from tests.waiting import until
from tui.app import WarroomApp
from widgets.incident_header import IncidentHeader


def _header_status(app: WarroomApp) -> str:
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, CommandScreen)
    return screen.query_one(IncidentHeader).status


async def test_the_status_changes_by_key_and_resolving_asks_about_the_criteria(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("shift+f3")
        await until(pilot, lambda: isinstance(app.screen, StatusPicker), what="the status picker")
        await pilot.press("enter")  # the next status after identified: mitigated
        await until(pilot, lambda: ops.get_incident(store, ref).status == "mitigated", what="mitigated")
        await until(pilot, lambda: _header_status(app) == "mitigated", what="the header's status")
        events = [e for e in ops.timeline(store, ref) if e.kind == "status"]
        assert events[-1].text == "Status changed from identified to mitigated" and events[-1].author == "tester"

        await pilot.press("ctrl+s")  # what terminals that send Shift+F3 as a cursor report leave
        await until(pilot, lambda: isinstance(app.screen, StatusPicker), what="the status picker")
        await pilot.press("enter")  # resolved, whose criteria are unmet
        await until(pilot, lambda: isinstance(app.screen, ResolveAnyway), what="the unmet criteria")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert ops.get_incident(store, ref).status == "mitigated"  # nothing resolved without a yes


async def test_the_palette_sets_the_status(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"status inv")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: ops.get_incident(store, ref).status == "investigating", what="investigating")


async def test_a_milestone_out_of_order_is_asked_about_and_marked_only_on_yes(demo: tuple[Store, str]) -> None:
    store, ref = demo
    before = ops.milestones(store, ref)["detected"]
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        for answer in ("escape", "enter"):
            await pilot.press("f3")
            await pilot.pause()
            await pilot.press("up", "up", "up", "enter")  # detected, now: after acknowledged and investigating
            await until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
            question = str(app.screen.query_one("Static").render())
            assert "Mark detected at 2026-11-23 15:40 CET? That is after acknowledged (2026-11-23 14:51 CET)" in (
                question.replace("\n", " ")
            )
            await pilot.press(answer)
            await pilot.pause(0.3)
            if answer == "escape":
                assert ops.milestones(store, ref)["detected"] == before
        await until(pilot, lambda: ops.milestones(store, ref)["detected"] != before, what="detected marked again")
        marks = [e for e in ops.timeline(store, ref) if e.kind == "milestone" and e.detail == "detected"]
        assert [e.struck for e in marks] == [True, False]  # the earlier mark struck, not left beside it


async def test_a_milestone_in_order_is_marked_without_a_question(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("enter")  # mitigated, the first not reached, now
        await until(pilot, lambda: "mitigated" in ops.milestones(store, ref), what="mitigated")
        assert isinstance(app.screen, CommandScreen)


async def _status_picker(pilot: Pilot[Any]) -> None:
    await steady(pilot)
    await pilot.press("shift+f3")
    await until(pilot, lambda: isinstance(pilot.app.screen, StatusPicker), what="the status picker")
    await steady(pilot)


async def _out_of_order(pilot: Pilot[Any]) -> None:
    await steady(pilot)
    await pilot.press("f3")
    await steady(pilot)
    await pilot.press("up", "up", "up", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, Confirm), what="the question")
    await steady(pilot)


FLOWS = {"status": _status_picker, "out_of_order": _out_of_order}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_snapshot(snap_compare: Any, demo: tuple[Store, str], flow: str, size: tuple[int, int]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=size, run_before=FLOWS[flow])


async def _owner_shown(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: pilot.app.screen.query_one(IncidentHeader).owner == "Payments", what="the owner")
    await steady(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_the_owning_team_in_the_header(snap_compare: Any, demo: tuple[Store, str],
                                                   size: tuple[int, int]) -> None:
    from storage.services import import_ownership

    store, _ = demo
    import_ownership(store, "functionality,service,team,paging_url\ncheckout,payments-api,Payments,"
                            "https://pager.example.com/payments\n")
    assert snap_compare(WarroomApp(store), terminal_size=size, run_before=_owner_shown)


async def test_an_ownership_table_imported_while_the_app_is_open_shows_at_the_next_change(
    demo: tuple[Store, str],
) -> None:
    from storage.services import import_ownership

    store, ref = demo
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        header = app.screen.query_one(IncidentHeader)
        assert header.owner == ""
        import_ownership(store, "functionality,service,team,paging_url\ncheckout,payments-api,Payments,"
                                "https://pager.example.com/payments\n")  # `warroom services import`
        ops.log(store, ref, "gateway restarted", author="Lee Chen")  # another terminal
        await until(pilot, lambda: header.owner == "Payments", what="the owner")
        assert header.owner_link == "https://pager.example.com/payments"


async def _stale_drafts_shown(pilot: Pilot[Any]) -> None:
    from screens.postmortem import PostmortemScreen

    await steady(pilot)
    await pilot.press("f12")
    await until(pilot, lambda: isinstance(pilot.app.screen, PostmortemScreen), what="the post-mortem")
    await steady(pilot)
    pilot.app.screen.query_one("#pm-sections", OptionList).highlighted = 6  # Timeline
    await steady(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_post_mortem_drafts_the_record_moved_past(snap_compare: Any, demo: tuple[Store, str],
                                                              clock: FrozenClock, size: tuple[int, int]) -> None:
    from storage import checklists, postmortem

    store, ref = demo
    postmortem.apply_prefill(store, ref)
    clock.advance(minutes=10)
    checklists.resolve(store, ref, force=True)
    assert snap_compare(WarroomApp(store, ref=ref), terminal_size=size, run_before=_stale_drafts_shown)
