"""Waiting for a SQLite file to be written (`storage.file_watch`), and the watcher sleeping
until it is: a line from another process shows at once, and an idle screen looks at
nothing on a timer but the safety net."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from storage.file_watch import FileWrites

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


def wal_file(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE t (x)")
    return db


def test_a_commit_by_another_connection_is_reported_at_once(tmp_path: Path) -> None:
    db = wal_file(tmp_path / "w.db")
    writes = FileWrites.open(str(tmp_path / "w.db"))
    assert writes is not None
    try:
        assert writes.wait(0.2) is False  # nothing written
        threading.Timer(0.1, lambda: sqlite3.connect(tmp_path / "w.db", isolation_level=None).execute(
            "INSERT INTO t VALUES (1)")).start()
        started = time.monotonic()
        assert writes.wait(5.0) is True
        assert time.monotonic() - started < 2.0
        (tmp_path / "other.txt").write_text("not the database")
        assert writes.wait(0.2) is False  # another file of the folder
    finally:
        writes.close()
        db.close()


def test_a_wake_ends_the_wait_without_a_write(tmp_path: Path) -> None:
    db = wal_file(tmp_path / "w.db")
    writes = FileWrites.open(str(tmp_path / "w.db"))
    assert writes is not None
    try:
        threading.Timer(0.1, writes.wake).start()
        started = time.monotonic()
        assert writes.wait(5.0) is False
        assert time.monotonic() - started < 2.0
    finally:
        writes.close()
        db.close()


def test_no_watch_where_the_folder_is_missing(tmp_path: Path) -> None:
    assert FileWrites.open(str(tmp_path / "gone" / "w.db")) is None


async def test_an_idle_screen_looks_at_the_record_only_on_the_safety_net_and_a_line_shows_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screens.command import CommandScreen
    from storage import ops
    from storage.db import Store
    from storage.outbox import ChangeProbe
    from tests.waiting import until
    from tui.app import WarroomApp
    from widgets.timeline import TimelineView

    looks: list[float] = []
    changed = ChangeProbe.changed

    def counted(probe: ChangeProbe) -> bool:
        looks.append(time.monotonic())
        return changed(probe)

    monkeypatch.setattr(ChangeProbe, "changed", counted)
    path = tmp_path / "w.db"
    with Store(path) as store, Store(path) as other:
        ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="all").ref
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, CommandScreen)
            await until(pilot, lambda: len(looks) >= 1, what="the first look")
            await pilot.pause(0.5)  # what start-up wrote, looked at
            looks.clear()
            for number in range(15):  # other files of the folder written meanwhile
                (tmp_path / "notes.txt").write_text(f"note {number}")
                await pilot.pause(0.1)
            assert len(looks) <= 1  # not every half second, nor at each of those writes
            written = time.monotonic()
            ops.log(other, ref, "from the other terminal")
            timeline = screen.query_one(TimelineView)
            await until(pilot, lambda: any(e.text == "from the other terminal" for e in timeline.entries),
                        what="the other terminal's line")
            assert time.monotonic() - written < 1.0


async def test_where_the_kernel_misses_writes_the_safety_net_finds_the_line_and_polling_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screens.watcher
    from screens.command import CommandScreen
    from storage import ops
    from storage.db import Store
    from tests.waiting import until
    from tui.app import WarroomApp
    from widgets.timeline import TimelineView

    monkeypatch.setattr(FileWrites, "_written", lambda self: False)  # a file system the kernel cannot watch
    monkeypatch.setattr(screens.watcher, "QUIET_POLL_SECONDS", 1.0)
    path = tmp_path / "w.db"
    with Store(path) as store, Store(path) as other:
        ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="all").ref
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, CommandScreen)
            timeline = screen.query_one(TimelineView)

            def shown(text: str) -> bool:
                return any(entry.text == text for entry in timeline.entries)

            await pilot.pause(0.3)
            ops.log(other, ref, "missed by the kernel")
            await until(pilot, lambda: shown("missed by the kernel"), seconds=5.0, what="the safety net's look")
            written = time.monotonic()
            ops.log(other, ref, "polled for")
            await until(pilot, lambda: shown("polled for"), what="the next line, polled for")
            assert time.monotonic() - written < 0.9  # within the poll, not the safety net's second


def test_a_watch_tells_a_write_from_the_time_running_out(tmp_path: Path) -> None:
    db = wal_file(tmp_path / "w.db")
    writes = FileWrites.open(str(tmp_path / "w.db"))
    assert writes is not None
    try:
        db.execute("INSERT INTO t VALUES (1)")
        assert writes.wait(1.0) is True
        assert writes.wait(0.1) is False  # each write told once
    finally:
        writes.close()
        db.close()
