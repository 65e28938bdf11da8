"""Faults in warroom's surroundings: a full disk, a read-only database, file system or user, a
missing or unwritable directory, a corrupt or damaged file, a config file with errors and a
schema from a newer warroom, each met by `Store`, by the real `warroom` command and by the
app. Each ends in one clear line, and what was stored before is all still there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import event
from textual.pilot import Pilot

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store, create_engine_for
from storage.drafts import Drafts
from storage.errors import ConfigError, DatabaseError
from storage.migrate import HEAD_REVISION
from storage.models import SQLModel
from storage.policy import Policy
from tests.unprivileged import IS_ROOT, bound_by_file_modes
from tests.waiting import until
from tui.app import WarroomApp
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
WARROOM = str(Path(sys.executable).parent / "warroom")


def one_line(message: str, *expected: str) -> None:
    """One line, no traceback, no terminal control, and the words that say what happened."""
    assert message.strip() and "\n" not in message.strip() and "Traceback" not in message, message
    assert not [char for char in message.strip() if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0], message
    assert all(word in message for word in expected), (expected, message)


def one_line_from(result: subprocess.CompletedProcess[str], *any_of: str) -> None:
    """The real command failed with exit status 1 and one `warroom: ` line holding one of `any_of`."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), result.stderr
    assert any(word in lines[0] for word in any_of), lines[0]


def run_warroom(*args: str, db: Path, bound_by_modes: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed `warroom` command (bound by file modes even as root, when asked)."""
    command = [WARROOM, *args[:1], "--db", str(db), *args[1:]]
    if bound_by_modes:
        command = bound_by_file_modes(command)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


async def until_ended(app: WarroomApp, pilot: Pilot[Any]) -> None:
    """Let `app` run until it leaves on its own; fail after five seconds."""
    await until(pilot, lambda: not app.is_running, seconds=5, what="the app to end on its own")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


KEPT = "kept line {number} " + "x" * 200


def filled(path: Path, policy: Policy, clock: FrozenClock, lines: int = 30) -> str:
    """A database holding one incident with `lines` logged lines; its reference."""
    with Store(path, policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="payments", state="down", audience="all").ref
        for number in range(lines):
            ops.log(store, ref, KEPT.format(number=number))
    return ref


def intact(path: Path, ref: str, policy: Policy, lines: int = 30) -> list[str]:
    """Every line written before the fault is there and the file is consistent; the texts."""
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    with Store(path, policy=policy) as store:
        texts = [row.text for row in live.event_rows(store, ref)[0]]
    assert all(KEPT.format(number=number) in texts for number in range(lines))
    return texts


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory other users can reach (pytest's own is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="warroom-fault-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


# --- a full disk or database ---------------------------------------------------------------


@pytest.fixture
def small_disk(open_dir: Path) -> Iterator[tuple[Path, int | None]]:
    """A directory on a 1 MB filesystem (a tmpfs, as root), else a plain directory and a
    file-size limit for the writing process: the two ways to fill a disk here."""
    mount = open_dir / "disk"
    mount.mkdir()
    if (
        IS_ROOT
        and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=False).returncode == 0
    ):
        try:
            yield mount, None
        finally:
            subprocess.run(["umount", "--lazy", str(mount)], check=True)
    else:
        yield mount, 1_000_000


FILLER = textwrap.dedent(
    """
    import resource, signal, sys
    sys.path.insert(0, {root!r})
    if {limit!r}:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit!r}, {limit!r}))
    from storage.db import Store
    from storage import ops
    from storage.errors import WarroomError
    with Store(sys.argv[1]) as store:
        for number in range(100_000):
            try:
                ops.log(store, sys.argv[2], f"filler {{number}} " + "y" * 20_000)
            except WarroomError as exc:
                print("ERROR", exc, flush=True)
                break
            print("ACK", number, flush=True)
    """
)


def test_a_full_disk_is_one_clear_line_and_loses_nothing_stored(
    small_disk: tuple[Path, int | None], policy: Policy, clock: FrozenClock
) -> None:
    disk, limit = small_disk
    path = disk / "w.db"
    ref = filled(path, policy, clock, lines=10)
    child = subprocess.run(
        [sys.executable, "-c", FILLER.format(root=str(ROOT), limit=limit), str(path), ref],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    output = child.stdout.strip().splitlines()
    acknowledged = [int(line.split()[1]) for line in output if line.startswith("ACK")]
    assert output[-1].startswith("ERROR") and ("full" in output[-1]) and "nothing was saved" in output[-1]
    result = run_warroom("log", ref, "one more long line " + "z" * 50_000, db=path)
    one_line_from(result, "full")
    intact(path, ref, policy, lines=10)
    with Store(path, policy=policy) as store:
        rows, _ = live.event_rows(store, ref)
    fillers = {row.text.split()[1] for row in rows if row.text.startswith("filler")}
    assert fillers >= {str(number) for number in acknowledged}


class PageCap:
    """A full disk on demand: SQLite's `max_page_count` set at the start of every transaction
    of `store` (the pages already used plus `spare`), or lifted again; with `monkeypatch`,
    of every write of `storage.lite` too (the app's scribe lines on SQLite)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch | None = None) -> None:
        self.limit: int | None = None
        event.listen(store.engine, "begin", self._apply)  # after the store's own BEGIN
        if monkeypatch is not None:
            from storage.lite.connection import LiteStore

            begin = LiteStore._begin_immediate

            def begin_capped(lite: LiteStore) -> None:
                begin(lite)
                lite._connection.execute(f"PRAGMA max_page_count = {self.limit or 1_073_741_823:d}")

            monkeypatch.setattr(LiteStore, "_begin_immediate", begin_capped)

    def _apply(self, connection: sa.Connection) -> None:
        connection.exec_driver_sql(f"PRAGMA max_page_count = {self.limit or 1_073_741_823:d}")

    def fill(self, store: Store, spare: int = 1) -> None:
        with store.engine.connect() as connection:
            self.limit = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one()) + spare


def test_a_full_database_refuses_a_line_in_one_line_and_keeps_everything_before(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    ref = filled(path, policy, clock)
    with Store(path, policy=policy, clock=clock) as store:
        cap = PageCap(store)
        cap.fill(store)
        acknowledged: list[int] = []
        with pytest.raises(DatabaseError) as refused:
            for number in range(1000):
                ops.log(store, ref, f"filler {number} " + "y" * 3000)
                acknowledged.append(number)
        one_line(str(refused.value), "full", "nothing was saved")
        assert f"filler {len(acknowledged)} " not in " ".join(row.text for row in live.event_rows(store, ref)[0])
        cap.limit = None  # space freed: the same store writes again
        ops.log(store, ref, "after the disk was freed")
    texts = intact(path, ref, policy)
    assert [text.split()[1] for text in texts if text.startswith("filler")] == [str(n) for n in acknowledged]
    assert texts[-1] == "after the disk was freed"


async def test_the_app_keeps_a_line_a_full_disk_refuses_says_why_and_saves_it_later(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screens.command import CommandScreen

    path = tmp_path / "w.db"
    ref = filled(path, policy, clock)
    line = "rolled back the deploy " + "z" * 20_000
    with Store(path, policy=policy, clock=clock) as store:
        cap = PageCap(store, monkeypatch)
        cap.fill(store, spare=0)
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CommandScreen)
            screen.query_one("#scribe").value = line  # type: ignore[attr-defined]
            await pilot.press("enter")
            waiting = screen.query_one("#scribe-waiting")
            await until(
                pilot, lambda: waiting.display, seconds=5, what="the line the full disk refused shown as waiting"
            )
            shown = " ".join(waiting.render_line(y).text.strip() for y in range(waiting.size.height))
            assert "Not saved yet, retrying (the disk holding" in shown and "is full" in shown, shown
            assert "rolled back the deploy" in shown
            assert screen.unsaved_lines == (line,)
            assert [kept.text for kept in Drafts(store.url).load_pending(ref)] == [line]  # on disk meanwhile
            cap.limit = None
            await until(
                pilot,
                lambda: not screen.unsaved_lines and not Drafts(store.url).load_pending(ref),
                what="the kept line saved once the disk has room, and its draft on disk let go",
            )
            assert screen.unsaved_lines == () and not waiting.display
        assert [row.text for row in live.event_rows(store, ref)[0]].count(line) == 1
        assert Drafts(store.url).load_pending(ref) == []
    intact(path, ref, policy)


# --- a read-only database ------------------------------------------------------------------


def test_a_read_only_database_is_one_clear_line_and_stays_as_it_was(
    open_dir: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = open_dir / "w.db"
    ref = filled(path, policy, clock)
    before = digest(path)
    path.chmod(0o444)
    open_dir.chmod(0o555)
    try:  # root writes anywhere: its command runs without the capabilities to do so
        result = run_warroom("log", ref, "cannot be written", db=path, bound_by_modes=True)
    finally:
        open_dir.chmod(0o755)
    one_line_from(result, "read-only", "cannot open", "readonly")
    assert digest(path) == before
    intact(path, ref, policy)


@dataclass
class ReadOnlyPlace:
    """A folder whose database this test's child processes cannot write, and how."""

    folder: Path
    how: str
    """'file system' (a read-only bind mount) or 'mode' (chmod; a child of root runs without
    the capabilities that pass over modes, see tests/unprivileged.py)."""
    source: Path

    def run(self, script: str, *args: str) -> dict[str, object]:
        """Run a Python `script` with `args` where the database cannot be written; its JSON."""
        command = [sys.executable, "-c", textwrap.dedent(script), str(ROOT), *args]
        if self.how == "mode":
            command = bound_by_file_modes(command)
        child = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert child.returncode == 0 and "Traceback" not in child.stderr, child.stderr
        return json.loads(child.stdout.strip().splitlines()[-1])


def _bind_read_only(source: Path, target: Path) -> bool:
    """Mount `source` read-only on `target` (root, where mounting is allowed)."""
    if (
        not IS_ROOT
        or subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, check=False).returncode
    ):
        return False
    if subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], capture_output=True, check=False).returncode:
        subprocess.run(["umount", str(target)], check=True)
        return False
    return True


@pytest.fixture(params=["file system", "user"])
def read_only(request: pytest.FixtureRequest) -> Iterator[ReadOnlyPlace]:
    """A database folder that cannot be written: a read-only file system, or a folder and
    files whose modes forbid writing to a user (root included: its child runs without the
    capabilities that pass over modes). Where mounting is not allowed the first falls back
    to the second."""
    source = Path(tempfile.mkdtemp(prefix="warroom-ro-"))
    source.chmod(0o755)
    (source / "db").mkdir()
    (source / "db").chmod(0o755)
    target = source / "mounted"
    target.mkdir()
    mounted = request.param == "file system" and _bind_read_only(source / "db", target)
    how = "file system" if mounted else "mode"
    place = ReadOnlyPlace(target if mounted else source / "db", how, source)
    try:
        yield place
    finally:
        if mounted:
            subprocess.run(["umount", str(target)], check=True)
        (source / "db").chmod(0o755)
        shutil.rmtree(source, ignore_errors=True)


def make_read_only(place: ReadOnlyPlace) -> None:
    """Take write access away (the bind mount is read-only already)."""
    if place.how == "file system":
        return
    for path in place.folder.iterdir():
        path.chmod(0o444)
    place.folder.chmod(0o555)


def filled_then_read_only(place: ReadOnlyPlace, policy: Policy, clock: FrozenClock) -> tuple[Path, str, str]:
    """A filled database made read-only as `place` says: its path, reference and digest."""
    path = place.source / "db" / "w.db"
    ref = filled(path, policy, clock)
    before = digest(path)
    make_read_only(place)
    return path, ref, before


STORE_SCRIPT = """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from storage import ops
    from storage.db import Store
    from storage.errors import WarroomError
    path, ref = sys.argv[2:4]
    result = {}
    try:
        store = Store(path)
        result["read"] = len(ops.timeline(store, ref))
        ops.log(store, ref, "cannot be written")
        result["written"] = True
    except WarroomError as exc:
        result["error"] = [type(exc).__name__, str(exc)]
    print(json.dumps(result))
"""


def test_a_read_only_database_is_refused_by_store_in_one_line_and_stays_as_it_was(
    read_only: ReadOnlyPlace, policy: Policy, clock: FrozenClock
) -> None:
    path, ref, before = filled_then_read_only(read_only, policy, clock)
    result = read_only.run(STORE_SCRIPT, str(read_only.folder / "w.db"), ref)
    assert "written" not in result
    kind, message = cast("list[str]", result["error"])
    assert kind == "DatabaseError"
    one_line(message, "read-only", str(read_only.folder / "w.db"))
    assert digest(path) == before
    intact(path, ref, policy)


def test_a_new_database_in_a_read_only_folder_is_one_clear_line(read_only: ReadOnlyPlace) -> None:
    make_read_only(read_only)
    result = read_only.run(STORE_SCRIPT, str(read_only.folder / "new.db"), "inc-none")
    kind, message = cast("list[str]", result["error"])
    assert kind == "DatabaseError"
    one_line(message, "cannot create the database", str(read_only.folder / "new.db"))
    assert not (read_only.source / "db" / "new.db").exists()


APP_SCRIPT = """
    import asyncio, json, sys
    sys.path.insert(0, sys.argv[1])
    from storage.db import Store
    from tests.waiting import until
    from tui.app import WarroomApp

    async def main(path, ref, line):
        app = WarroomApp(opener=lambda: Store(path), ref=ref)
        result = {}
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: not app.is_running or getattr(app.screen, "store", None) is not None,
                        what="the store open or the app ended")
            if app.is_running and line:
                screen = app.screen
                screen.query_one("#scribe").value = line
                await pilot.press("enter")
                waiting = screen.query_one("#scribe-waiting")
                await until(pilot, lambda: waiting.display, what="the refused line shown as waiting")
                result["waiting"] = " ".join(waiting.render_line(y).text.strip() for y in range(waiting.size.height))
                result["unsaved"] = list(screen.unsaved_lines)
                app.exit()
        result["return_code"] = app.return_code
        result["failure"] = app.failure
        print(json.dumps(result))

    asyncio.run(main(*sys.argv[2:5]))
"""


def test_the_app_on_a_read_only_database_ends_with_the_reason(
    read_only: ReadOnlyPlace, policy: Policy, clock: FrozenClock
) -> None:
    path, ref, before = filled_then_read_only(read_only, policy, clock)
    result = read_only.run(APP_SCRIPT, str(read_only.folder / "w.db"), ref, "")
    assert result["return_code"] == 1
    one_line(str(result["failure"]), "read-only")
    if read_only.how == "file system":
        assert "its file system is mounted read-only" in str(result["failure"])
    assert digest(path) == before


def test_the_app_keeps_a_line_a_read_only_database_refuses_and_says_why(
    read_only: ReadOnlyPlace, policy: Policy, clock: FrozenClock
) -> None:
    path = read_only.source / "db" / "w.db"
    ref = filled(path, policy, clock)
    holder = sqlite3.connect(path)  # another process has the record open: its -wal and -shm exist
    try:
        holder.execute("SELECT count(*) FROM event").fetchall()
        make_read_only(read_only)
        result = read_only.run(APP_SCRIPT, str(read_only.folder / "w.db"), ref, "typed on a read-only record")
    finally:
        holder.close()
    assert result["failure"] is None, result
    assert "Not saved yet, retrying (the database" in str(result["waiting"]), result
    assert "read-only" in str(result["waiting"]) and "typed on a read-only record" in str(result["waiting"])
    assert result["unsaved"] == ["typed on a read-only record"]
    intact(path, ref, policy)


# --- a missing directory -------------------------------------------------------------------


def test_a_missing_directory_that_cannot_be_made_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    one_line_from(run_warroom("list", db=blocker / "sub" / "w.db"), "cannot create the directory")
    assert blocker.read_text() == "a file where the directory should be"


async def test_the_app_under_a_directory_that_cannot_be_made_ends_with_the_reason(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    app = WarroomApp(opener=lambda: Store(blocker / "sub" / "w.db", policy=policy, clock=clock))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(app, pilot)
    assert app.return_code == 1
    one_line(str(app.failure), "cannot create the directory", str(blocker / "sub"))
    assert blocker.read_text() == "a file where the directory should be"


# --- a corrupt database --------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "page overwritten"])
def test_a_corrupt_database_is_one_clear_line_and_is_not_made_worse(
    tmp_path: Path, policy: Policy, clock: FrozenClock, damage: str
) -> None:
    path = tmp_path / "w.db"
    ref = filled(path, policy, clock, lines=400)
    data = path.read_bytes()
    page = 4096
    if damage == "garbage":
        data = b"\x00garbage" * 4096
    elif damage == "truncated":
        data = data[: len(data) // 2 + 100]
    else:  # every page after the schema overwritten: the event table's pages among them
        data = (
            data[: 2 * page]
            + bytes(range(256)) * ((len(data) - 2 * page) // 256)
            + data[-(len(data) % 256 or 256) :][: (len(data) - 2 * page) % 256]
        )
    path.write_bytes(data)
    before = digest(path)
    results = [run_warroom("timeline", ref, db=path), run_warroom("log", ref, "written to a broken file", db=path)]
    for result in results:
        one_line_from(result, "not a readable warroom database", "database error", "not a warroom database")
        assert "Traceback" not in result.stderr
    assert digest(path) == before


async def test_the_app_on_a_corrupt_database_ends_with_the_reason(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    garbage = b"not a database" * 500
    path.write_bytes(garbage)
    app = WarroomApp(opener=lambda: Store(path, policy=policy, clock=clock))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(app, pilot)
    assert app.return_code == 1
    assert app.failure is not None and "not a readable warroom database" in app.failure
    assert path.read_bytes() == garbage


def damaged(path: Path, policy: Policy, clock: FrozenClock, damage: str) -> tuple[str, str]:
    """A real database damaged as named; its reference and the digest of the damaged file."""
    ref = filled(path, policy, clock, lines=400)
    data = bytearray(path.read_bytes())
    page = 4096
    if damage == "truncated":
        data = data[: len(data) // 2 + 100]
    elif damage == "pages overwritten":
        data[2 * page :] = (bytes(range(256)) * (len(data) // 256 + 1))[: len(data) - 2 * page]
    else:  # only the pages holding event rows, with bytes that are not UTF-8 and a terminal escape
        for start in range(len(data) // 3 // page * page, len(data), page):
            if b"kept line 2" in data[start : start + page]:
                data[start + 100 : start + page - 100] = (b"\x1b]52;c;\xff\xfe" * page)[: page - 200]
    path.write_bytes(bytes(data))
    return ref, digest(path)


@pytest.mark.parametrize("damage", ["truncated", "pages overwritten", "event pages overwritten"])
def test_a_damaged_database_is_refused_by_store_in_one_line_and_not_made_worse(
    tmp_path: Path, policy: Policy, clock: FrozenClock, damage: str
) -> None:
    path = tmp_path / "w.db"
    ref, before = damaged(path, policy, clock, damage)
    with pytest.raises(DatabaseError) as refused, Store(path, policy=policy, clock=clock) as store:
        ops.timeline(store, ref)  # (storage.live's fast SQLite reads let the driver's error through)
        ops.log(store, ref, "written to a broken file")
    one_line(str(refused.value), "is not a readable warroom database")
    assert digest(path) == before


def test_a_damaged_event_page_is_one_clear_line_from_the_command(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    ref, before = damaged(path, policy, clock, "event pages overwritten")
    for args in (["timeline", ref], ["export", ref, "--format", "json"]):
        result = CliRunner().invoke(main, [args[0], "--db", str(path), *args[1:]], catch_exceptions=False)
        assert result.exit_code == 1 and result.stdout == ""
        one_line(result.stderr, "warroom: ", "is not a readable warroom database")
    assert digest(path) == before


@pytest.mark.parametrize("damage", ["truncated", "pages overwritten", "event pages overwritten"])
async def test_the_app_on_a_damaged_database_ends_with_the_reason(
    tmp_path: Path, policy: Policy, clock: FrozenClock, damage: str
) -> None:
    path = tmp_path / "w.db"
    ref, before = damaged(path, policy, clock, damage)
    app = WarroomApp(opener=lambda: Store(path, policy=policy, clock=clock), ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(app, pilot)
    assert app.return_code == 1
    one_line(str(app.failure), "is not a readable warroom database")
    assert digest(path) == before


async def test_a_line_typed_while_a_damaged_database_opens_is_kept_as_the_draft(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from storage.db import resolve_url

    path = tmp_path / "w.db"
    ref, before = damaged(path, policy, clock, "event pages overwritten")
    typed = threading.Event()

    def open_after_typing() -> Store:
        typed.wait(10)
        return Store(path, policy=policy, clock=clock)

    app = WarroomApp(opener=open_after_typing, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"typed while it opened")
        typed.set()
        await until_ended(app, pilot)
    assert app.return_code == 1
    one_line(str(app.failure), "is not a readable warroom database", "the line you typed is kept")
    assert Drafts(resolve_url(str(path))).load(ref) == "typed while it opened"
    assert digest(path) == before


# --- a config file with errors -------------------------------------------------------------


BAD_CONFIGS = [
    ("[severity.SEV1\ncheckin = 1", "invalid TOML"),
    ('[severity.sev1]\ncheckin = "5m"', "severity.sev1"),
    ('[severity.SEVX]\nname = "x"', "severity.SEVX"),
    ('[severity.SEV4]\nname = "Minor"', "severity.SEV4"),
    ('[severity.SEV1]\nchekin = "5m"', "did you mean 'checkin'"),
    ('[severity.SEV2]\nstatus_page = "-1h"', "severity.SEV2.status_page"),
    ('[severity.SEV3]\ninternal_update = "0s"', "longer than zero"),
    ("[severity.SEV1]\ninternal_update = 30", "severity.SEV1.internal_update"),
    ('[process]\ndecide_within = "99999999d"', "too long"),
    ('[roles.ic]\nmany = "yes"', "roles.ic.many"),
    ("severity = [1, 2]", "severity"),
    ("a = " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_CONFIGS)
def test_a_config_with_errors_stops_store_before_the_database_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, expected: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    with pytest.raises(ConfigError) as refused:
        Store(tmp_path / "w.db")
    one_line(str(refused.value), str(config), expected)
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("content", [b"\xff\xfe not UTF-8", None])
def test_a_config_that_is_not_text_or_not_a_file_is_one_line_from_the_command(
    tmp_path: Path, content: bytes | None
) -> None:
    config = tmp_path / "config.toml"
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    result = CliRunner().invoke(main, ["log", "--db", str(tmp_path / "w.db"), "--config", str(config), "inc-x", "hi"])
    assert result.exit_code in (1, 2), result.output  # 2: click refuses a directory given as --config
    one_line(result.stderr.strip().splitlines()[-1], str(config.name))
    assert not (tmp_path / "w.db").exists()


async def test_the_app_with_a_config_error_ends_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[severity.SEV1]\ncheckin = "20x"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    app = WarroomApp(opener=lambda: Store(tmp_path / "w.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(app, pilot)
    assert app.return_code == 1
    one_line(str(app.failure), "severity.SEV1.checkin", "'20x' is not a duration")


def test_an_unreadable_config_file_is_one_clear_line(open_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = open_dir / "config.toml"
    config.write_text('timezone = "UTC"\n')
    config.chmod(0o000)  # root reads it anyway: its command runs without the capabilities to do so
    command = bound_by_file_modes([WARROOM, "list", "--db", str(open_dir / "w.db")])
    env = {**os.environ, "WARROOM_CONFIG": str(config)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    one_line_from(result, "cannot read")


# --- a database from a newer warroom -------------------------------------------------------


def test_a_newer_schema_is_refused_by_the_command_without_a_change(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    ref = filled(path, policy, clock)
    engine = create_engine_for(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    before = digest(path)
    one_line_from(run_warroom("log", ref, "not now", db=path), "newer than this warroom")
    assert digest(path) == before


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            tables = [*SQLModel.metadata.sorted_tables, sa.table("alembic_version", sa.column("version_num"))]
            return {
                table.name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
                for table in tables
            }
    finally:
        engine.dispose()


def set_revision(url: str, revision: str) -> None:
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
    engine.dispose()


@pytest.mark.postgres
def test_a_newer_schema_on_postgresql_is_refused_without_a_change(
    pg_url: str, policy: Policy, clock: FrozenClock
) -> None:
    with Store(pg_url, policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="payments", state="down", audience="all").ref
        ops.log(store, ref, "kept")
    set_revision(pg_url, "0099")
    before = snapshot(pg_url)
    with pytest.raises(DatabaseError) as refused:
        Store(pg_url, policy=policy, clock=clock)
    one_line(str(refused.value), "schema revision 0099", f"newer than this warroom knows ({HEAD_REVISION})")
    assert snapshot(pg_url) == before


async def test_the_app_on_a_newer_schema_ends_with_the_reason(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    ref = filled(path, policy, clock, lines=3)
    set_revision(f"sqlite:///{path}", "0099")
    before = snapshot(f"sqlite:///{path}")
    app = WarroomApp(opener=lambda: Store(path, policy=policy, clock=clock), ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(app, pilot)
    assert app.return_code == 1
    one_line(str(app.failure), "newer than this warroom", "upgrade warroom")
    assert snapshot(f"sqlite:///{path}") == before


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(["0004", "0003"], "records 2 schema revisions at once"), ([""], "records an empty schema revision")],
)
def test_a_schema_version_table_warroom_never_wrote_is_one_clear_line(
    tmp_path: Path, policy: Policy, clock: FrozenClock, rows: list[str], expected: str
) -> None:
    path = tmp_path / "w.db"
    filled(path, policy, clock, lines=3)
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute("DELETE FROM alembic_version")
            connection.executemany("INSERT INTO alembic_version (version_num) VALUES (?)", [(row,) for row in rows])
    finally:
        connection.close()
    before = snapshot(f"sqlite:///{path}")
    with pytest.raises(DatabaseError) as refused:
        Store(path, policy=policy, clock=clock)
    one_line(str(refused.value), expected, "nothing was changed")
    assert snapshot(f"sqlite:///{path}") == before
