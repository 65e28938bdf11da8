"""The line being typed, kept on disk so a crash or a closed terminal loses nothing.

Drafts are private to this machine and user (a shared PostgreSQL incident has one
draft per scribe): files under the user state directory, written atomically, 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
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
    """A scribe line entered but not yet written to the record."""

    text: str
    entered_at: datetime


class Drafts:
    """Drafts of scribe lines, one per database and incident, and the lines entered but
    not yet written (kept until the record has them)."""

    def __init__(self, database: str, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else drafts_dir()
        self._prefix = hashlib.sha256(database.encode()).hexdigest()[:16]

    def _path(self, ref: str) -> Path:
        digest = hashlib.sha256(ref.encode()).hexdigest()[:16]
        return self.directory / f"{self._prefix}-{digest}.txt"

    def _pending_path(self, ref: str) -> Path:
        return self._path(ref).with_suffix(".pending.json")

    def load_pending(self, ref: str) -> list[PendingLine]:
        """The lines entered for `ref` and not known to be written (oldest first)."""
        try:
            records = json.loads(self._pending_path(ref).read_text(encoding="utf-8"))
            return [PendingLine(str(text), datetime.fromisoformat(at)) for text, at in records]
        except (OSError, ValueError, TypeError):
            return []

    def save_pending(self, ref: str, lines: list[PendingLine]) -> None:
        """Keep `lines` as those waiting to be written (none removes the file)."""
        if not lines:
            try:
                self._pending_path(ref).unlink()
            except OSError:
                pass
            return
        records = [[line.text, line.entered_at.isoformat()] for line in lines]
        self._write(self._pending_path(ref), json.dumps(records, ensure_ascii=False))

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
        self._write(self._path(ref), text)

    def _write(self, path: Path, text: str) -> None:
        """Replace `path` with `text` atomically (a reader sees the old or the new whole)."""
        temporary: str | None = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".draft-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass

    def clear(self, ref: str) -> None:
        """Forget the draft for `ref`."""
        try:
            self._path(ref).unlink()
        except OSError:
            pass


def write_outbox(name: str, text: str) -> Path:
    """Save a composed text as a private file (0600) in the user state directory's `outbox`
    (a message to paste when the terminal cannot reach the clipboard, an export). `name`
    is reduced to letters, digits, `-`, `_` and `.` with no leading dot, shortened to fit a
    file system, and gets `.txt` without an extension. Returns the path."""
    directory = drafts_dir().parent / "outbox"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "message"
    if "." not in safe:
        safe += ".txt"
    stem, dot, extension = safe.rpartition(".")
    if len(safe.encode()) > _OUTBOX_NAME_BYTES:
        stem = stem.encode()[: _OUTBOX_NAME_BYTES - len((dot + extension[:16]).encode())].decode(errors="ignore")
        safe = f"{stem}{dot}{extension[:16]}"
    path = directory / safe
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there already is private before the text is in it
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
