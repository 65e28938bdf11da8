"""Writing a file the user names (`-o FILE`): private, and never the database.

Every command that writes a file goes through `write_output`. It refuses, with one line
and before anything is written or truncated:

- the database, or its -wal, -shm or -journal file, by resolved path and, where the file
  exists, by device and inode (so `./w.db`, a hard link or a symbolic link to it are caught);
- a symbolic link at the output path (never followed);
- something other than a regular file (a folder, a FIFO, a device);
- a file that belongs to another user (its mode is never changed).

A new file is created 0600; an existing file of the user's loses its group and other
permissions (0644 becomes 0600) before the text is in it, then is replaced by the text.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import SQLITE_SIDE_FILES
from storage.errors import WarroomError

PRIVATE = stat.S_IRUSR | stat.S_IWUSR


class OutputRefused(WarroomError):
    """An output path that would overwrite the database, follow a link or change another's file."""


def database_files(database_url: str | None) -> dict[Path, str]:
    """The files holding a SQLite record, each with what it is ('the database', "the
    database's -wal file"...): the database and its -wal, -shm and -journal, by the path
    given and by the resolved one; none for a server's URL or an in-memory database."""
    if not database_url:
        return {}
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return {}
    given = os.path.abspath(parsed.database or "")
    return {
        Path(name + suffix): f"the database's {suffix} file" if suffix else "the database"
        for name in (given, os.path.realpath(given))
        for suffix in ("", *SQLITE_SIDE_FILES)
    }


def _refuse_database(path: Path, database_url: str | None) -> None:
    """Refuse `path` if it is, by resolved name or by device and inode, one of the
    database's files."""
    files = database_files(database_url)
    if not files:
        return
    database = next(iter(files))
    resolved = os.path.realpath(path)
    try:
        target: os.stat_result | None = os.stat(path)
    except OSError:
        target = None
    for database_file, what in files.items():
        same = resolved == os.path.realpath(database_file)
        if not same and target is not None:
            try:
                known = os.stat(database_file)
            except OSError:
                continue
            same = (known.st_dev, known.st_ino) == (target.st_dev, target.st_ino)
        if same:
            raise OutputRefused(
                f"{path} is {what} ({database}): not overwritten, nothing written; choose another output file"
            )


def _open_checked(path: Path) -> int:
    """A descriptor open for writing on `path`, created 0600 if new, after every check;
    not yet truncated."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE)
    except FileExistsError:
        pass
    except OSError as exc:
        raise OutputRefused(f"cannot write {path}: {exc.strerror}") from None
    try:
        found = os.lstat(path)
    except OSError as exc:
        raise OutputRefused(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISLNK(found.st_mode):
        raise OutputRefused(f"{path} is a symbolic link: not followed, nothing written; name the file itself")
    if not stat.S_ISREG(found.st_mode):
        raise OutputRefused(f"{path} is not a regular file: nothing written")
    if found.st_uid != os.geteuid():
        raise OutputRefused(f"{path} belongs to another user (uid {found.st_uid}): not overwritten, nothing written")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputRefused(
                f"{path} is a symbolic link: not followed, nothing written; name the file itself"
            ) from None
        raise OutputRefused(f"cannot write {path}: {exc.strerror}") from None
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (found.st_dev, found.st_ino):
        os.close(fd)
        raise OutputRefused(f"{path} was replaced while it was being opened: nothing written; try again")
    return fd


def write_output(path: str | os.PathLike[str], text: str | Iterable[str], database_url: str | None) -> Path:
    """Write `text` (UTF-8; a string, or pieces of one written as they come) to the file at
    `path`, private (0600), after the checks in this module's docstring against the
    database at `database_url`. Returns the path.

    Raises `OutputRefused` (one line, nothing written) when a check fails or the file
    cannot be opened."""
    target = Path(path)
    _refuse_database(target, database_url)
    fd = _open_checked(target)
    try:
        _refuse_database(target, database_url)  # the name now exists: its inode is compared too
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            os.fchmod(fd, mode & 0o700)  # private before the text is in it (0644 becomes 0600)
        os.ftruncate(fd, 0)
    except OutputRefused:
        os.close(fd)
        raise
    except OSError as exc:
        os.close(fd)
        raise OutputRefused(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
    except OSError as exc:
        raise OutputRefused(f"cannot write {target}: {exc.strerror}") from None
    return target
