"""The line being typed, kept on disk so a crash or a closed terminal loses nothing.

Drafts are private to this machine and user (a shared PostgreSQL incident has one
draft per scribe): files under the user state directory, written atomically, 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

DRAFTS_ENV = "WARROOM_DRAFTS"
_OUTBOX_NAME_BYTES = 200
"""The longest outbox file name, in bytes (file systems allow 255)."""


def drafts_dir() -> Path:
    """Where drafts live: WARROOM_DRAFTS, else the user state directory."""
    override = os.environ.get(DRAFTS_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("warroom")) / "drafts"


class PendingLine(NamedTuple):
    """A scribe line entered but not yet written to the record.

    `entry_id` is given when the line is entered and written with the event, so a line
    written twice (a retry, a replay after a crash) is one event; `author` is who typed
    it; `confirmed` says its time was confirmed (see `storage.timeparse.time_concerns`).
    """

    text: str
    entered_at: datetime
    entry_id: str = ""
    author: str = ""
    confirmed: bool = False


def new_entry_id() -> str:
    """A fresh id for an entered line."""
    return uuid.uuid4().hex


class Drafts:
    """Drafts of scribe lines, one per database and incident, and the lines entered but
    not yet written (kept until the record has them).

    The file of waiting lines can be shared by several processes (two terminals on one
    incident, a start that writes the lines of a stopped one): each adds and removes its
    own lines under a file lock, never rewriting another's."""

    def __init__(self, database: str, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else drafts_dir()
        self._prefix = hashlib.sha256(database.encode()).hexdigest()[:16]
    def _path(self, ref: str) -> Path:
        return self.directory / f"{self._prefix}-{ref_digest(ref)}.txt"

    def _pending_path(self, ref: str) -> Path:
        return self._path(ref).with_suffix(".pending.json")

    def _held_path(self, ref: str) -> Path:
        return self._path(ref).with_suffix(".held.json")

    def load_pending(self, ref: str) -> list[PendingLine]:
        """The lines entered for `ref` and not known to be written (oldest first). Lines
        kept by an older warroom have no `entry_id`."""
        return _read_pending(self._pending_path(ref))[1]

    def add_pending(self, ref: str, lines: Sequence[PendingLine]) -> bool:
        """Keep `lines` (each with an `entry_id`) as waiting to be written; False when they
        could not be kept on disk (the folder cannot be written)."""
        return self._change_pending(ref, add=lines) if lines else True

    def remove_pending(self, ref: str, entry_ids: Iterable[str]) -> None:
        """Forget the waiting lines with these ids (written, or moved aside); an empty id
        forgets the lines an older warroom kept without ids."""
        ids = set(entry_ids)
        if ids:
            self._change_pending(ref, remove=ids)

    def save_pending(self, ref: str, lines: list[PendingLine]) -> None:
        """Keep exactly `lines` as those waiting for `ref` (none removes the file); for one
        process alone on the file (tests, an import)."""
        with self._locked():
            self._write_pending(ref, lines)

    def _change_pending(
        self, ref: str, *, add: Sequence[PendingLine] = (), remove: set[str] | frozenset[str] = frozenset()
    ) -> bool:
        with self._locked():
            _, lines = _read_pending(self._pending_path(ref))
            known = {line.entry_id for line in lines}
            kept = [line for line in lines if line.entry_id not in remove]
            kept += [line for line in add if line.entry_id not in known]
            return self._write_pending(ref, kept)

    def _write_pending(self, ref: str, lines: Sequence[PendingLine]) -> bool:
        if not lines:
            try:
                self._pending_path(ref).unlink()
            except FileNotFoundError:
                pass
            except OSError:
                return False
            return True
        records = {
            "ref": ref,
            "lines": [
                {
                    "id": line.entry_id,
                    "text": line.text,
                    "entered_at": line.entered_at.isoformat(),
                    "author": line.author,
                    "confirmed": line.confirmed,
                }
                for line in lines
            ],
        }
        return self._replace_file(self._pending_path(ref), json.dumps(records, ensure_ascii=False))

    def pending_file(self, ref: str) -> Path:
        """Where the lines waiting for `ref` are kept."""
        return self._pending_path(ref)

    def waiting(self) -> list[WaitingFile]:
        """Every incident of this database with lines waiting, one file each."""
        found: list[WaitingFile] = []
        for path in sorted(self.directory.glob(f"{self._prefix}-*.pending.json")):
            ref, lines = _read_pending(path)
            if lines:
                found.append(WaitingFile(ref, path.name[len(self._prefix) + 1 :].split(".", 1)[0], path, lines))
        return found

    def load_held(self, ref: str) -> list[HeldLine]:
        """The lines moved aside for `ref` (refused, or waiting for a confirmation)."""
        try:
            records = json.loads(self._held_path(ref).read_text(encoding="utf-8"))
            return [
                HeldLine(
                    str(r["text"]),
                    str(r["reason"]),
                    datetime.fromisoformat(r["entered_at"]),
                    str(r.get("id", "")) or new_entry_id(),
                    bool(r.get("confirm", False)),
                    str(r.get("author", "")),
                )
                for r in records
            ]
        except (OSError, ValueError, TypeError, KeyError):
            return []

    def save_held(self, ref: str, lines: Sequence[HeldLine]) -> bool:
        """Keep the lines moved aside for `ref` (none removes the file); False when they
        could not be kept on disk."""
        path = self._held_path(ref)
        if not lines:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                return False
            return True
        records = [
            {
                "text": line.text,
                "reason": line.reason,
                "entered_at": line.entered_at.isoformat(),
                "id": line.entry_id,
                "confirm": line.needs_confirmation,
                "author": line.author,
            }
            for line in lines
        ]
        return self._replace_file(path, json.dumps(records, ensure_ascii=False))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold this database's drafts lock (a no-op where the folder cannot be made)."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.directory / f"{self._prefix}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def load(self, ref: str) -> str | None:
        """The kept draft for `ref`, or None."""
        try:
            text = self._path(ref).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text or None

    def save(self, ref: str, text: str) -> None:
        """Keep `text` as the draft (an empty text removes it). Never raises on I/O."""
        if not text:
            self.clear(ref)
            return
        self._replace_file(self._path(ref), text)

    def _replace_file(self, path: Path, text: str) -> bool:
        """Replace `path` with `text` atomically (a reader sees the old or the new whole);
        False when it could not be written."""
        temporary: str | None = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".draft-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return False
        return True

    def clear(self, ref: str) -> None:
        """Forget the draft for `ref`."""
        with contextlib.suppress(OSError):
            self._path(ref).unlink()


class WaitingFile(NamedTuple):
    """The lines waiting for one incident, as kept on disk."""

    ref: str | None
    """None in a file an older warroom wrote: its `digest` is the incident's `ref_digest`."""
    digest: str
    path: Path
    lines: list[PendingLine]


class HeldLine(NamedTuple):
    """A line moved aside when entered: refused (with the reason), or waiting for a
    confirmation of its time (`needs_confirmation`); the scribe can recall it to fix."""

    text: str
    reason: str
    entered_at: datetime
    entry_id: str
    needs_confirmation: bool = False
    author: str = ""


def ref_digest(ref: str) -> str:
    """The part of a draft file's name that stands for incident `ref`."""
    return hashlib.sha256(ref.encode()).hexdigest()[:16]


def _read_pending(path: Path) -> tuple[str | None, list[PendingLine]]:
    """The ref (None in an older file, or one that does not match the file's name) and
    the lines of a file of waiting lines. A record that cannot be read is skipped, the
    others kept; a file that cannot be read at all is moved aside (`.unreadable`), so the
    next line kept does not replace it."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, []
    except (OSError, ValueError):
        _move_aside(path)
        return None, []
    ref: str | None = None
    if isinstance(records, dict):
        stated = records.get("ref")
        if isinstance(stated, str) and path.name.split(".", 1)[0].endswith(ref_digest(stated)):
            ref = stated
        records = records.get("lines")
    if not isinstance(records, list):
        _move_aside(path)
        return None, []
    lines: list[PendingLine] = []
    seen: set[str] = set()
    for record in records:
        line = _pending_record(record)
        if line is None:
            continue
        if line.entry_id in seen:  # two lines, one id: each must stay a line of its own
            line = line._replace(entry_id=new_entry_id())
        if line.entry_id:
            seen.add(line.entry_id)
        lines.append(line)
    return ref, lines


def _pending_record(record: object) -> PendingLine | None:
    """One kept line ([text, entered_at] from an older warroom, else a dict), or None."""
    try:
        if isinstance(record, list) and len(record) == 2 and isinstance(record[0], str):
            text, at, entry_id, author, confirmed = record[0], record[1], "", "", False
        elif isinstance(record, dict) and isinstance(record.get("text"), str):
            text, at = record["text"], record.get("entered_at")
            stated_id, stated_author = record.get("id"), record.get("author")
            entry_id = stated_id if isinstance(stated_id, str) else new_entry_id()
            author = stated_author if isinstance(stated_author, str) else ""
            confirmed = record.get("confirmed") is True
        else:
            return None
        entered_at = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return None
    if entered_at is None or entered_at.tzinfo is None:
        return None
    return PendingLine(text, entered_at, entry_id, author, confirmed)


def _move_aside(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(path, path.with_name(path.name + f".{int(datetime.now().timestamp())}.unreadable"))


def write_outbox(name: str, text: str, database_url: str | None = None) -> Path:
    """Save a composed text as a private file (0600) in the user state directory's `outbox`
    (a message to paste when the terminal cannot reach the clipboard, an export). `name`
    is reduced to letters, digits, `-`, `_` and `.` with no leading dot, shortened to fit a
    file system, and gets `.txt` without an extension. Written by `storage.outputs.write_output`
    (never the database at `database_url`, never through a link). Returns the path."""
    from storage.outputs import write_output

    directory = drafts_dir().parent / "outbox"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "message"
    if "." not in safe:
        safe += ".txt"
    stem, dot, extension = safe.rpartition(".")
    if len(safe.encode()) > _OUTBOX_NAME_BYTES:
        stem = stem.encode()[: _OUTBOX_NAME_BYTES - len((dot + extension[:16]).encode())].decode(errors="ignore")
        safe = f"{stem}{dot}{extension[:16]}"
    return write_output(directory / safe, text, database_url)
