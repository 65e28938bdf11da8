"""The SQLite database file, without SQLAlchemy: where it lives, made private to its user,
and a driver's failure said in one line.

`storage.db` opens the record through SQLAlchemy and `storage.lite` through the standard
library's `sqlite3`; both take these from here, so they find the same file, treat its
permissions alike and word their failures alike.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from storage.errors import Busy, Conflict, DatabaseError, WarroomError
from storage.timeparse import quote_input

DB_ENV = "WARROOM_DB"
BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another writer's lock before it fails as `Busy`."""


def default_database_path() -> Path:
    """The embedded database in the user's data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("warroom")) / "warroom.db"


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


def check_existing_sqlite_file(path: str) -> None:
    """Refuse a database to be opened read-only that is missing, not a regular file, or has
    a -wal, -shm or -journal that is a symbolic link (as `_prepare_sqlite_file` does)."""
    if path in ("", ":memory:"):
        raise DatabaseError("a read-only view needs a database file, not an in-memory one")
    if not os.path.isfile(path):
        raise DatabaseError(f"no incident record at {quote_input(path)}: nothing to show")
    for suffix in SQLITE_SIDE_FILES:
        if os.path.islink(path + suffix):
            raise DatabaseError(
                f"{path + suffix} is a symbolic link: not opening the database through it; remove the link"
            )


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


def conflict(where: str) -> Conflict:
    """A write that met a unique key another writer took meanwhile."""
    return Conflict(f"the change collided with another writer on {where}; nothing was saved")


def failure_from_text(text: str, where: str) -> WarroomError:
    """One clear line for a driver failure whose message is `text` (its first line)."""
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
