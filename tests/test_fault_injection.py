"""Broken surroundings: a full disk, a read-only database, a missing directory, a corrupt
file, a database from a newer warroom. Each gets one clear line from the real `warroom`
command (or the app), and nothing already stored is damaged."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store, create_engine_for
from storage.policy import Policy
from tests.unprivileged import IS_ROOT, bound_by_file_modes
from tui.app import WarroomApp

ROOT = Path(__file__).resolve().parent.parent
WARROOM = str(Path(sys.executable).parent / "warroom")


def warroom(*args: str, db: Path, bound_by_modes: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed `warroom` command (bound by file modes even as root, when asked)."""
    command = [WARROOM, *args[:1], "--db", str(db), *args[1:]]
    if bound_by_modes:
        command = bound_by_file_modes(command)
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def one_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), result.stderr
    assert any(word in lines[0] for word in expected), lines[0]


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


@pytest.fixture
def small_disk(open_dir: Path) -> Iterator[tuple[Path, int | None]]:
    """A directory on a 1 MB filesystem (a tmpfs, as root), else a plain directory and a
    file-size limit for the writing process: the two ways to fill a disk here."""
    mount = open_dir / "disk"
    mount.mkdir()
    if IS_ROOT and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)]).returncode == 0:
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
    child = subprocess.run([sys.executable, "-c", FILLER.format(root=str(ROOT), limit=limit), str(path), ref],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    output = child.stdout.strip().splitlines()
    acknowledged = [int(line.split()[1]) for line in output if line.startswith("ACK")]
    assert output[-1].startswith("ERROR") and ("full" in output[-1]) and "nothing was saved" in output[-1]
    result = warroom("log", ref, "one more long line " + "z" * 50_000, db=path)
    one_line(result, "full")
    intact(path, ref, policy, lines=10)
    with Store(path, policy=policy) as store:
        rows, _ = live.event_rows(store, ref)
    fillers = {row.text.split()[1] for row in rows if row.text.startswith("filler")}
    assert fillers >= {str(number) for number in acknowledged}


def test_a_read_only_database_is_one_clear_line_and_stays_as_it_was(
    open_dir: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = open_dir / "w.db"
    ref = filled(path, policy, clock)
    before = digest(path)
    path.chmod(0o444)
    open_dir.chmod(0o555)
    try:  # root writes anywhere: its command runs without the capabilities to do so
        result = warroom("log", ref, "cannot be written", db=path, bound_by_modes=True)
    finally:
        open_dir.chmod(0o755)
    one_line(result, "read-only", "cannot open", "readonly")
    assert digest(path) == before
    intact(path, ref, policy)


def test_a_missing_directory_that_cannot_be_made_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    one_line(warroom("list", db=blocker / "sub" / "w.db"), "cannot create the directory")
    assert blocker.read_text() == "a file where the directory should be"


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
        data = data[: 2 * page] + bytes(range(256)) * ((len(data) - 2 * page) // 256) + data[-(len(data) % 256 or 256):][: (len(data) - 2 * page) % 256]
    path.write_bytes(data)
    before = digest(path)
    results = [warroom("timeline", ref, db=path), warroom("log", ref, "written to a broken file", db=path)]
    for result in results:
        one_line(result, "not a readable warroom database", "database error", "not a warroom database")
        assert "Traceback" not in result.stderr
    assert digest(path) == before


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
    one_line(warroom("log", ref, "not now", db=path), "newer than this warroom")
    assert digest(path) == before


async def test_the_app_on_a_corrupt_database_ends_with_the_reason(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "w.db"
    garbage = b"not a database" * 500
    path.write_bytes(garbage)
    app = WarroomApp(opener=lambda: Store(path, policy=policy, clock=clock))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    assert app.return_code == 1
    assert app.failure is not None and "not a readable warroom database" in app.failure
    assert path.read_bytes() == garbage


def test_an_unreadable_config_file_is_one_clear_line(open_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = open_dir / "config.toml"
    config.write_text('timezone = "UTC"\n')
    config.chmod(0o000)  # root reads it anyway: its command runs without the capabilities to do so
    command = bound_by_file_modes([WARROOM, "list", "--db", str(open_dir / "w.db")])
    env = {**os.environ, "WARROOM_CONFIG": str(config)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    one_line(result, "cannot read")
