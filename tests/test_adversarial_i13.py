"""Cases met by attacking the SQLite fast path (`warroom log REF -`, `timeline`, `list`)
and the streamed export and batched import the way a live incident would."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Self

import pytest

from storage.policy import Policy
from tests.test_lite import REF, WARROOM, make_record


def test_log_from_a_closed_standard_input_is_one_line(tmp_path: Path, policy: Policy) -> None:
    """`warroom log REF - <&-` (no standard input at all): one line and status 1, no traceback."""
    path = tmp_path / "closed.db"
    make_record(path, policy)
    done = subprocess.run(
        [WARROOM, "log", "--db", str(path), REF, "-"],
        stdin=None, capture_output=True, text=True, check=False, timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("warroom: ") and len(done.stderr.splitlines()) == 1, done.stderr
    assert "standard input" in done.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM event WHERE text = ''").fetchone() == (0,)


def test_log_writes_the_database_every_other_command_reads_for_a_path_with_percent_or_question_mark(
    tmp_path: Path, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--db 'e%41f.db'` or `--db 'a?b.db'`: the full path reads the path as a URL
    (`e%41f.db` is the file `eAf.db`, `a?b.db` the file `a`); `warroom log`, `timeline` and
    `list` must write and read that same file, whatever else is in the folder."""
    from click.testing import CliRunner

    from tui.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARROOM_FROZEN_TIME", "2026-11-23T14:40:00Z")
    runner = CliRunner()
    for given, opened_by_store in (("e%41f.db", "eAf.db"), ("a?b.db", "a")):
        make_record(tmp_path / opened_by_store, policy)
        shutil.copyfile(tmp_path / opened_by_store, tmp_path / given)  # a file with the literal name too
        logged = runner.invoke(main, ["log", "--db", given, REF, "seen by export"])
        assert logged.exit_code == 0, logged.stderr
        exported = runner.invoke(main, ["export", "--db", given, REF, "--format", "json"])
        assert "seen by export" in exported.stdout
        shown = runner.invoke(main, ["timeline", "--db", given, REF])
        assert "seen by export" in shown.stdout


def test_a_full_disk_met_by_an_insert_is_said_as_a_full_disk_on_the_fast_path(tmp_path: Path, policy: Policy) -> None:
    """SQLite rolls the whole transaction back itself when a statement meets a full disk
    (SQLITE_FULL): the fast path must still say the disk is full, not that it could not
    roll back a transaction that is no longer there."""
    from storage import lite
    from storage.clock import FrozenClock
    from storage.errors import DatabaseError
    from storage.identity import resolve_identity
    from tests.conftest import NOW

    path = tmp_path / "full.db"
    make_record(path, policy)
    opened = lite.open_lite(str(path), policy=policy, clock=FrozenClock(NOW), identity=resolve_identity("t"),
                            notices=[])
    assert opened is not None
    try:
        connection = opened._connection
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # no page more: as a full disk
        try:
            lite.log_line(opened, REF, "x" * 20000)
        except DatabaseError as exc:
            message = str(exc)
        else:
            raise AssertionError("the line was written past the full disk")
        assert "is full" in message, message
        assert not connection.in_transaction
        connection.execute("PRAGMA max_page_count = 1073741823")
        assert lite.log_line(opened, REF, "after the disk was freed").seq > 1
    finally:
        opened.close()


def test_an_import_with_a_thousand_edited_events_in_a_batch_fits_sqlites_oldest_variable_limit(
    tmp_path: Path, policy: Policy
) -> None:
    """SQLite before 3.32 (still the system one on some long-term distributions) takes at
    most 999 values a statement: an import whose batch of events holds 1,000 edited ones
    must not ask for more."""
    import json

    import sqlalchemy as sa

    from storage import ops
    from storage.clock import FrozenClock
    from storage.db import Store
    from storage.export import export_json, import_json
    from tests.conftest import NOW

    with Store(tmp_path / "from.db", policy=policy, clock=FrozenClock(NOW)) as store:
        ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="all").ref
        document = json.loads(export_json(store, ref))
    event = document["timeline"][0]
    revision = {"revision": 1, "at": event["at"], "kind": "note", "text": "before", "link": None, "key": False,
                "struck": False, "replaced_at": event["logged_at"], "replaced_by": "t"}
    document["timeline"] = [
        {**event, "seq": seq, "kind": "note", "text": f"line {seq}", "revisions": [revision]}
        for seq in range(1, 1001)
    ]
    with Store(tmp_path / "to.db", policy=policy, clock=FrozenClock(NOW)) as store:
        oldest_limit = (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        sa.event.listen(store.engine, "connect", lambda connection, _record: connection.setlimit(*oldest_limit))
        store.engine.dispose()
        import_json(store, json.dumps(document))
        with store.read() as session:
            count = session.execute(sa.text("SELECT count(*) FROM event_revision")).scalar_one()
    assert count == 1000


def test_a_byte_order_mark_before_the_first_line_from_standard_input_is_not_logged(
    tmp_path: Path, policy: Policy
) -> None:
    """A file saved by a Windows editor starts with a UTF-8 byte order mark: the first line
    keeps its meaning (`!/decision`), and no invisible U+FEFF is stored in its text."""
    path = tmp_path / "bom.db"
    make_record(path, policy)
    done = subprocess.run(
        [WARROOM, "log", "--db", str(path), REF, "-"],
        input="\ufeff!/decision roll back\r\nnext\r\n".encode(), capture_output=True, check=False, timeout=60,
        env={**os.environ, "WARROOM_FROZEN_TIME": "2026-11-23T14:40:00Z"},
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as db:
        logged = db.execute("SELECT kind, key, text FROM event ORDER BY id DESC LIMIT 2").fetchall()
    assert logged == [("note", 0, "next"), ("decision", 1, "roll back")]


def test_an_export_whose_temporary_file_meets_a_full_disk_is_one_line_and_writes_nothing(
    tmp_path: Path, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large export is held in a temporary file before it is written: a full temporary
    folder (TMPDIR) is one line and status 1, the -o file untouched, not a traceback."""
    import errno
    import tempfile

    from click.testing import CliRunner

    from storage.export import stream
    from tui.cli import main

    class FullDisk:
        def __init__(self, *_args: object, **_kwargs: object) -> None:
            pass

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *_exc: object) -> None:
            pass

        def write(self, _text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        writelines = write

    path = tmp_path / "spill.db"
    make_record(path, policy)
    monkeypatch.setattr(tempfile, "TemporaryFile", FullDisk)
    spooled = stream.spooled

    def small(pieces: object, *, in_memory: int = 10) -> object:
        return spooled(pieces, in_memory=in_memory)  # type: ignore[arg-type]

    import storage.export

    monkeypatch.setattr(storage.export, "spooled", small)
    output = tmp_path / "out.json"
    output.write_text("keep")
    result = CliRunner().invoke(
        main, ["export", "--db", str(path), REF, "--format", "json", "-o", str(output)], catch_exceptions=True
    )
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit), (
        result.exception
    )
    assert result.stderr.startswith("warroom: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "No space left on device" in result.stderr
    assert output.read_text() == "keep"


def test_log_from_standard_input_to_an_unknown_incident_stops_at_the_first_line(
    tmp_path: Path, policy: Policy
) -> None:
    """A mistyped reference refuses every line: said once, status 1, the rest not read."""
    path = tmp_path / "unknown.db"
    make_record(path, policy)
    done = subprocess.run(
        [WARROOM, "log", "--db", str(path), "inc-nope", "-"],
        input="one\ntwo\nthree\n", capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and "inc-nope" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_line_longer_than_any_event_is_refused_without_being_held_and_the_next_is_logged(
    tmp_path: Path, policy: Policy
) -> None:
    """A line of 64 MB (a binary file piped by mistake): refused by number, read past in
    pieces, never held whole, and the line after it is logged."""
    import sys

    from tui.cli.writing import LONGEST_INPUT_LINE

    path = tmp_path / "long.db"
    make_record(path, policy)
    long_line = b"x" * (64 << 20)
    peak_of_child = (  # the peak memory of its one child, on stderr's last line, in kB
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", peak_of_child, WARROOM, "log", "--db", str(path), REF, "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = process.communicate(b"before\n" + long_line + b"\nafter\n", timeout=120)
    assert process.returncode == 1
    messages = err.decode().splitlines()
    assert [m for m in messages if m.startswith("warroom:")] == [
        f"warroom: line 2: it is longer than {LONGEST_INPUT_LINE:,} bytes: not read, not logged"
    ]
    peak_kb = int(messages[-1])
    assert peak_kb < 64 << 10, peak_kb  # less than the line: it was never held whole
    with sqlite3.connect(path) as db:
        texts = [t for (t,) in db.execute(
            "SELECT text FROM event WHERE incident_id = (SELECT id FROM incident WHERE ref = ?) ORDER BY seq", (REF,))]
    assert texts[-2:] == ["before", "after"]
    assert len(out.decode().splitlines()) == 2
