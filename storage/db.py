"""Opening the incident record: where it lives, how SQLite is tuned, and migrations.

`Store` is the handle every caller (CLI, screens, tests) holds: an engine, the
policy in force, the clock and who is at the keyboard. Reads and writes go through `Store.read()` and
`Store.write()`, which turn driver failures into one-line `DatabaseError`s.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from storage.clock import Clock, SystemClock
from storage.errors import Busy, Conflict, DatabaseError, WarroomError
from storage.timeparse import quote_input

if TYPE_CHECKING:
    from storage.identity import Identity
    from storage.policy import Policy

DB_ENV = "WARROOM_DB"
BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another writer's lock before it fails as `Busy`."""


def default_database_path() -> Path:
    """The embedded database in the user's data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("warroom")) / "warroom.db"


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


def _is_text(value: str) -> bool:
    """Whether `value` (from the command line or the environment) is UTF-8 text: bytes that
    are not arrive as lone surrogates, which no file name in the record can be kept as."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps next to a database file, named after it: they hold the record too."""


def _prepare_sqlite_file(path: str) -> list[str]:
    """Create the database file and its directory private to the user (0700/0600), and make
    an existing database and its -wal, -shm and -journal files private (group and other
    bits cleared: 0644 becomes 0600, 0444 stays read-only as 0400) if other users could read
    or write them: SQLite gives the files it creates the database's mode.

    Only a regular file this user owns is changed, through a descriptor opened without
    following a symbolic link; a file that belongs to another user, or a database path that
    is a link, is left as it is; a -wal, -shm or -journal that is a link is refused. Returns
    one line for each file made private or left open to others."""
    if path in ("", ":memory:"):
        return []
    file = Path(path)
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the directory {file.parent}: {exc.strerror}") from None
    if file.exists() and not file.is_file():
        raise DatabaseError(f"{file} is not a file")
    for suffix in SQLITE_SIDE_FILES:
        if os.path.islink(path + suffix):  # SQLite would write the record through it, wherever it points
            raise DatabaseError(
                f"{path + suffix} is a symbolic link: not opening the database through it; remove the link"
            )
    notices = [notice for suffix in SQLITE_SIDE_FILES if (notice := _make_private(Path(path + suffix)))]
    if file.exists():
        main_notice = _make_private(file)
        return [main_notice, *notices] if main_notice else notices
    try:
        fd = os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return notices
    except OSError as exc:
        raise DatabaseError(f"cannot create the database {file}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(file, stat.S_IRUSR | stat.S_IWUSR)
    return notices


def _open_to_others(mode: int) -> str:
    """'readable', 'writable' or 'readable and writable' by group or others, per `mode`."""
    readable, writable = bool(mode & 0o044), bool(mode & 0o022)
    return " and ".join(word for word, set_ in (("readable", readable), ("writable", writable)) if set_) or "open"


def _make_private(file: Path) -> str | None:
    """Clear the group and other bits of `file` (never adding one) if others have any access
    to it and it is a regular file this user owns; a line saying what was done or left, or
    None when there was nothing to do."""
    try:
        before = file.lstat()
    except OSError:
        return None  # not there (or not reachable: SQLite will say so)
    if stat.S_ISLNK(before.st_mode):
        try:
            target_mode = stat.S_IMODE(file.stat().st_mode)
        except OSError:
            return None
        if not target_mode & 0o077:
            return None
        return (f"{file} is a symbolic link to a file {_open_to_others(target_mode)} by others "
                f"(mode {target_mode:04o}); not followed, left as it is")
    mode = stat.S_IMODE(before.st_mode)
    if not mode & 0o077 or not stat.S_ISREG(before.st_mode):
        return None
    if before.st_uid != os.geteuid():
        return (f"{file} belongs to another user (uid {before.st_uid}) and is {_open_to_others(mode)} "
                f"by others (mode {mode:04o}); left as it is")
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None  # replaced or unreadable meanwhile: SQLite will say so
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or now.st_uid != os.geteuid():
            return None  # replaced between the look and the open: leave it
        os.fchmod(fd, mode & 0o700)
    except OSError as exc:
        return (
            f"{file} is {_open_to_others(mode)} by others (mode {mode:04o})"
            f" and could not be made private: {exc.strerror}"
        )
    finally:
        os.close(fd)
    return f"{file} was {_open_to_others(mode)} by others (mode {mode:04o}); made it {mode & 0o700:04o}"


def _sqlite_connect_hook(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """What each new SQLite connection runs: its pragmas."""
    busy_timeout = f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off; `_on_sqlite_begin` emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(busy_timeout)
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


def create_engine_for(url: str, *, busy_timeout_ms: int | None = None, notices: list[str] | None = None) -> Engine:
    """An engine for `url`, tuned for durability on SQLite. A write waits up to
    `busy_timeout_ms` (default BUSY_TIMEOUT_MS) for another writer's lock, then fails
    as `Busy`. A line for each SQLite file made private (or left open to others) is
    added to `notices`."""
    wait_ms = int(BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if "uri" in parsed.query or (parsed.database or "").startswith("file:"):
            # The file checks (mode 0600, outputs never the database) go by the path: a URI
            # filename would name another file than the one SQLite opens.
            raise DatabaseError(
                "a SQLite URI filename (file:..., ?uri=true) is not supported: give the database's path"
            )
        made_private = _prepare_sqlite_file(parsed.database or "")
        if notices is not None:
            notices.extend(made_private)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": wait_ms / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_connect_hook(wait_ms))
        event.listen(engine, "begin", _sqlite_begin_hook(wait_ms))
        return engine
    if parsed.get_backend_name() == "postgresql":
        options = f"-c lock_timeout={wait_ms}"
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


def translate_error(exc: Exception, where: str) -> WarroomError:
    """One clear line for a driver failure."""
    if isinstance(exc, WarroomError):
        return exc
    if isinstance(exc, sa.exc.IntegrityError):
        return Conflict(f"the change collided with another writer on {where}; nothing was saved")
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _TRANSIENT_SQLSTATES:
        # PostgreSQL rolled the transaction back to let another writer through: run it again.
        return Busy(f"the database {where} is busy: the change met another writer's and was undone; try again")
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # The driver's text may quote bytes read from a damaged file: nothing in it may reach a
    # terminal as a control character.
    text = quote_input(text, limit=300)[1:-1]
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered or "lock timeout" in lowered:
        return Busy(f"the database {where} is busy: another writer holds it; try again")
    if "not a database" in lowered or "malformed" in lowered or "could not decode" in lowered:
        return DatabaseError(f"{where} is not a readable warroom database ({text})")
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseError(f"the database {where} is read-only ({text})")
    if "full" in lowered or "no space" in lowered:
        return DatabaseError(f"the disk holding {where} is full ({text}): nothing was saved; free some space")
    if "disk i/o error" in lowered:
        return DatabaseError(f"cannot write {where}: disk I/O error (a full or failing disk): nothing was saved")
    if "unable to open" in lowered:
        path = Path(where)  # SQLite: the file's path (a server's URL is never a file)
        if path.is_absolute() and path.is_file():
            if not os.access(path, os.W_OK):
                try:
                    mounted_read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
                except OSError:
                    mounted_read_only = False
                why = "its file system is mounted read-only" if mounted_read_only else "this user cannot write the file"
                return DatabaseError(f"the database {where} is read-only: {why} ({text})")
            if not os.access(path.parent, os.W_OK):
                return DatabaseError(
                    f"the database {where} is read-only: this user cannot write its folder, where SQLite "
                    f"keeps the -wal and -shm files ({text})"
                )
        return DatabaseError(f"cannot open the database {where} ({text})")
    return DatabaseError(f"database error on {where}: {text}")


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
    ) -> None:
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
        self.engine = create_engine_for(self.url, busy_timeout_ms=busy_timeout_ms, notices=self.notices)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # A read sees one snapshot across its statements (a timeline and the watermark it
        # returns must agree): SQLite's read transactions do; PostgreSQL's default, READ
        # COMMITTED, takes a new snapshot per statement.
        self._reader = (
            self.engine.execution_options(isolation_level="REPEATABLE READ")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )
        if migrate:
            from storage.migrate import upgrade

            try:
                upgrade(self.engine)
            except WarroomError:
                self.engine.dispose()
                raise
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                self.engine.dispose()
                raise translate_error(exc, self.where) from None

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
            raise translate_error(exc, self.where) from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
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
