"""Opening a SQLite record with the standard library's `sqlite3`: the same file, pragmas and
write lock as `storage.db`, without loading SQLAlchemy.

`open_lite` gives a `LiteStore` only for a file that exists and is at the schema revision
this version writes (`SCHEMA_REVISION`); anything else (a PostgreSQL URL, a new file, an
older or foreign schema, a file that cannot be read) gets None, and the caller opens it
with `storage.db.Store`, which creates, migrates or words the failure.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storage.errors import WarroomError
from storage.sqlite_file import (
    BUSY_TIMEOUT_MS,
    DB_ENV,
    _is_text,
    _prepare_sqlite_file,
    conflict,
    default_database_path,
    failure_from_text,
)

if TYPE_CHECKING:
    from storage.clock import Clock
    from storage.identity import Identity
    from storage.policy import Policy

SCHEMA_REVISION = "0007"
"""The schema revision this path reads and writes (a test keeps it equal to
`storage.migrate.HEAD_REVISION`)."""

_WRITE_LOCK_POLL_S = (0.0005, 0.002)
"""How long a writer waiting for the write lock sleeps between tries, as `storage.db` does."""


def sqlite_path(db: str | None) -> str | None:
    """The path of the SQLite file `db` (else WARROOM_DB, else the default file) names, as
    `storage.db.resolve_url` resolves it; None for a URL or a name that is not UTF-8 text
    (the full path says what is wrong with it), and None for a path with `?` or `%`, which
    `storage.db` reads as a URL (a query, an escape) and so opens another file than the one
    named: every command must read and write the same one."""
    value = db if db is not None else os.environ.get(DB_ENV) or None
    if value is None:
        value = os.fspath(default_database_path())
    if "://" in value or "?" in value or "%" in value or not _is_text(value):
        return None
    return os.path.abspath(os.path.expanduser(value))


def to_stored(at: datetime) -> str:
    """An aware time as SQLite keeps it: UTC, no offset, microseconds always (as SQLAlchemy
    writes a `DATETIME`)."""
    at = at.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}"
    )


def from_stored(value: str) -> datetime:
    """A stored UTC time, made aware (as `storage.models.parse_sqlite_utc`)."""
    return datetime.fromisoformat(value + "+00:00")


def failure(exc: sqlite3.Error, where: str) -> WarroomError:
    """One clear line for a driver failure, worded as `storage.db.translate_error` words it."""
    if isinstance(exc, sqlite3.IntegrityError):
        return conflict(where)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return failure_from_text(text, where)


class LiteStore:
    """An open SQLite record: one `sqlite3` connection, the policy in force, the clock and
    who is at the keyboard (the parts of `storage.db.Store` the fast path needs)."""

    def __init__(
        self,
        path: str,
        connection: sqlite3.Connection,
        *,
        policy: Policy,
        clock: Clock,
        identity: Identity,
        lock_wait_ms: int | None = None,
    ) -> None:
        self.where = path
        self.url = "sqlite:///" + path
        self.policy = policy
        self.clock = clock
        self.identity = identity
        self.lock_wait_ms = lock_wait_ms
        """How long a write waits for another writer's lock before it fails as busy
        (None: `BUSY_TIMEOUT_MS`)."""
        self._connection = connection

    @property
    def user(self) -> str:
        """Who is at the keyboard: the author of what is written without another one."""
        return self.identity.name

    def now(self) -> datetime:
        """The current time from the store's clock (aware UTC)."""
        return self.clock.now()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one snapshot across its statements."""
        connection = self._connection
        try:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                if connection.in_transaction:  # SQLite may have ended it on an error (a full disk)
                    connection.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise failure(exc, self.where) from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from its start (BEGIN IMMEDIATE,
        waited for as `storage.db` waits); commits on success, rolls back on any error."""
        connection = self._connection
        try:
            self._begin_immediate()
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:  # SQLite may have ended it on an error (a full disk)
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise failure(exc, self.where) from None

    def _begin_immediate(self) -> None:
        """Take the write lock, trying again every millisecond or two until the busy timeout
        has passed (SQLite's own handler backs off to 100 ms and lets newcomers win)."""
        connection = self._connection
        wait_ms = BUSY_TIMEOUT_MS if self.lock_wait_ms is None else self.lock_wait_ms
        deadline = time.monotonic() + wait_ms / 1000
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
                    if not busy or time.monotonic() >= deadline:
                        raise
                time.sleep(random.uniform(*_WRITE_LOCK_POLL_S))
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")

    def close(self) -> None:
        self._connection.close()


def open_lite(
    path: str,
    *,
    policy: Policy,
    clock: Clock,
    identity: Identity,
    notices: list[str],
    shared: bool = False,
    lock_wait_ms: int | None = None,
) -> LiteStore | None:
    """The record in the SQLite file at `path`, or None when `storage.db.Store` must open it
    (not there yet, not at `SCHEMA_REVISION`, not readable). The file and its side files
    are made private first, as `storage.db` does: a line for each is added to `notices`.

    `shared`: the store may be used from any thread, one at a time (the caller sees to
    that), and closed from any; `lock_wait_ms`: see `LiteStore.lock_wait_ms`."""
    if not os.path.isfile(path):
        return None
    notices.extend(_prepare_sqlite_file(path))
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=not shared
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        connection.close()
        return None
    if versions != [(SCHEMA_REVISION,)]:
        connection.close()
        return None
    return LiteStore(path, connection, policy=policy, clock=clock, identity=identity, lock_wait_ms=lock_wait_ms)
