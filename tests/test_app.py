"""The app opens on the right screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from screens.command import CommandScreen
from screens.incident_list import IncidentListScreen
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.policy import Policy
from tests.waiting import until
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


def test_incident_list_snapshot(
    snap_compare: Callable[..., bool], tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    store = Store(tmp_path / "demo.db", policy=policy, clock=clock)
    build_demo(store)
    assert snap_compare(WarroomApp(store), press=["f6"], terminal_size=(80, 24))


async def test_paints_first_then_opens_the_record(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "demo.db"
    with Store(path, policy=policy, clock=clock) as seed:
        ref = build_demo(seed)
    opened: list[Store] = []

    def opener() -> Store:
        store = Store(path, policy=policy, clock=clock)
        opened.append(store)
        return store

    app = WarroomApp(opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        for _ in range(50):
            if screen.ref is not None:
                break
            await pilot.pause(0.05)
        assert screen.ref == ref and screen.store is opened[0]
        assert screen.query_one("#timeline").entry_count > 10  # type: ignore[attr-defined]
    opened[0].close()


async def test_an_unknown_reference_ends_the_app_with_the_reason(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    app = WarroomApp(opener=lambda: Store(tmp_path / "w.db", policy=policy, clock=clock), ref="inc-nope")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    assert app.return_code == 1
    assert app.failure is not None and "no incident 'inc-nope'" in app.failure


async def test_a_declaration_is_asked_by_the_dialog_and_written_by_the_app(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input

    from screens.declare import DeclareDialog
    from storage.errors import InvalidInput

    with Store(tmp_path / "empty.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.action_declare()
            dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, DeclareDialog) else None)
            await pilot.pause()
            assert dialog is not None
            dialog.query_one("#functionality", Input).value = "checkout"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is dialog and "state is required" in str(dialog.query_one(".dialog-error").render())
            assert ops.list_incidents(store) == []  # the dialog never writes
            dialog.query_one("#state", Input).value = "failing"
            dialog.query_one("#audience", Input).value = "EU customers"
            declare = ops.declare
            monkeypatch.setattr(ops, "declare", lambda *_a, **_k: (_ for _ in ()).throw(InvalidInput("refused once")))
            await pilot.press("ctrl+s")
            again = await until(
                pilot,
                lambda: app.screen if isinstance(app.screen, DeclareDialog) and app.screen is not dialog else None,
                what="the dialog opened again",
            )
            await pilot.pause()
            assert again is not None
            assert again.query_one("#audience", Input).value == "EU customers"  # nothing typed is lost
            assert "refused once" in str(again.query_one(".dialog-error").render())
            monkeypatch.setattr(ops, "declare", declare)
            await pilot.press("ctrl+s")
            screen = await until(
                pilot,
                lambda: app.screen if isinstance(app.screen, CommandScreen) else None,
                what="the new incident opened",
            )
            (declared,) = ops.list_incidents(store)
            assert screen is not None
            assert screen.ref == declared.ref and "checkout" in declared.title


async def test_a_record_opened_before_the_screen_mounts_is_attached_once(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine the record can open between the command screen's compose and its
    Mount: the screen then writes and watches through one writer and one watcher, not two
    (the second writer was never stopped: the app's exit waited for its thread)."""
    import asyncio

    from screens.watcher import IncidentWatcher
    from screens.writer import RecordWriter

    path = tmp_path / "demo.db"
    with Store(path, policy=policy, clock=clock) as seed:
        ref = build_demo(seed)
    started: list[RecordWriter] = []
    watchers: list[IncidentWatcher] = []
    start, watcher_init, mounted = RecordWriter.start, IncidentWatcher.__init__, CommandScreen.on_mount

    def counted_start(writer: RecordWriter, **options: bool) -> None:
        started.append(writer)
        start(writer, **options)

    def counted_watcher(watcher: IncidentWatcher, *args: object, **kwargs: object) -> None:
        watchers.append(watcher)
        watcher_init(watcher, *args, **kwargs)  # type: ignore[arg-type]

    async def late_mount(screen: CommandScreen) -> None:
        for _ in range(500):  # until the record is open and shown on this screen
            if screen.ref is not None and screen.store is not None:
                break
            await asyncio.sleep(0.01)
        mounted(screen)

    monkeypatch.setattr(RecordWriter, "start", counted_start)
    monkeypatch.setattr(IncidentWatcher, "__init__", counted_watcher)
    monkeypatch.setattr(CommandScreen, "on_mount", late_mount)
    opened: list[Store] = []

    def opener() -> Store:
        opened.append(Store(path, policy=policy, clock=clock))
        return opened[-1]

    app = WarroomApp(opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.ref == ref, what="the incident")
        await pilot.pause(0.2)
        assert len(started) == 1 and len(watchers) == 1
    assert started[0].outbox.stopped
    opened[0].close()
