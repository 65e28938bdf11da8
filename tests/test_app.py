"""The app opens on the right screen."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from screens.command import CommandScreen
from screens.incident_list import IncidentListScreen
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.policy import Policy
from tui.app import WarroomApp


async def test_opens_on_the_list_when_nothing_is_open(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "empty.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, IncidentListScreen)
            assert app.screen.query_one("#empty-list", Static).display


async def test_opens_the_incident_asked_for_or_the_most_recent_open_one(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        resolved = next(r.ref for r in ops.list_incidents(store) if r.status == "resolved")
        app = WarroomApp(store)
        async with app.run_test(size=(120, 40)):
            assert isinstance(app.screen, CommandScreen) and app.screen.ref == ref
        app = WarroomApp(store, ref=resolved)
        async with app.run_test(size=(120, 40)):
            assert isinstance(app.screen, CommandScreen) and app.screen.ref == resolved


def test_incident_list_snapshot(snap_compare, tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:  # noqa: ANN001
    store = Store(tmp_path / "demo.db", policy=policy, clock=clock)
    build_demo(store)
    assert snap_compare(WarroomApp(store), press=["f6"], terminal_size=(80, 24))
