"""Opening the incident record: where it lives, how SQLite is tuned, and migrations.

`Store` is the handle every caller (CLI, screens, tests) holds: an engine, the
policy in force, the clock and who is at the keyboard. Reads and writes go through `Store.read()` and
`Store.write()`, which turn driver failures into one-line `DatabaseError`s.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from storage.clock import Clock, SystemClock
from storage.errors import Busy, DatabaseError, ReadOnly, WarroomError
from storage.sqlite_file import (  # noqa: F401  (importable from here too)
    BUSY_TIMEOUT_MS,
    DB_ENV,
    SQLITE_SIDE_FILES,
    _is_text,
    _make_private,
    _open_to_others,
    _prepare_sqlite_file,
    check_existing_sqlite_file,
    conflict,
    default_database_path,
    failure_from_text,
)
from storage.timeparse import quote_input

if TYPE_CHECKING:
    from storage.identity import Identity
    from storage.policy import Policy



def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """A SQLAlchemy URL from `--db` (a path or URL), else WARROOM_DB, else the default file."""
    value = os.fspath(db) if db is not None else os.environ.get(DB_ENV) or None
    if value is not None and not _is_text(value):
        raise DatabaseError(
            f"the database path {quote_input(value)} holds bytes that are not UTF-8 text: rename it or choose another"
        )
    if value is None:
        value = os.fspath(default_database_path())
    if "://" in value:
        try:
            make_url(value)
        except sa.exc.ArgumentError as exc:
            raise DatabaseError(f"not a database URL: {value!r} ({exc})") from None
        return value
    return "sqlite:///" + os.path.abspath(os.path.expanduser(value))


def _sqlite_connect_hook(busy_timeout_ms: int, *, read_only: bool = False) -> Callable[[Any, Any], None]:
    """What each new SQLite connection runs: its pragmas. A read-only connection leaves the
    file's journal mode as it is and is refused every write by SQLite itself (`query_only`)."""
    busy_timeout = f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off; `_on_sqlite_begin` emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(busy_timeout)
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    return on_connect


_WRITE_LOCK_POLL_S = (0.0005, 0.002)
"""How long a writer waiting for SQLite's write lock sleeps between tries (at random in this range)."""


def _sqlite_begin_hook(busy_timeout_ms: int) -> Callable[[sa.Connection], None]:
    """What each SQLite transaction starts with: BEGIN, or BEGIN IMMEDIATE for a writer.

    Writers take the lock up front so a read transaction never has to be upgraded, which
    SQLite cannot wait for and would fail with "database is locked". A writer waits for the
    lock by trying again every millisecond or two until `busy_timeout_ms` has passed, not
    by SQLite's own busy handler: that one sleeps longer and longer (up to 100 ms) between
    tries, so under many writers one that has waited a while keeps losing the lock to
    writers that just arrived and fails as busy while the others go through.
    """
    busy_timeout = f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"

    def on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "IMMEDIATE":
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        deadline = time.monotonic() + busy_timeout_ms / 1000
        driver.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    driver.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # SQLITE_BUSY_RECOVERY etc. too
                    if not busy or time.monotonic() >= deadline:
                        raise
                time.sleep(random.uniform(*_WRITE_LOCK_POLL_S))
        finally:
            driver.execute(busy_timeout)

    return on_begin


def create_engine_for(
    url: str, *, busy_timeout_ms: int | None = None, notices: list[str] | None = None, read_only: bool = False
) -> Engine:
    """An engine for `url`, tuned for durability on SQLite. A write waits up to
    `busy_timeout_ms` (default BUSY_TIMEOUT_MS) for another writer's lock, then fails
    as `Busy`. A line for each SQLite file made private (or left open to others) is
    added to `notices`. A `read_only` engine's connections refuse every write (SQLite's
    `query_only`, PostgreSQL's read-only transactions) and a SQLite file must exist: it
    is neither created nor changed."""
    wait_ms = int(BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if "uri" in parsed.query or (parsed.database or "").startswith("file:"):
            # The file checks (mode 0600, outputs never the database) go by the path: a URI
            # filename would name another file than the one SQLite opens.
            raise DatabaseError(
                "a SQLite URI filename (file:..., ?uri=true) is not supported: give the database's path"
            )
        if read_only:
            check_existing_sqlite_file(parsed.database or "")
        else:
            made_private = _prepare_sqlite_file(parsed.database or "")
            if notices is not None:
                notices.extend(made_private)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": wait_ms / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_connect_hook(wait_ms, read_only=read_only))
        event.listen(engine, "begin", _sqlite_begin_hook(wait_ms))
        return engine
    if parsed.get_backend_name() == "postgresql":
        options = f"-c lock_timeout={wait_ms}" + (" -c default_transaction_read_only=on" if read_only else "")
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"options": options})
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use a file path or postgresql+psycopg://")


def describe_url(url: str) -> str:
    """The URL for messages: a plain path for SQLite, no password for servers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
"""PostgreSQL's serialization failure and deadlock: nothing is wrong with the change itself."""


_READ_ONLY_SQLSTATE = "25006"
"""PostgreSQL's "cannot execute ... in a read-only transaction"."""


def read_only_refusal(where: str) -> ReadOnly:
    return ReadOnly(f"the record {where} is open read-only here: nothing was written")


def translate_error(exc: Exception, where: str) -> WarroomError:
    """One clear line for a driver failure."""
    if isinstance(exc, WarroomError):
        return exc
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) == _READ_ONLY_SQLSTATE:
        return read_only_refusal(where)
    if isinstance(exc, sa.exc.IntegrityError):
        return conflict(where)
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _TRANSIENT_SQLSTATES:
        # PostgreSQL rolled the transaction back to let another writer through: run it again.
        return Busy(f"the database {where} is busy: the change met another writer's and was undone; try again")
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return failure_from_text(text, where)


class Store:
    """An open incident record: engine, policy, clock and the identity of its user.

    `user` is the name written on every event, update and sign-off that is not given
    another author. Without an `identity`, it is resolved by `storage.identity.resolve_identity`
    from WARROOM_USER, the config's `user`, else the login name.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        policy: Policy | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
        busy_timeout_ms: int | None = None,
        identity: Identity | None = None,
        read_only: bool = False,
    ) -> None:
        """A `read_only` store refuses every write (`ReadOnly`), and so do its connections;
        it never migrates: a record at an older schema is refused."""
        import storage.limits  # noqa: F401  (refuses text longer than its column holds, on every flush)
        from storage.identity import resolve_identity
        from storage.policy import load_policy

        self.url = resolve_url(url)
        self.where = describe_url(self.url)
        self.policy: Policy = policy if policy is not None else load_policy()
        self.identity: Identity = identity if identity is not None else resolve_identity(configured=self.policy.user)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.notices: list[str] = []
        """A line for each database file made private on opening, or left open to others."""
        self.read_only = read_only
        self.engine = create_engine_for(
            self.url, busy_timeout_ms=busy_timeout_ms, notices=self.notices, read_only=read_only
        )
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # A read sees one snapshot across its statements (a timeline and the watermark it
        # returns must agree): SQLite's read transactions do; PostgreSQL's default, READ
        # COMMITTED, takes a new snapshot per statement.
        self._reader = (
            self.engine.execution_options(isolation_level="REPEATABLE READ")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )
        if read_only:
            self._check_schema()
        elif migrate:
            from storage.migrate import upgrade

            try:
                upgrade(self.engine)
            except WarroomError:
                self.engine.dispose()
                raise
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                self.engine.dispose()
                raise translate_error(exc, self.where) from None

    def _check_schema(self) -> None:
        """Refuse to show a record this code would have to upgrade first (it may not write)."""
        from storage.migrate import HEAD_REVISION, current_revision

        try:
            revision = current_revision(self.engine)
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            self.engine.dispose()
            raise translate_error(exc, self.where) from None
        if revision == HEAD_REVISION:
            return
        self.engine.dispose()
        if revision is None:
            raise DatabaseError(f"{self.where} holds no incident record: nothing to show")
        if revision.isdigit() and int(revision) < int(HEAD_REVISION):
            raise DatabaseError(f"{self.where} is at an older schema ({revision}, this warroom's is {HEAD_REVISION}):"
                                " open it once with warroom (not read-only) to upgrade it, then show it")
        raise DatabaseError(f"{self.where} is at schema {revision}, which this warroom does not know (its own is "
                            f"{HEAD_REVISION}): a newer warroom wrote it; show it with that version")

    @property
    def user(self) -> str:
        """Who is at the keyboard: the author of what is written without another one."""
        return self.identity.name

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def now(self) -> datetime:
        """The current time from the store's clock (aware UTC)."""
        return self.clock.now()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session."""
        try:
            with Session(self._reader, expire_on_commit=False) as session:
                yield session
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:  # sqlite3: the fast reads use the driver's cursor
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> WarroomError:
        """`translate_error`, where SQLite's refusal of a write on a read-only store says so."""
        if self.read_only and isinstance(getattr(exc, "orig", exc), sqlite3.Error) and "readonly" in str(exc):
            return read_only_refusal(self.where)
        return translate_error(exc, self.where)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error; refused
        (`ReadOnly`) by a read-only store."""
        if self.read_only:
            raise read_only_refusal(self.where)
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:  # sqlite3: as in read()
            raise translate_error(exc, self.where) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
