"""Files: nothing readable by others, nothing clobbered (docs/reliability.md).

An existing database file open to others is made private, with its -wal and -shm, and
says so once; a file of another user or a symbolic link is never changed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import DatabaseError
from storage.policy import Policy
from tui.cli import main


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """Run with umask 022, the usual one: a file SQLite creates is as open as the database."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def warroom(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def declare(db: Path) -> Result:
    return warroom("declare", "--db", str(db), "--sev", "2", "--functionality", "login", "--state", "failing",
                   "--audience", "EU customers")


def notices(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "mode 0" in line]


# --- the database file ---------------------------------------------------------------------


def test_an_existing_database_readable_by_others_is_made_private_and_said_once(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "w.db"
    db.touch()
    db.chmod(0o644)
    first = declare(db)
    assert first.exit_code == 0, first.stderr
    assert notices(first) == [f"warroom: {db} was readable by others (mode 0644); made it 0600"]
    assert mode(db) == 0o600
    holder = sqlite3.connect(db)  # SQLite gives the -wal and -shm it creates the database's mode
    try:
        holder.execute("SELECT count(*) FROM event").fetchall()
        assert mode(Path(f"{db}-wal")) == mode(Path(f"{db}-shm")) == 0o600
    finally:
        holder.close()
    again = declare(db)
    assert again.exit_code == 0 and notices(again) == []


def test_existing_wal_and_shm_files_open_to_others_are_made_private(
    tmp_path: Path, policy: Policy, clock: FrozenClock, usual_umask: None
) -> None:
    db = tmp_path / "w.db"
    with Store(db, policy=policy, clock=clock) as store:
        ops.declare(store, severity=1, functionality="payments", state="down", audience="all")
    db.chmod(0o644)
    holder = sqlite3.connect(db)  # another process has it open: its -wal and -shm stay
    try:
        holder.execute("SELECT count(*) FROM event").fetchall()
        Path(f"{db}-shm").chmod(0o666)
        side_files = [Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert [mode(path) for path in side_files] == [0o644, 0o666]
        result = warroom("list", "--db", str(db))
        assert result.exit_code == 0, result.stderr
        assert sorted(notices(result)) == sorted([
            f"warroom: {db} was readable by others (mode 0644); made it 0600",
            f"warroom: {db}-wal was readable by others (mode 0644); made it 0600",
            f"warroom: {db}-shm was readable and writable by others (mode 0666); made it 0600",
        ])
        assert [mode(path) for path in (db, *side_files)] == [0o600] * 3
    finally:
        holder.close()


def test_a_database_of_another_user_keeps_its_mode_and_is_named(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.db"
    db.touch()
    db.chmod(0o644)
    owner = db.stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)  # as seen by another user (root may read it)
    with Store(db, policy=policy, clock=clock) as store:
        assert store.notices == [
            f"{db} belongs to another user (uid {owner}) and is readable by others (mode 0644); left as it is"
        ]
    assert mode(db) == 0o644


def test_a_symbolic_link_is_never_followed_to_change_a_mode(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.db"
    target.touch()
    target.chmod(0o644)
    link = tmp_path / "w.db"
    link.symlink_to(target)
    with Store(link, policy=policy, clock=clock) as store:
        assert store.notices == [
            f"{link} is a symbolic link to a file readable by others (mode 0644); not followed, left as it is"
        ]
    assert mode(target) == 0o644
    victim = elsewhere / "victim"
    victim.write_text("someone else's file")
    victim.chmod(0o644)
    db = tmp_path / "other.db"
    Path(f"{db}-wal").symlink_to(victim)  # SQLite would write the log into it
    with pytest.raises(DatabaseError, match="other.db-wal is a symbolic link"):
        Store(db, policy=policy, clock=clock)
    assert victim.read_text() == "someone else's file" and mode(victim) == 0o644
