"""Files: nothing readable by others, nothing clobbered (docs/reliability.md).

The database, its -wal and -shm, drafts, outbox files and exports are private (0600, folders
0700), under any umask and before any text is in them. An existing database file open to
others is made private, with its -wal and -shm, and says so once; a file of another user or a
symbolic link is never changed. No `-o` file, nor the outbox, may be the database or one of
its files (by path, relative path, hard or symbolic link), be reached through a symbolic
link, or belong to another user: each is one line, exit status 1, nothing written. Where
imported text may make warroom write is in tests/test_security.py.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner, Result

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.drafts import Drafts, PendingLine, drafts_dir, write_outbox
from storage.errors import DatabaseError
from storage.outputs import OutputRefused
from storage.policy import Policy
from tests.conftest import NOW
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent


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


def declare(db: Path | str) -> Result:
    return warroom("declare", "--db", str(db), "--sev", "2", "--functionality", "login", "--state", "failing",
                   "--audience", "EU customers")


def notices(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "mode 0" in line]


# --- private files under any umask --------------------------------------------------------


def test_database_drafts_and_exports_are_private(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        drafts = Drafts(store.url)
        drafts.save(ref, "half a line")
        drafts.save_pending(ref, [PendingLine("entered", NOW)])
    outbox = write_outbox("update", "text")
    runner = CliRunner()
    for fmt in ("json", "md"):
        out = tmp_path / f"export.{fmt}"
        assert (
            runner.invoke(
                main, ["export", "--db", str(tmp_path / "w.db"), ref, "--format", fmt, "-o", str(out)]
            ).exit_code
            == 0
        )
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    files = [tmp_path / "w.db", outbox, *drafts_dir().iterdir()]
    assert len(files) >= 4
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(drafts_dir().stat().st_mode) == 0o700


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 000: every mode below comes from warroom itself, not from the umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def modes_at_first_write(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The permissions each file had when it was opened for writing, before any text was in it."""
    seen: dict[str, int] = {}
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> IO[Any]:
        seen[os.readlink(f"/proc/self/fd/{fd}")] = stat.S_IMODE(os.fstat(fd).st_mode)
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
    return seen


def test_the_database_its_wal_and_shm_files_and_its_folder_are_private_under_any_umask(
    tmp_path: Path, policy: Policy, clock: FrozenClock, open_umask: None
) -> None:
    path = tmp_path / "data" / "w.db"
    with Store(path, policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="payments", state="down", audience="all").ref
        ops.log(store, ref, "written through the write-ahead log")
        files = {p.name: mode(p) for p in path.parent.iterdir()}
        assert set(files) == {"w.db", "w.db-wal", "w.db-shm"}
        assert files == dict.fromkeys(files, 0o600)
        assert mode(path.parent) == 0o700
        drafts = Drafts(store.url)
        drafts.save(ref, "half a line")
        assert {mode(p) for p in drafts_dir().iterdir()} == {0o600} and mode(drafts_dir()) == 0o700
        assert mode(write_outbox("update", "text")) == 0o600


@pytest.mark.parametrize(
    "args",
    [
        ("export", "{ref}", "--format", "json", "-o", "{out}"),
        ("export", "{ref}", "--format", "md", "-o", "{out}"),
        ("postmortem", "{ref}", "-o", "{out}"),
        ("postmortem", "{ref}", "--csv", "-o", "{out}"),
        ("postmortem", "{ref}", "--ics", "-o", "{out}"),
    ],
)
def test_an_export_over_a_file_anyone_could_read_is_private_before_the_text_is_in_it(
    tmp_path: Path, policy: Policy, clock: FrozenClock, modes_at_first_write: dict[str, int], args: tuple[str, ...]
) -> None:
    db = tmp_path / "w.db"
    with Store(db, policy=policy, clock=clock) as store:
        ref = build_demo(store)
        postmortem.update_postmortem(store, ref, meeting_at=NOW)
    out = tmp_path / "shared-folder" / "report"
    out.parent.mkdir()
    out.write_text("an old report")
    out.chmod(0o644)
    result = CliRunner().invoke(main, [args[0], "--db", str(db), *(a.format(ref=ref, out=out) for a in args[1:])])
    assert result.exit_code == 0, result.stderr
    assert modes_at_first_write[str(out)] == 0o600
    assert mode(out) == 0o600 and out.read_text() != "an old report"


def test_an_outbox_file_that_was_readable_is_private_before_the_text_is_in_it(
    modes_at_first_write: dict[str, int],
) -> None:
    first = write_outbox("inc-1-internal_update", "first text")
    first.chmod(0o644)
    again = write_outbox("inc-1-internal_update", "the second, private text")
    assert again == first and modes_at_first_write[str(first)] == 0o600 and mode(first) == 0o600


# --- the database file ---------------------------------------------------------------------


def test_an_existing_database_readable_by_others_is_made_private_and_said_once(
    tmp_path: Path, usual_umask: None
) -> None:
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


@pytest.mark.parametrize("url", ["sqlite:///file:{db}?uri=true", "sqlite:///file:{db}", "sqlite:///{db}?uri=true"])
def test_a_sqlite_uri_filename_is_refused_before_any_file_is_made(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file checks go by the path; a URI filename names another file than the one SQLite
    opens (`-o` could overwrite the database, and a stray `file:` folder appeared)."""
    monkeypatch.chdir(tmp_path)
    result = declare(url.format(db=tmp_path / "u.db"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "warroom: a SQLite URI filename (file:..., ?uri=true) is not supported: give the database's path"
    ]
    assert list(tmp_path.iterdir()) == []


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
        assert sorted(notices(result)) == sorted(
            [
                f"warroom: {db} was readable by others (mode 0644); made it 0600",
                f"warroom: {db}-wal was readable by others (mode 0644); made it 0600",
                f"warroom: {db}-shm was readable and writable by others (mode 0666); made it 0600",
            ]
        )
        assert [mode(path) for path in (db, *side_files)] == [0o600] * 3
    finally:
        holder.close()


def test_making_a_database_private_never_makes_it_writable(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    """Group and other bits are cleared, none added: a read-only file (0444) stays read-only (0400)."""
    db = tmp_path / "w.db"
    with Store(db, policy=policy, clock=clock):
        pass
    db.chmod(0o444)
    with Store(db, policy=policy, clock=clock, migrate=False) as store:
        assert store.notices == [f"{db} was readable by others (mode 0444); made it 0400"]
    assert mode(db) == 0o400


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
    with pytest.raises(DatabaseError, match=r"other.db-wal is a symbolic link"):
        Store(db, policy=policy, clock=clock)
    assert victim.read_text() == "someone else's file" and mode(victim) == 0o644


# --- files named with -o --------------------------------------------------------------------

COMMANDS = [
    ("export", "--format", "json"),
    ("export", "--format", "md"),
    ("postmortem",),
    ("postmortem", "--csv"),
    ("postmortem", "--ics"),
]
DATABASE_NAMES = ["the same path", "a relative path", "a hard link", "a symbolic link", "-wal", "-shm", "-journal"]


@pytest.fixture
def demo_db(tmp_path: Path, policy: Policy, clock: FrozenClock) -> tuple[Path, str]:
    """A database holding the demo incident, with a meeting (for --ics); its path and ref."""
    db = tmp_path / "data" / "w.db"
    with Store(db, policy=policy, clock=clock) as store:
        ref = build_demo(store)
        postmortem.update_postmortem(store, ref, meeting_at=NOW)
    return db, ref


def refused(result: Result, *words: str) -> None:
    """Exit status 1 and one line on stderr with `words`."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.mark.parametrize("name", DATABASE_NAMES)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_output_that_is_the_database_is_refused_and_nothing_is_written(
    demo_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, policy: Policy, command: tuple[str, ...], name: str
) -> None:
    db, ref = demo_db
    holder = sqlite3.connect(db)  # another warroom has the record open: its -wal and -shm exist
    try:
        holder.execute("SELECT count(*) FROM event").fetchall()
        files = {path: digest(path) for path in db.parent.iterdir()}
        if name == "the same path":
            output = str(db)
        elif name == "a relative path":
            monkeypatch.chdir(db.parent)
            output = f"./{db.name}"
        elif name == "a hard link":
            os.link(db, db.parent.parent / "hard-link.db")
            output = str(db.parent.parent / "hard-link.db")
        elif name == "a symbolic link":
            (db.parent.parent / "link.db").symlink_to(db)
            output = str(db.parent.parent / "link.db")
        else:
            output = f"{db}{name}"
        result = warroom(command[0], "--db", str(db), ref, *command[1:], "-o", output)
        refused(result, str(Path(output)), "nothing written")
        assert {path: digest(path) for path in db.parent.iterdir()} == files
    finally:
        holder.close()
    with Store(db, policy=policy) as store:
        assert ops.get_incident(store, ref).ref == ref


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_output_path_that_is_a_symbolic_link_is_not_followed(
    demo_db: tuple[Path, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    db, ref = demo_db
    victim = tmp_path / "victim.txt"
    victim.write_text("another file, readable by all")
    victim.chmod(0o644)
    link = tmp_path / "report"
    link.symlink_to(victim)
    result = warroom(command[0], "--db", str(db), ref, *command[1:], "-o", str(link))
    refused(result, "symbolic link", "not followed", "nothing written")
    assert victim.read_text() == "another file, readable by all" and mode(victim) == 0o644


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_output_file_of_another_user_is_neither_changed_nor_written(
    demo_db: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    db, ref = demo_db
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("their report")
    theirs.chmod(0o644)
    owner = theirs.stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)  # as seen by another user (root may write it)
    result = warroom(command[0], "--db", str(db), ref, *command[1:], "-o", str(theirs))
    refused(result, "belongs to another user", "nothing written")
    assert theirs.read_text() == "their report" and mode(theirs) == 0o644


def test_a_new_output_file_is_private_and_an_own_one_is_replaced(demo_db: tuple[Path, str], tmp_path: Path) -> None:
    db, ref = demo_db
    previous = os.umask(0)
    try:
        new = tmp_path / "new.json"
        assert warroom("export", "--db", str(db), ref, "--format", "json", "-o", str(new)).exit_code == 0
        assert mode(new) == 0o600 and new.read_text().startswith("{")
        own = tmp_path / "own.md"
        own.write_text("x" * 100_000)
        own.chmod(0o644)
        assert warroom("export", "--db", str(db), ref, "-o", str(own)).exit_code == 0
        assert mode(own) == 0o600 and not own.read_text().startswith("x")
    finally:
        os.umask(previous)


def test_the_outbox_does_not_follow_a_link_or_write_the_database(tmp_path: Path) -> None:
    first = write_outbox("inc-1-update", "first")
    victim = tmp_path / "victim.txt"
    victim.write_text("another file")
    first.unlink()
    first.symlink_to(victim)
    with pytest.raises(OutputRefused, match="symbolic link"):
        write_outbox("inc-1-update", "second")
    assert victim.read_text() == "another file"
    db = drafts_dir().parent / "outbox" / "w.db"
    db.write_text("stands for a database")
    with pytest.raises(OutputRefused, match="is the database"):
        write_outbox("w.db", "text", f"sqlite:///{db}")
    assert db.read_text() == "stands for a database"


# --- one way to write a named file ------------------------------------------------------------


def _writes_a_file(node: ast.Call) -> bool:
    """Whether the call opens a file for writing (os.open, open/Path.open with a writing
    mode, Path.write_text/bytes)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name in ("write_text", "write_bytes"):
        return True
    if (
        isinstance(func, ast.Attribute)
        and name == "open"
        and isinstance(func.value, ast.Name)
        and func.value.id == "os"
    ):
        return True
    if name == "open":
        modes = [arg for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        modes += [kw.value for kw in node.keywords if kw.arg == "mode" and isinstance(kw.value, ast.Constant)]
        return any(any(flag in str(getattr(m, "value", "")) for flag in "wax+") for m in modes)
    return False


def test_the_app_and_the_command_write_files_only_through_storage() -> None:
    """No screen, widget or command opens a file for writing itself: every file it writes
    goes through storage (`storage.outputs.write_output` for a named one)."""
    found = []
    for folder in ("tui", "screens", "widgets"):
        for source in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            found += [
                f"{source.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and _writes_a_file(node)
            ]
    assert found == []
