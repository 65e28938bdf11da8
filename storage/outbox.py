"""The outbox: writes to one incident, made in order on one thread, retried while the
database is busy or unreachable, and reported with what they wrote.

A scribe line is kept on disk (`Drafts.add_pending`) before it is queued and forgotten there
once written, so a line acknowledged on screen survives a kill; its entry id keeps a line
written twice (a retry, a replay after a crash) from being logged twice. Any other write is
a callable (`functools.partial(ops.change_severity, store, ref, 1)`) queued after the lines
before it. Nothing here knows about screens: results go to the callbacks given.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa

from storage import ops
from storage.db import Store
from storage.drafts import Drafts, PendingLine
from storage.errors import Busy, DatabaseError, WarroomError
from storage.models import Event
from storage.rows import EventRow

WAKE_SECONDS = 0.5
"""How often an idle outbox looks whether it should stop."""

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
"""Pauses between attempts after a failure (the last one repeats); a busy database is
retried at once, the wait being in the database's own lock timeout."""

BUSY_PAUSE_SECONDS = 0.05
"""The pause before writing again to a database that was busy."""


@dataclass(frozen=True, eq=False)
class Write:
    """One write waiting its turn: `apply()` makes it and returns what it wrote.

    `line` is set for a scribe line (kept on disk until written); `description` names any
    other change while it waits ("Severity SEV1")."""

    description: str
    apply: Callable[[], object] = field(repr=False)
    line: PendingLine | None = None

    @property
    def text(self) -> str:
        """What the write is, as shown while it waits: the line's text or the description."""
        return self.line.text if self.line is not None else self.description


def event_row(event: Event) -> EventRow:
    """The timeline row of an event just written (what `storage.live` would read back).

    A logged line is never the declaration, so its marker depends on itself alone."""
    marker = None
    if event.kind == "milestone" and event.detail == "resolved":
        marker = "resolved"
    elif event.kind == "milestone" and event.detail == "started":
        marker = "start"
    assert event.id is not None
    return EventRow(event.id, event.seq, event.occurred_at, event.kind, event.author, event.text, event.key,
                    event.struck, event.link, marker, event.detail)


class LoggedRows(list[EventRow]):
    """The timeline rows a line wrote, and `change_count`: the incident's change count its
    write made (a view that had seen the count before it has, with these rows, seen this
    one: a logged line changes nothing else a view shows)."""

    def __init__(self, rows: Sequence[EventRow], change_count: int) -> None:
        super().__init__(rows)
        self.change_count = change_count


def log_line(store: Store, ref: str, line: PendingLine) -> LoggedRows:
    """Log one entered line (once, by its entry id) and return the row it wrote."""
    event = ops.log(store, ref, line.text, entered_at=line.entered_at, entry_id=line.entry_id,
                    author=line.author or None, confirmed=line.confirmed)
    return LoggedRows([event_row(event)], event.change_number)


class ChangeProbe:
    """Whether anything may have been written to the record since the last look, for a
    poller to ask before it reads: on SQLite one `PRAGMA data_version` on a connection kept
    for it (no transaction, no table read; it changes when any other connection commits);
    on PostgreSQL always yes. Use it from one thread; `close` when done."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._connection: Any = None
        self._version: int | None = None

    def changed(self) -> bool:
        """True when the record may have changed since the last call (the first call too)."""
        if self.store.dialect != "sqlite":
            return True
        try:
            if self._connection is None:
                self._connection = self.store.engine.raw_connection()
            (version,) = self._connection.driver_connection.execute("PRAGMA data_version").fetchone()
        except (sqlite3.Error, sa.exc.SQLAlchemyError):
            self.close()
            return True
        changed = version != self._version
        self._version = version
        return changed

    def reset(self) -> None:
        """Answer yes next time (a read after a yes failed: look again)."""
        self._version = None

    def close(self) -> None:
        connection, self._connection, self._version = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error, sa.exc.SQLAlchemyError):
                connection.close()


def _ignore(*_: object) -> None:
    return None


class Outbox:
    """Writes to incident `ref` of `store`, in the order queued, on the thread that calls `run`.

    `on_written(write, result)` follows each write made (`result` is what `apply` returned:
    the rows for a line); `on_failed(write, error)` each failed attempt (the write is kept
    and tried again); `on_refused(write, error)` a write the record refused (dropped; a
    line stays on disk until the caller, having kept it elsewhere, calls `forget`). Without
    `retry`, a failed write is refused too."""

    def __init__(
        self,
        store: Store,
        ref: str,
        drafts: Drafts | None = None,
        *,
        on_written: Callable[[Write, object], None] = _ignore,
        on_failed: Callable[[Write, DatabaseError], None] = _ignore,
        on_refused: Callable[[Write, WarroomError], None] = _ignore,
        retry: bool = True,
    ) -> None:
        self.store = store
        self.ref = ref
        self.drafts = drafts
        self.on_written = on_written
        self.on_failed = on_failed
        self.on_refused = on_refused
        self.retry = retry
        """False: a failed write is refused at once (`on_refused`), not tried again."""
        self._queue: queue.SimpleQueue[Write | None] = queue.SimpleQueue()
        self._finishing = False
        self._stop = threading.Event()
        self._lines_unreported = 0
        self._lines_lock = threading.Lock()

    # --- queueing (any thread) --------------------------------------------------------

    def line_write(self, line: PendingLine) -> Write:
        """The write that logs `line`."""
        return Write(line.text, partial(log_line, self.store, self.ref, line), line)

    def send_lines(self, lines: Sequence[PendingLine], *, on_disk: bool = False) -> tuple[list[Write], bool]:
        """Keep `lines` on disk (unless they are there already, `on_disk`), then queue them.

        Returns their writes and whether they are on disk: when not, they are still
        written, but a kill before that loses them."""
        kept = on_disk or self.drafts is None or self.drafts.add_pending(self.ref, lines)
        writes = [self.line_write(line) for line in lines]
        with self._lines_lock:
            self._lines_unreported += len(writes)
        for write in writes:
            self._queue.put(write)
        return writes, kept

    def lines_in_flight(self) -> bool:
        """Whether a line queued here is not yet reported written or refused (any thread)."""
        return self._lines_unreported > 0

    def _reported(self, write: Write) -> None:
        if write.line is not None:
            with self._lines_lock:
                self._lines_unreported -= 1

    def send(self, description: str, apply: Callable[[], object]) -> Write:
        """Queue a change: `apply()` is called on the outbox's thread, after what is queued."""
        write = Write(description, apply)
        self._queue.put(write)
        return write

    def stop(self) -> None:
        """Stop `run` at once (a write under way finishes; the rest stays queued, and lines on disk)."""
        self._stop.set()
        self._queue.put(None)

    def finish(self) -> None:
        """Let `run` return once what is queued now is written (or refused)."""
        self._finishing = True
        self._queue.put(None)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # --- writing (the outbox's thread) ------------------------------------------------

    def run(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Write what is queued, in order, until `stop` (or `cancelled()` turns true), or
        until the queue is empty after `finish`."""
        while not self._stop.is_set() and not cancelled():
            try:
                write = self._queue.get(timeout=WAKE_SECONDS)
            except queue.Empty:
                continue
            if write is not None:
                self._write(write, cancelled)
            elif self._finishing:
                return

    def _write(self, write: Write, cancelled: Callable[[], bool]) -> None:
        """Make one write, retrying it while the database fails; report how it went."""
        failures = 0
        while not self._stop.is_set() and not cancelled():
            try:
                result = write.apply()
            except DatabaseError as exc:  # busy, full, unreachable: keep it, try again
                if not self.retry:
                    self.on_refused(write, exc)
                    self._reported(write)
                    return
                self.on_failed(write, exc)
                pause = (
                    BUSY_PAUSE_SECONDS
                    if isinstance(exc, Busy)
                    else RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                )
                failures += 1
                self._stop.wait(pause)
                continue
            except WarroomError as exc:
                self.on_refused(write, exc)  # a line stays on disk until its caller `forget`s it
                self._reported(write)
                return
            self.on_written(write, result)
            self._reported(write)
            # After it is reported: a stop before this leaves the line kept, and its entry id
            # keeps the next start from writing it twice.
            self.forget(write)
            return

    def forget(self, write: Write) -> None:
        """Forget a line on disk: written, or refused and kept elsewhere (set aside)."""
        if write.line is not None and self.drafts is not None:
            self.drafts.remove_pending(self.ref, {write.line.entry_id})
