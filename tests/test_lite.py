"""The SQLite fast path (`storage.lite`) has the meaning of `storage.ops`: the same cases,
run through `warroom log`, `timeline` and `list` on each path against databases made alike,
store the same rows and print the same lines; and the fast path loads no SQLAlchemy."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from storage import checklists, lite, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput, NeedsConfirmation, WarroomError
from storage.lengths import EVENT_TEXT, NAME
from storage.migrate import HEAD_REVISION
from storage.policy import Policy
from tests.conftest import NOW
from tests.test_layering import RUN_COMMANDS
from tui.cli import main, reading, writing

ROOT = Path(__file__).resolve().parent.parent
WARROOM = str(Path(sys.executable).parent / "warroom")
REF = "inc-26-11-23-SEV-2"


def make_record(path: Path, policy: Policy) -> None:
    """A record with three incidents: one resolved after a handover and grouped under one
    with no IC, and `REF`, with an IC and a `detected` milestone before its declaration
    (made the same way each time, so two are alike row for row)."""
    clock = FrozenClock(NOW - timedelta(hours=2))
    with Store(path, policy=policy, clock=clock) as store:
        old = ops.declare(store, severity=3, functionality="search", state="slow", audience="some", ic="Sam")
        ops.assign_role(store, old.ref, "ic", "Lee \x1b[1mChen")  # a handover: Sam's hold ends
        other = ops.declare(store, severity=1, functionality="pay\u202ements", state="down", audience="EU")
        ops.link_incidents(store, other.ref, old.ref)
        clock.advance(minutes=10)
        checklists.resolve(store, old.ref, force=True)
        clock.advance(minutes=10)
        ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="all", ic="Dana")
        assert ref.ref == REF
        ops.set_milestone(store, ref.ref, "detected", at=clock.now() - timedelta(minutes=15))
        ops.log(store, ref.ref, "first line")


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in rowid order."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: db.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall() for table in tables}


@dataclass
class Printed:
    exit_code: int
    stdout: str
    stderr: str


_made: list[Path] = []
"""The record `make_record` made once in this process, copied for each test."""


@pytest.fixture
def two_records(tmp_path: Path, policy: Policy, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two records made alike, one for each path: copies (mode and all) of one made once."""
    if not _made:
        made = tmp_path_factory.mktemp("record") / "record.db"
        make_record(made, policy)
        assert not made.with_name("record.db-wal").exists()  # the whole record is in the file
        _made.append(made)
    paths = (tmp_path / "orm.db", tmp_path / "lite.db")
    for path in paths:
        shutil.copy2(_made[0], path)
    assert rows_of(paths[0]) == rows_of(paths[1])
    return paths


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Printed]:
    """`run(lite, db, *args, stdin=...)`: a `warroom` command in-process on one path, the
    clock frozen at NOW; the fast path, when asked, is checked to be the one taken."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    runner = CliRunner()
    taken: list[bool] = []
    real = writing.open_lite_store

    def spy(db: str | None, config_path: Path | None) -> lite.LiteStore | None:
        opened = real(db, config_path)
        taken.append(opened is not None)
        return opened

    def invoke(use_lite: bool, db: Path, *args: str, stdin: str | bytes | None = None) -> Printed:
        chosen = spy if use_lite else (lambda _db, _config: None)
        monkeypatch.setattr(writing, "open_lite_store", chosen)
        monkeypatch.setattr(reading, "open_lite_store", chosen)
        taken.clear()
        result = runner.invoke(main, [args[0], "--db", str(db), *args[1:]], input=stdin, catch_exceptions=False)
        if use_lite:  # a command refused before it opens the record opens neither
            assert taken == [True] or (taken == [] and result.exit_code != 0), "the fast path was not taken"
        return Printed(result.exit_code, result.stdout, result.stderr)

    return invoke


HOSTILE = "\x1b[31mred\x1b[0m \x07bell \u202eevil\u202c \u2066iso\u2069 tab\there\rCR \x9b31m C1"

LOG_CASES: list[tuple[str, list[str]]] = [
    ("plain", ["pager fired"]),
    ("several words", ["error", "rate", "up"]),
    ("key decision with a link", ["!/decision roll back https://grafana.example.com/d/x?a=1)."]),
    ("todo", ["/todo check the dashboards"]),
    ("query", ["/query is EU affected?"]),
    ("action and comms", ["/action restart pods"]),
    ("comms key", ["! /comms status page posted"]),
    ("literal", ["\\/decision typed as is @14:00"]),
    ("unknown command", ["/decide something"]),
    ("prefix twice", ["/todo /todo twice"]),
    ("backdated within the incident", ["@-5m error rate back"]),
    ("backdated to a clock time", ["@15:20 deploy finished"]),
    ("before the start, refused", ["@13:00 too early"]),
    ("before the start, confirmed", ["@13:00 too early", "--yes"]),
    ("in the future, refused", ["@16:50 later"]),
    ("in the future, confirmed", ["@16:50 later", "--yes"]),
    ("long ago, refused", ["@2026-11-01T10:00 long ago"]),
    ("not a time", ["@25:99 never"]),
    ("out of range", ["@1899-01-01T00:00 far", "--yes"]),
    ("--at", ["checked", "--at", "-10m"]),
    ("--at and @", ["@-5m checked", "--at", "-10m"]),
    ("--at in the future", ["checked", "--at", "+10m"]),
    ("hostile text", [HOSTILE]),
    ("NUL", ["before\x00after"]),
    ("lone surrogate", ["bad \udcff byte"]),
    ("empty", ["   "]),
    ("only a prefix", ["!/todo"]),
    ("at the length limit", ["x" * EVENT_TEXT]),
    ("over the length limit", ["x" * (EVENT_TEXT + 1)]),
    ("a link as long as the text allows", ["https://e.com/" + "y" * (EVENT_TEXT - 14)]),
    ("unknown incident", ["inc-no-such", "pager fired"]),
    ("hostile incident", ["inc-\x1b[2Jx", "pager fired"]),
    ("reference with spaces", [f"  {REF} ", "pager fired"]),
    ("a new author", ["pager fired", "--author", "Lee Chen"]),
    ("a hostile author", ["pager fired", "--author", "Lee\x1b]0;x\x07"]),
    ("an author at the limit", ["pager fired", "--author", "L" * NAME]),
    ("an author over the limit", ["pager fired", "--author", "L" * (NAME + 1)]),
    ("--as", ["pager fired", "--as", "Marta Kowalski"]),
    ("a reminder", ["/remind 10m check the canary"]),
    ("a key reminder at a clock time, with a link", ["!/remind @16:30 roll back? https://grafana.example.com/d/x"]),
    ("a reminder tomorrow", ["/remind 2026-11-24T09:00 call the vendor"]),
    ("a reminder without a time", ["/remind"]),
    ("a reminder that is not a time", ["/remind soon check"]),
    ("a reminder in the past", ["/remind 15:20 too late"]),
    ("a reminder without a text", ["/remind 10m"]),
    ("a reminder with an @time first", ["@-5m /remind 10m x"]),
]


def log_args(args: list[str]) -> list[str]:
    """`log REF ARGS`, or `log ARGS` when the case names its own incident."""
    return ["log", *args] if args[0].startswith(("inc-", "  inc")) else ["log", REF, *args]


@pytest.mark.parametrize("args", [case[1] for case in LOG_CASES], ids=[case[0] for case in LOG_CASES])
def test_log_stores_and_prints_the_same_on_both_paths(
    args: list[str], two_records: tuple[Path, Path], run: Callable[..., Printed]
) -> None:
    orm_db, lite_db = two_records
    command = log_args(args)
    assert run(False, orm_db, *command) == run(True, lite_db, *command)
    assert rows_of(orm_db) == rows_of(lite_db)
    for reader in (["timeline", REF], ["timeline", "inc-no-such"], ["list"], ["list", "--json"], ["list", "--open"]):
        assert run(False, orm_db, *reader) == run(True, lite_db, *reader), reader


def test_lines_from_standard_input_store_and_print_the_same_on_both_paths(
    two_records: tuple[Path, Path], run: Callable[..., Printed]
) -> None:
    orm_db, lite_db = two_records
    lines = ["one", "", "   ", "/todo two", "@16:50 later", "@25:99 never", HOSTILE, "!/decision three\r", "last"]
    stdin = ("\n".join(lines) + "\n").encode() + b"bad \xff byte\nno newline at the end"
    orm, fast = run(False, orm_db, "log", REF, "-", stdin=stdin), run(True, lite_db, "log", REF, "-", stdin=stdin)
    assert orm == fast
    assert fast.exit_code == 1
    assert fast.stdout.splitlines()[0] == "#5 note at 2026-11-23 15:40:00 CET"
    assert [line.split(":")[0] for line in fast.stderr.splitlines()] == ["warroom"] * 3
    assert [line.split(": ")[1] for line in fast.stderr.splitlines()] == ["line 5", "line 6", "line 10"]
    assert rows_of(orm_db) == rows_of(lite_db)
    assert run(True, lite_db, "log", REF, "-", "--at", "-5m", stdin="x\n").exit_code == 1
    confirmed = run(True, lite_db, "log", REF, "-", "--yes", stdin="@16:50 later\n")
    assert confirmed.exit_code == 0 and confirmed.stdout.endswith("16:50:00 CET\n")


@pytest.mark.parametrize("entry_id", ["line-1", "bad id!", "x" * 65])
def test_an_entry_id_logged_again_finds_the_same_event_on_both_paths(
    entry_id: str, two_records: tuple[Path, Path], policy: Policy
) -> None:
    orm_db, lite_db = two_records
    clock = FrozenClock(NOW)
    results: list[list[object]] = []
    with Store(orm_db, policy=policy, clock=clock) as store:
        results.append(_entries(lambda line: ops.log(store, REF, line, entry_id=entry_id), clock))
    opened = lite.open_lite(str(lite_db), policy=policy, clock=clock, identity=store.identity, notices=[])
    assert opened is not None
    clock.set(NOW)
    with Closing(opened):
        results.append(_entries(lambda line: lite.log_line(opened, REF, line, entry_id=entry_id), clock))
    assert results[0] == results[1]
    assert rows_of(orm_db) == rows_of(lite_db)


def _entries(write: Callable[[str], Any], clock: FrozenClock) -> list[object]:
    """Log one line, then (a minute later) the same entry again with other text."""
    found: list[object] = []
    for line in ("first try", "second try"):
        try:
            event = write(line)
            found.append((event.seq, event.kind, event.key, event.occurred_at))
        except InvalidInput as exc:
            found.append(str(exc))
        clock.advance(minutes=1)
    return found


@pytest.mark.parametrize("confirmed", [False, True])
def test_a_line_entered_earlier_counts_its_times_from_then_on_both_paths(
    confirmed: bool, two_records: tuple[Path, Path], policy: Policy
) -> None:
    orm_db, lite_db = two_records
    entered = NOW - timedelta(minutes=30)
    outcomes: list[object] = []
    for path in two_records:
        clock = FrozenClock(NOW)
        with Store(path, policy=policy, clock=clock) as store:
            opened = lite.open_lite(str(path), policy=policy, clock=clock, identity=store.identity, notices=[])
            assert opened is not None
            with Closing(opened):
                try:
                    if path == lite_db:
                        event: Any = lite.log_line(opened, REF, "@-20m x", entered_at=entered, confirmed=confirmed)
                    else:
                        event = ops.log(store, REF, "@-20m x", entered_at=entered, confirmed=confirmed)
                    outcomes.append((event.seq, event.occurred_at))
                except NeedsConfirmation as exc:
                    outcomes.append((str(exc), exc.concerns, exc.at))
    assert outcomes[0] == outcomes[1]
    assert rows_of(orm_db) == rows_of(lite_db)


class Closing:
    """Close a `LiteStore` when the block ends."""

    def __init__(self, store: lite.LiteStore) -> None:
        self.store = store

    def __enter__(self) -> lite.LiteStore:
        return self.store

    def __exit__(self, *exc_info: object) -> None:
        self.store.close()


def test_a_busy_database_is_the_same_one_line_on_both_paths(
    two_records: tuple[Path, Path], run: Callable[..., Printed], monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import db as orm_db_module
    from storage.lite import connection

    monkeypatch.setattr(orm_db_module, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)
    printed = []
    for use_lite, path in zip((False, True), two_records, strict=True):
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            printed.append(run(use_lite, path, "log", REF, "waits"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert printed[0].stderr.replace("orm.db", "lite.db") == printed[1].stderr
    assert (printed[0].exit_code, printed[0].stdout) == (printed[1].exit_code, printed[1].stdout)
    assert printed[1].exit_code == 1 and "busy: another writer holds it; try again" in printed[1].stderr
    assert rows_of(two_records[0]) == rows_of(two_records[1])


def test_a_piped_line_waits_for_a_busy_database_and_is_written_once_on_both_paths(
    two_records: tuple[Path, Path], run: Callable[..., Printed], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tail -F app.log | warroom log REF -`: a line that meets another writer holding the
    database for longer than the wait is written once it is free, not dropped."""
    from storage import db as orm_db_module
    from storage.lite import connection

    monkeypatch.setattr(orm_db_module, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 100)
    printed = []
    for use_lite, path in zip((False, True), two_records, strict=True):
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.6, lambda holder=holder: (holder.execute("ROLLBACK"), holder.close()))
        release.start()
        try:
            printed.append(run(use_lite, path, "log", REF, "-", stdin="held up\nnext\n"))
        finally:
            release.join()
    assert printed[0].stderr.replace("orm.db", "lite.db") == printed[1].stderr
    assert (printed[0].exit_code, printed[0].stdout) == (printed[1].exit_code, printed[1].stdout)
    assert printed[1].exit_code == 0
    assert printed[1].stderr.count("\n") == 1 and "line 1:" in printed[1].stderr and "once the database is free" in (
        printed[1].stderr
    )
    assert [line.split()[0] for line in printed[1].stdout.splitlines()] == ["#5", "#6"]
    assert rows_of(two_records[0]) == rows_of(two_records[1])


def test_the_fast_path_takes_only_a_current_sqlite_file(tmp_path: Path, policy: Policy) -> None:
    assert lite.SCHEMA_REVISION == HEAD_REVISION
    clock = FrozenClock(NOW)
    from storage.identity import resolve_identity

    who = resolve_identity("tester")
    assert lite.sqlite_path("postgresql+psycopg://u@h/db") is None
    assert lite.sqlite_path(str(tmp_path / "x.db")) == str(tmp_path / "x.db")
    missing = tmp_path / "missing.db"
    assert lite.open_lite(str(missing), policy=policy, clock=clock, identity=who, notices=[]) is None
    assert not missing.exists()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version VALUES ('0005')")
    assert lite.open_lite(str(other), policy=policy, clock=clock, identity=who, notices=[]) is None
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert lite.open_lite(str(garbage), policy=policy, clock=clock, identity=who, notices=[]) is None


def test_the_fast_path_opens_sqlite_as_the_full_one_does(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "w.db"
    make_record(path, policy)
    path.chmod(0o644)
    notices: list[str] = []
    from storage.identity import resolve_identity

    opened = lite.open_lite(str(path), policy=policy, clock=FrozenClock(NOW), identity=resolve_identity("t"),
                            notices=notices)
    assert opened is not None
    with Closing(opened), opened.read() as db:
        pragmas = [db.execute(f"PRAGMA {name}").fetchone()[0] for name in
                   ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")]
    assert pragmas == ["wal", 2, 1, 5000]
    assert (path.stat().st_mode & 0o777) == 0o600 and notices and "made it 0600" in notices[0]


HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "textual", "rich")
"""Packages the fast path must not load."""


def test_log_timeline_and_list_on_sqlite_load_no_sqlalchemy(tmp_path: Path, policy: Policy) -> None:
    """The commands, one after another in one interpreter (a module any loads stays loaded)."""
    db = str(tmp_path / "fast.db")
    make_record(Path(db), policy)
    commands = [
        ["log", "--db", db, REF, "pager fired"],
        ["log", "--db", db, REF, "@13:00 needs a yes"],
        ["log", "--db", db, REF, "-"],
        ["timeline", "--db", db, REF],
        ["list", "--db", db],
        ["list", "--db", db, "--json"],
        ["list", "--db", db, "--open"],
        ["timeline", "--db", db, "inc-no-such"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMANDS, json.dumps(commands), json.dumps(HEAVY)],
        input="from stdin\n", check=False, cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "WARROOM_FROZEN_TIME": NOW.isoformat()},
    )
    result = next((line for line in done.stderr.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-2000:]
    report = json.loads(result.removeprefix("RESULT "))
    assert report["codes"] == [0, 1, 0, 0, 0, 0, 0, 1], done.stderr[-2000:]
    assert report["loaded"] == []


@pytest.fixture
def logging_process(tmp_path: Path, policy: Policy) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`warroom log REF -` running with its standard input a pipe this test writes."""
    path = tmp_path / "pipe.db"
    make_record(path, policy)
    process = subprocess.Popen(
        [WARROOM, "log", "--db", str(path), REF, "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )
    try:
        yield process, path
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_each_line_from_a_pipe_is_in_the_record_before_the_next_is_sent(
    logging_process: tuple[subprocess.Popen[str], Path],
) -> None:
    process, path = logging_process
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    for number, line in enumerate(["pager fired", "/decision roll back", "", "@25:99 refused", "done"]):
        process.stdin.write(line + "\n")
        process.stdin.flush()
        if not line:
            continue
        if line.startswith("@25"):
            assert process.stderr.readline().startswith(f"warroom: line {number + 1}: after @")
            continue
        acknowledged = process.stdout.readline()  # blocks until this line is written and said
        assert acknowledged.startswith("#"), acknowledged
        with sqlite3.connect(path) as db:  # already committed: another reader sees it
            texts = [text for (text,) in db.execute("SELECT text FROM event ORDER BY id")]
        assert texts[-1] == line.removeprefix("/decision ")
    process.stdin.close()
    assert process.wait(timeout=30) == 1
    assert process.stdout.read() == ""


# --- the app's writer: scribe lines through storage.outbox on each path ----------------------

APP_LINES: list[tuple[str, dict[str, Any]]] = [
    ("plain", {"text": "pager fired"}),
    ("key", {"text": "!db failover done"}),
    ("decision with a link", {"text": "/decision roll back https://grafana.example.com/d/x?a=1"}),
    ("comms, key", {"text": "! /comms status page posted"}),
    ("backdated within the incident", {"text": "@-5m error rate back"}),
    ("before the start, refused", {"text": "@13:00 too early"}),
    ("before the start, confirmed", {"text": "@13:00 too early", "confirmed": True}),
    ("in the future, refused", {"text": "@16:50 later"}),
    ("long ago, refused", {"text": "@2026-11-01T10:00 long ago"}),
    ("entered half an hour ago", {"text": "@-20m x", "entered_minutes_ago": 30}),
    ("not a time", {"text": "@25:99 never"}),
    ("too long", {"text": "x" * (EVENT_TEXT + 1)}),
    ("an author over the limit", {"text": "pager fired", "author": "L" * (NAME + 1)}),
    ("no author: the store's user", {"text": "pager fired", "author": ""}),
    ("hostile text", {"text": HOSTILE}),
    ("unknown incident", {"text": "pager fired", "ref": "inc-no-such"}),
    ("the started milestone moves the start earlier", {"milestone": "started"}),
    ("before the new start, refused", {"text": "@12:30 before it started"}),
    ("after the new start", {"text": "@12:50 after it started", "confirmed": True}),
    ("an entry id written again", {"text": "second try, other text", "entry": "plain"}),
    ("a struck line's entry id written again", {"strike": "key", "text": "again", "entry": "key"}),
    ("a reminder", {"text": "/remind 10m check the canary"}),
    ("a reminder entered half an hour ago", {"text": "/remind 40m x", "entered_minutes_ago": 30}),
    ("a reminder in the past", {"text": "/remind 15:00 late"}),
]
"""Steps of the writer parity test: a line (`text`, with `ref`, `author`, `confirmed`,
`entered_minutes_ago`; `entry` reuses the entry id of an earlier step), a milestone set, or
an earlier step's event struck first."""


def test_the_app_writer_stores_and_returns_the_same_on_both_paths(
    two_records: tuple[Path, Path], policy: Policy
) -> None:
    """`storage.outbox.lite_log_line` (the app's writer on SQLite) against the ORM's
    `log_line`: each step stores the same rows and hands back the same timeline rows and
    change count, or the same refusal; the rows are those `storage.live` reads back."""
    from storage import live
    from storage.drafts import PendingLine
    from storage.outbox import LoggedRows, lite_log_line, log_line

    orm_db, lite_db = two_records
    clock = FrozenClock(NOW)
    entries: dict[str, str] = {}
    seqs: dict[str, int] = {}
    kinds: list[str] = []
    with Store(orm_db, policy=policy, clock=clock) as orm, Store(lite_db, policy=policy, clock=clock) as full:
        opened = lite.open_lite(str(lite_db), policy=policy, clock=clock, identity=full.identity, notices=[])
        assert opened is not None
        with Closing(opened):
            for number, (name, step) in enumerate(APP_LINES):
                outcomes: list[object] = []
                ref = step.get("ref", REF)
                for store, write in ((orm, lambda line, ref=ref: log_line(orm, ref, line)),
                                     (full, lambda line, ref=ref: lite_log_line(opened, ref, line))):
                    clock.set(NOW + timedelta(seconds=number))
                    if "milestone" in step:
                        ops.set_milestone(store, REF, step["milestone"], at=NOW - timedelta(hours=3))
                    if "strike" in step:
                        ops.strike_event(store, REF, seqs[step["strike"]])
                    if "text" not in step:
                        outcomes.append(None)
                        continue
                    entry = entries.setdefault(step.get("entry", name), f"entry-{number}")
                    entered = NOW - timedelta(minutes=step.get("entered_minutes_ago", 0))
                    line = PendingLine(step["text"], entered, entry, step.get("author", "Lee"),
                                       step.get("confirmed", False))
                    try:
                        rows = write(line)
                    except WarroomError as exc:  # refused: the same reason on both
                        outcomes.append((type(exc).__name__, str(exc)))
                        continue
                    assert isinstance(rows, LoggedRows)
                    assert {row.id: row for row in rows} == live.events_by_id(store, REF, [row.id for row in rows])
                    outcomes.append((list(rows), rows.change_count))
                    seqs.setdefault(name, rows[0].seq)
                assert outcomes[0] == outcomes[1], name
                assert rows_of(orm_db) == rows_of(lite_db), name
                kinds.append(outcome_kind(outcomes[1]))
    assert kinds == [
        "written", "written", "written", "written", "written", "NeedsConfirmation", "written", "NeedsConfirmation",
        "NeedsConfirmation", "written", "ScribeLineError", "ScribeLineError", "InvalidInput", "written", "written",
        "NotFound", "none", "NeedsConfirmation", "written", "written", "written", "written", "written",
        "ScribeLineError",
    ]
    counts = dict(_texts_counted(lite_db))
    assert counts["pager fired"] == 2 and "second try, other text" not in counts and "again" not in counts


def outcome_kind(outcome: object) -> str:
    """"written", "none" (no line in the step) or the name of the error refusing it."""
    if outcome is None:
        return "none"
    assert isinstance(outcome, tuple)
    return outcome[0] if isinstance(outcome[0], str) else "written"


def _texts_counted(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT text, count(*) FROM event GROUP BY text").fetchall()
