"""The outbox (storage.outbox) on its own, without a screen: writes made in order on one
thread, retried while the database is busy, lines kept on disk until written, and the rows
written handed back."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage.outbox as outbox_module
from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.drafts import Drafts, PendingLine, new_entry_id
from storage.errors import Busy, DatabaseError, InvalidInput, NeedsConfirmation, WarroomError
from storage.lengths import EVENT_TEXT
from storage.outbox import Outbox, Write
from storage.policy import Policy
from tests.conftest import NOW
from tests.forked import ForkedPython
from tests.waiting import until_sync

ROOT = Path(__file__).resolve().parent.parent


class Reports:
    """What an outbox reported, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Write, object]] = []

    def written(self, write: Write, result: object) -> None:
        self.seen.append(("written", write, result))

    def failed(self, write: Write, error: DatabaseError) -> None:
        self.seen.append(("failed", write, error))

    def refused(self, write: Write, error: WarroomError) -> None:
        self.seen.append(("refused", write, error))

    def kinds(self) -> list[tuple[str, str]]:
        return [(kind, write.text) for kind, write, _ in self.seen]


@pytest.fixture
def sqlite_store(tmp_path: Path, policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        yield store


def declare(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="checkout", state="slow", audience="all").ref


def running(outbox: Outbox) -> Callable[[], None]:
    """Run `outbox` on a thread; the returned function stops it and waits for the thread."""
    thread = threading.Thread(target=outbox.run, daemon=True)
    thread.start()

    def stop() -> None:
        outbox.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()

    return stop


def line(text: str) -> PendingLine:
    return PendingLine(text, NOW, new_entry_id(), "Lee")


def test_lines_are_kept_on_disk_written_in_order_and_their_rows_handed_back(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    ref = declare(store)
    drafts = Drafts(store.url, tmp_path / "drafts")
    reports = Reports()
    outbox = Outbox(
        store, ref, drafts, on_written=reports.written, on_failed=reports.failed, on_refused=reports.refused
    )
    lines = [line("db restarted"), line("errors falling"), line("/decision keep the flag off")]
    writes, kept = outbox.send_lines(lines)
    assert kept and [write.line for write in writes] == lines
    assert drafts.load_pending(ref) == lines  # on disk before anything is written
    stop = running(outbox)
    try:
        until_sync(lambda: len(reports.seen) == 3, what="three lines written")
    finally:
        stop()
    assert reports.kinds() == [
        ("written", "db restarted"),
        ("written", "errors falling"),
        ("written", "/decision keep the flag off"),
    ]
    rows = [row for _, _, result in reports.seen for row in result]  # type: ignore[attr-defined]
    assert {row.id: row for row in rows} == live.events_by_id(store, ref, [row.id for row in rows])
    assert [row.text for row in rows] == ["db restarted", "errors falling", "keep the flag off"]
    assert all(row.author == "Lee" and row.at == NOW for row in rows)
    assert drafts.load_pending(ref) == []  # forgotten once written


def test_the_rows_handed_back_are_those_the_record_reads(sqlite_store: Store) -> None:
    store = sqlite_store
    ref = declare(store)
    from storage.outbox import log_line

    for text in ("!db failover done", "/decision roll back", "see https://status.example.com"):
        (row,) = log_line(store, ref, line(text))
        assert live.events_by_id(store, ref, [row.id]) == {row.id: row}


def test_a_busy_database_is_retried_and_the_order_is_kept(sqlite_store: Store) -> None:
    store = sqlite_store
    ref = declare(store)
    reports = Reports()
    outbox = Outbox(store, ref, on_written=reports.written, on_failed=reports.failed, on_refused=reports.refused)
    attempts: list[str] = []

    def busy_twice() -> str:
        attempts.append("severity")
        if len(attempts) <= 2:
            raise Busy("the database is busy: another writer holds it")
        return "done"

    outbox.send("Severity SEV1", busy_twice)
    outbox.send_lines([line("after the change")])
    stop = running(outbox)
    try:
        until_sync(lambda: len(reports.seen) == 4, what="two failures and two writes")
    finally:
        stop()
    assert reports.kinds() == [
        ("failed", "Severity SEV1"),
        ("failed", "Severity SEV1"),
        ("written", "Severity SEV1"),
        ("written", "after the change"),
    ]
    assert reports.seen[2][2] == "done" and len(attempts) == 3
    assert [row.text for row in live.event_rows(store, ref)[0]][-1] == "after the change"


def test_a_change_is_a_callable_and_keeps_its_time(sqlite_store: Store, clock: FrozenClock) -> None:
    store = sqlite_store
    ref = declare(store)
    reports = Reports()
    outbox = Outbox(store, ref, on_written=reports.written)
    made_at = clock.now()
    outbox.send("Severity SEV1", partial(ops.change_severity, store, ref, 1, at=made_at))
    clock.advance(timedelta(minutes=5))
    stop = running(outbox)
    try:
        until_sync(lambda: reports.seen, what="the change written")
    finally:
        stop()
    assert ops.get_incident(store, ref).severity == 1
    assert [row.at for row in live.event_rows(store, ref)[0] if row.kind == "severity"] == [made_at]


def test_a_refused_line_stays_on_disk_until_forgotten(sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    ref = declare(store)
    drafts = Drafts(store.url, tmp_path / "drafts")
    reports = Reports()
    outbox = Outbox(store, ref, drafts, on_written=reports.written, on_refused=reports.refused)
    too_long, too_early = line("x" * (EVENT_TEXT + 1)), line("@-3h before the incident")
    outbox.send_lines([too_long, too_early, line("next line")])
    stop = running(outbox)
    try:
        until_sync(lambda: len(reports.seen) == 3, what="two refusals and a write")
    finally:
        stop()
    assert [kind for kind, _, _ in reports.seen] == ["refused", "refused", "written"]
    (_, first, long_error), (_, second, early_error) = reports.seen[:2]
    assert isinstance(long_error, InvalidInput) and "too long" in str(long_error)
    assert isinstance(early_error, NeedsConfirmation)
    assert drafts.load_pending(ref) == [too_long, too_early]  # until its caller keeps them elsewhere
    outbox.forget(first)
    outbox.forget(second)
    assert drafts.load_pending(ref) == []


def test_a_stopped_outbox_leaves_what_is_queued_on_disk(sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    ref = declare(store)
    drafts = Drafts(store.url, tmp_path / "drafts")
    outbox = Outbox(store, ref, drafts)
    outbox.stop()
    outbox.send_lines([line("typed as warroom stopped")])
    outbox.run()  # returns at once: stopped
    assert [kept.text for kept in drafts.load_pending(ref)] == ["typed as warroom stopped"]
    assert "typed as warroom stopped" not in [row.text for row in live.event_rows(store, ref)[0]]


def test_the_outbox_does_not_load_textual() -> None:
    import subprocess
    import sys

    code = "import sys, storage.outbox; assert not [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


# --- which writer a line takes, a held lock, a kill ------------------------------------------


def test_lines_go_through_storage_lite_on_sqlite_and_the_orm_on_postgresql(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = declare(store)
    fast: list[str] = []
    real = outbox_module.lite_log_line

    def spy(lite: object, ref: str, line: PendingLine) -> object:
        fast.append(line.text)
        return real(lite, ref, line)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_module, "lite_log_line", spy)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    reports = Reports()
    outbox = Outbox(store, ref, on_written=reports.written, on_refused=reports.refused)
    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        outbox.send_lines([line("db restarted"), line("!errors falling"), line("db restarted")])
        stop = running(outbox)
        try:
            until_sync(lambda: len(reports.seen) == 3, what="three lines written")
        finally:
            stop()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert [kind for kind, _, _ in reports.seen] == ["written"] * 3
    rows = [row for _, _, result in reports.seen for row in result]  # type: ignore[attr-defined]
    counts = [result.change_count for _, _, result in reports.seen]  # type: ignore[attr-defined]
    assert {row.id: row for row in rows} == live.events_by_id(store, ref, [row.id for row in rows])
    assert [row.text for row in rows] == ["db restarted", "errors falling", "db restarted"]
    assert counts == [counts[0], counts[0] + 1, counts[0] + 2]
    if store.dialect == "sqlite":
        assert fast == ["db restarted", "!errors falling", "db restarted"]
        assert statements == []  # nothing through SQLAlchemy
    else:
        assert fast == []
        assert sum("INSERT INTO event" in statement for statement in statements) == 3


def test_a_line_meeting_a_held_write_lock_is_written_once_in_order_when_it_is_free(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE): the first line fails as
    busy after the store's own lock wait, is tried again and again, and once the lock is
    let go the lines are written, each once, in the order entered."""
    path = tmp_path / "w.db"
    with Store(path, policy=policy, clock=clock, busy_timeout_ms=150) as store:
        ref = declare(store)
        reports = Reports()
        outbox = Outbox(store, ref, on_written=reports.written, on_failed=reports.failed, on_refused=reports.refused)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        try:
            outbox.send_lines([line("one"), line("two"), line("three")])
            stop = running(outbox)
            until_sync(lambda: len(reports.seen) >= 3, what="three failed attempts")
            assert time.monotonic() - started < 4  # the store's 150 ms, not the 5 s default, each time
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        try:
            until_sync(lambda: [kind for kind, _, _ in reports.seen].count("written") == 3, what="three lines")
        finally:
            stop()
        failed = [(write.text, error) for kind, write, error in reports.seen if kind == "failed"]
        assert failed and all(text == "one" and isinstance(error, Busy) for text, error in failed)
        assert [text for kind, text in reports.kinds() if kind == "written"] == ["one", "two", "three"]
        texts = [row.text for row in live.event_rows(store, ref)[0]]
        assert texts[-3:] == ["one", "two", "three"] and len(texts) == len(set(texts))


WRITER = textwrap.dedent(
    """
    import random, sys, threading, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from storage.db import Store
    from storage.drafts import Drafts, PendingLine, new_entry_id
    from storage.outbox import Outbox

    url, ref, drafts_dir, first, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    store = Store(url)
    drafts = Drafts(store.url, Path(drafts_dir))
    acked = []

    def written(write, rows):
        acked.append(write.text)
        print("ACK", write.text, flush=True)

    outbox = Outbox(store, ref, drafts, on_written=written)
    outbox.send_lines(drafts.load_pending(ref), on_disk=True)  # what the last run left, as a screen does
    threading.Thread(target=outbox.run, daemon=True).start()
    print("READY", flush=True)
    number = first
    while True:
        text = "line %d" % number
        outbox.send_lines([PendingLine(text, store.now(), new_entry_id(), "Lee")])
        print("SENT", text, flush=True)
        number += 1
        while number - first - len(acked) > rng.randint(1, 4):  # a few lines ahead of the writer
            time.sleep(0.0005)
    """
)


class Writer:
    """A forked child queueing lines into an outbox as fast as it writes them; what it said."""

    def __init__(self, *args: str) -> None:
        self.process = ForkedPython(WRITER.format(root=str(ROOT)), *args)
        self.said: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for said in self.process.stdout:
            if said.strip() == "READY":
                self.ready.set()
            elif said.endswith("\n"):  # a line cut by the kill was never said
                self.said.append(said.rstrip("\n"))

    def kill_after(self, seconds: float) -> None:
        if not self.ready.wait(60):
            self.process.kill()
            raise AssertionError(f"the writer did not start: {self.process.communicate()[1]}")
        time.sleep(seconds)
        assert self.process.poll() is None, self.process.stderr.read()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(30)
        self.process.stderr.close()

    def lines(self, word: str) -> list[str]:
        return [said.removeprefix(word + " ") for said in self.said if said.startswith(word + " ")]


def logged_lines(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [text for (text,) in connection.execute("SELECT text FROM event WHERE text LIKE 'line %' ORDER BY seq")]
    finally:
        connection.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_writer_killed_mid_write_loses_no_line_and_doubles_none(tmp_path: Path, policy: Policy) -> None:
    """SIGKILL an outbox writing on SQLite (through storage.lite) at random moments, five
    times, each run replaying the lines the last one left on disk: every line queued is
    written once, in the order queued, and every line reported written is there."""
    path = tmp_path / "kill.db"
    with Store(path, policy=policy) as store:
        ref = declare(store)
    drafts = Drafts(f"sqlite:///{path}", tmp_path / "drafts")
    rng = random.Random(20261126)
    sent: list[str] = []
    acked: list[str] = []
    for round_number in range(5):
        # Each round's lines are numbered apart (a round on a fast disk writes thousands).
        writer = Writer(str(path), ref, str(tmp_path / "drafts"), str(1_000_000 * (round_number + 1)),
                        str(rng.randrange(1 << 30)))
        writer.kill_after(rng.uniform(0.2, 1.0))
        sent += writer.lines("SENT")
        acked += writer.lines("ACK")
        logged = logged_lines(path)
        assert len(logged) == len(set(logged)), "a line was written twice"
        assert set(acked) <= set(logged), "a line reported written is missing"
        waiting = {line.text for line in drafts.load_pending(ref)}
        assert set(sent) <= set(logged) | waiting, "a line queued is neither written nor kept on disk"
    with Store(path, policy=policy) as store:  # the next start writes what the last one left
        outbox = Outbox(store, ref, drafts)
        outbox.send_lines(drafts.load_pending(ref), on_disk=True)
        outbox.finish()
        outbox.run()
    logged = logged_lines(path)
    assert sent and logged == sorted(set(logged), key=logged.index)
    assert set(sent) <= set(logged) and drafts.load_pending(ref) == []
    assert [text for text in logged if text in sent] == sent  # in the order queued
