"""The app opens on the right screen and moves between the list and an incident."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, RichLog, Static

from screens.incident import IncidentScreen
from screens.incident_list import IncidentListScreen
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.policy import Policy
from tui.app import WarroomApp


def demo_store(tmp_path: Path, policy: Policy, clock: FrozenClock) -> tuple[Store, str]:
    store = Store(tmp_path / "demo.db", policy=policy, clock=clock)
    return store, build_demo(store)


async def test_opens_on_the_list_when_nothing_is_open(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "empty.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, IncidentListScreen)
            assert app.screen.query_one("#empty-list", Static).display


async def test_opens_the_most_recent_open_incident_and_goes_back(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    store, ref = demo_store(tmp_path, policy, clock)
    with store:
        app = WarroomApp(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, IncidentScreen) and app.screen.ref == ref
            assert len(app.screen.query_one(RichLog).lines) > 10
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, IncidentListScreen)
            table = app.screen.query_one(DataTable)
            assert table.row_count == 2
            await pilot.press("down", "enter")
            await pilot.pause()
            assert isinstance(app.screen, IncidentScreen) and app.screen.ref != ref


async def test_user_text_is_shown_literally(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from storage import ops

    store, ref = demo_store(tmp_path, policy, clock)
    with store:
        ops.log(store, ref, "[bold]not bold[/bold] [@click=app.quit]quit[/]")
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            lines = app.screen.query_one(RichLog).lines
            assert any("[bold]not bold[/bold] [@click=app.quit]quit[/]" in line.text for line in lines)


def test_incident_screen_snapshot(snap_compare, tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:  # noqa: ANN001
    store, _ = demo_store(tmp_path, policy, clock)
    assert snap_compare(WarroomApp(store), terminal_size=(100, 30))


def test_incident_list_snapshot(snap_compare, tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:  # noqa: ANN001
    store, _ = demo_store(tmp_path, policy, clock)
    assert snap_compare(WarroomApp(store), press=["escape"], terminal_size=(80, 24))
