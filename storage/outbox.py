"""The outbox: writes to one incident, made in order on one thread, retried while the
database is busy or unreachable, and reported with what they wrote.

A scribe line is kept on disk (`Drafts.add_pending`) before it is queued and forgotten there
once written, so a line acknowledged on screen survives a kill; its entry id keeps a line
written twice (a retry, a replay after a crash) from being logged twice. On a SQLite record
a line is written with the standard library's `sqlite3` (`storage.lite.log_line`, the
meaning of `ops.log`; see `LiteLines`), elsewhere through the ORM. Any other write is a
callable (`functools.partial(ops.change_severity, store, ref, 1)`) queued after the lines
before it. Nothing here knows about screens: results go to the callbacks given.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from storage import ops
from storage.db import Store
from storage.drafts import Drafts, PendingLine
from storage.errors import Busy, DatabaseError, WarroomError
from storage.rows import EventRow

if TYPE_CHECKING:
    from storage.lite import LiteStore

WAKE_SECONDS = 60.0
"""How often an idle outbox looks whether it should stop, when nothing told it (`stop`,
`finish`, `look_again`): a safety net, each look a wake of an idle app."""

CANCELLED_LOOK_SECONDS = 0.1
"""How often it looks once told its worker is cancelled (a writer that drains its queue
first says it is cancelled only when done: see `RecordWriter._draining`)."""

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


class WrittenEvent(Protocol):
    """An event as a write hands it back: `storage.models.Event` (the ORM) or
    `storage.lite.LoggedEvent` (the SQLite fast path)."""

    @property
    def id(self) -> int | None: ...
    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def key(self) -> bool: ...
    @property
    def struck(self) -> bool: ...
    @property
    def link(self) -> str | None: ...
    @property
    def detail(self) -> str | None: ...
    @property
    def change_number(self) -> int: ...


def event_row(event: WrittenEvent) -> EventRow:
    """The timeline row of an event just written (what `storage.live` would read back).

    A logged line is never the declaration, so its marker depends on itself alone."""
    marker = None
    if event.kind == "milestone" and event.detail == "resolved" and not event.struck:
        marker = "resolved"
    elif event.kind == "milestone" and event.detail == "started" and not event.struck:
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
    """Log one entered line through the ORM (once, by its entry id) and return the row it wrote."""
    event = ops.log(store, ref, line.text, entered_at=line.entered_at, entry_id=line.entry_id,
                    author=line.author or None, confirmed=line.confirmed)
    return LoggedRows([event_row(event)], event.change_number)


def lite_log_line(store: LiteStore, ref: str, line: PendingLine) -> LoggedRows:
    """`log_line` through `storage.lite.log_line` (the same rules, rows and result)."""
    from storage.lite import log_line as write_line

    event = write_line(store, ref, line.text, entered_at=line.entered_at, entry_id=line.entry_id,
                       author=line.author or None, confirmed=line.confirmed)
    return LoggedRows([event_row(event)], event.change_number)


def sqlite_file(store: Store) -> str | None:
    """The file a SQLite store's engine opens; None for PostgreSQL, a database in memory, or
    a URL with options (`?mode=ro`, `uri=true`): those keep to the ORM."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or url.query or url.database in (None, "", ":memory:"):
        return None
    return url.database


def lock_wait_ms(store: Store) -> int | None:
    """How long the store's own connections wait for another writer's lock (its busy timeout),
    so that a line meets a busy database as the ORM would; None if it cannot be read."""
    try:
        connection = store.engine.raw_connection()
    except sa.exc.SQLAlchemyError:
        return None
    try:
        (value,) = connection.driver_connection.execute("PRAGMA busy_timeout").fetchone()  # type: ignore[union-attr]
        return int(value)
    except (sqlite3.Error, TypeError, ValueError):
        return None
    finally:
        with contextlib.suppress(sqlite3.Error, sa.exc.SQLAlchemyError):
            connection.close()


class LiteLines:
    """Scribe lines written with the standard library's `sqlite3` on a connection of their
    own (`lite_log_line`): on the writer's thread the ORM's Python work for a line, several
    times the SQL's, holds the GIL the UI thread needs to show it.

    The connection is opened on first use (on the thread that writes) and again after a
    failure other than a busy database; `log` returns None when the store is not one the
    fast path takes (PostgreSQL, a file in memory, another schema): the ORM writes it.
    Safe from any thread, one write at a time; `close` when done."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._path = sqlite_file(store)
        self._lite: LiteStore | None = None
        self._lock = threading.Lock()

    def log(self, ref: str, line: PendingLine) -> LoggedRows | None:
        """Log `line` (see `log_line`) through the fast path; None: use the ORM."""
        with self._lock:
            lite = self._open()
            if lite is None:
                return None
            try:
                return lite_log_line(lite, ref, line)
            except Busy:
                raise
            except DatabaseError:
                self._close()  # a damaged or vanished file, a full disk: start afresh next time
                raise

    def _open(self) -> LiteStore | None:
        if self._lite is None and self._path is not None:
            from storage.lite import open_lite

            store = self.store
            self._lite = open_lite(self._path, policy=store.policy, clock=store.clock, identity=store.identity,
                                   notices=[], shared=True, lock_wait_ms=lock_wait_ms(store))
            if self._lite is None:
                self._path = None  # not one the fast path takes: it will not become one
        return self._lite

    def _close(self) -> None:
        lite, self._lite = self._lite, None
        if lite is not None:
            with contextlib.suppress(sqlite3.Error):
                lite.close()

    def close(self) -> None:
        """Close the connection (opened again if a line is logged after)."""
        with self._lock:
            self._close()


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
        self._looking = False
        """Told to look again (its worker cancelled): `run` looks every `CANCELLED_LOOK_SECONDS`."""
        self._stop = threading.Event()
        self._lines_unreported = 0
        self._lines_lock = threading.Lock()
        self._lite = LiteLines(store)

    # --- queueing (any thread) --------------------------------------------------------

    def line_write(self, line: PendingLine) -> Write:
        """The write that logs `line`."""
        return Write(line.text, partial(self._log_line, line), line)

    def _log_line(self, line: PendingLine) -> LoggedRows:
        rows = self._lite.log(self.ref, line)
        return rows if rows is not None else log_line(self.store, self.ref, line)

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

    def look_again(self) -> None:
        """Have `run` look now, and often from now on, whether it should stop (its worker
        was cancelled)."""
        self._looking = True
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
        try:
            while not self._stop.is_set() and not cancelled():
                try:
                    write = self._queue.get(timeout=CANCELLED_LOOK_SECONDS if self._looking else WAKE_SECONDS)
                except queue.Empty:
                    continue
                if write is not None:
                    self._write(write, cancelled)
                elif self._finishing:
                    return
        finally:
            self._lite.close()

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
