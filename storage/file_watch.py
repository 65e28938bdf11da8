"""Waiting for a SQLite file to be written, instead of looking at it on a timer.

On Linux, `FileWrites` asks the kernel (inotify, through ctypes: the standard library has no
binding) to say when the database file or its `-wal` is written, created or moved into
place, by any process; a poller then looks at the record only when something was written,
at once, and sleeps otherwise. Elsewhere, or when the kernel refuses (no inotify, its
limits reached), `FileWrites.open` returns None and the poller keeps its timer.

The directory is watched, not the files: the `-wal` comes and goes as connections open
and close, and a watch on a removed file ends with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import select
import struct
import sys
from pathlib import Path

_IN_MODIFY = 0x002
_IN_CLOSE_WRITE = 0x008
_IN_MOVED_TO = 0x080
_IN_CREATE = 0x100
_IN_Q_OVERFLOW = 0x4000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")
"""wd, mask, cookie, len: the fixed part of an inotify event; `len` bytes of name follow."""


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    except (OSError, AttributeError):
        return None
    return libc


class FileWrites:
    """Writes to one SQLite file (and its `-wal`) by any process, as the kernel reports
    them. Use from one thread; `wake` from any; `close` when done."""

    def __init__(self, inotify_fd: int, names: frozenset[bytes]) -> None:
        self._fd = inotify_fd
        self._names = names
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

    @classmethod
    def open(cls, path: str) -> FileWrites | None:
        """Watch the SQLite file at `path`; None where the kernel cannot say (not Linux,
        inotify refused or at its limits, no such folder)."""
        libc = _libc()
        if libc is None:
            return None
        target = Path(path).absolute()
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return None
        mask = _IN_MODIFY | _IN_CLOSE_WRITE | _IN_MOVED_TO | _IN_CREATE
        if libc.inotify_add_watch(fd, os.fsencode(target.parent), mask) < 0:
            os.close(fd)
            return None
        name = os.fsencode(target.name)
        return cls(fd, frozenset({name, name + b"-wal"}))

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the file to be written, or for `wake`: True
        when it was written (or may have been: the kernel's queue overflowed)."""
        try:
            ready, _, _ = select.select([self._fd, self._wake_read], [], [], timeout)
        except InterruptedError:
            return True
        if self._wake_read in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_read, 4096)
        return self._fd in ready and self._written()

    def _written(self) -> bool:
        """Read the events waiting; whether one is about the file or its `-wal`."""
        written = False
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return written
            except OSError as exc:  # the watch is gone: say "written", the poller looks
                return exc.errno != errno.EINTR or written
            offset = 0
            while offset + _EVENT.size <= len(data):
                _, mask, _, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
                written = written or bool(mask & _IN_Q_OVERFLOW) or name in self._names
                offset += _EVENT.size + length

    def wake(self) -> None:
        """End a `wait` under way (or the next one) at once; from any thread."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_write, b"\0")

    def close(self) -> None:
        for fd in (self._fd, self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
