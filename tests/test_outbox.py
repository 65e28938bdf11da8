"""The outbox (storage.outbox) on its own, without a screen: writes made in order on one
thread, retried while the database is busy, lines kept on disk until written, and the rows
written handed back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.drafts import Drafts, PendingLine, new_entry_id
from storage.errors import Busy, DatabaseError, InvalidInput, WarroomError
from storage.outbox import Outbox, Write
from storage.policy import Policy
from tests.conftest import NOW
from tests.waiting import until_sync


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


def test_a_refused_line_stays_on_disk_until_forgotten(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sqlite_store
    ref = declare(store)
    log = ops.log

    def refuse_one(store: Store, ref: str, text: str, **kwargs: object) -> object:
        if text == "late note":
            raise InvalidInput("the incident was closed meanwhile")
        return log(store, ref, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ops, "log", refuse_one)
    drafts = Drafts(store.url, tmp_path / "drafts")
    reports = Reports()
    outbox = Outbox(store, ref, drafts, on_written=reports.written, on_refused=reports.refused)
    refused = line("late note")
    outbox.send_lines([refused, line("next line")])
    stop = running(outbox)
    try:
        until_sync(lambda: len(reports.seen) == 2, what="a refusal and a write")
    finally:
        stop()
    (kind, write, error), (next_kind, _, _) = reports.seen
    assert (kind, next_kind) == ("refused", "written") and isinstance(error, InvalidInput)
    assert drafts.load_pending(ref) == [refused]  # until its caller keeps it elsewhere
    outbox.forget(write)
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
