"""Child processes forked from the test process, for tests that need several processes at once.

A new interpreter spends about half a second of CPU importing SQLAlchemy, SQLModel and
Textual before it writes its first line; the suite starts dozens of writers, apps and
loggers. A child forked from the test's own process already has every module loaded, is
still a separate process (its own memory, file descriptors, locks and database
connections) and can be killed like any other. Its stdout and stderr are pipes, as with
`subprocess.Popen(..., stdout=PIPE, stderr=PIPE, text=True)`, whose methods it mirrors.

SQLite must not see a connection cross a fork: the child would inherit the parent's record
of the locks it holds on the file. So the parent may hold no database file open when it
forks, and `ForkedPython` refuses to start otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from typing import IO, NoReturn

DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite")


def open_database_files() -> list[str]:
    """The SQLite files this process holds open (from /proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith(DATABASE_SUFFIXES):
            found.append(target)
    return found


class ForkedPython:
    """Python `code` run in a forked child with `args` as `sys.argv[1:]`, as `python -c`."""

    def __init__(self, code: str, *args: str) -> None:
        held = open_database_files()
        if held:  # (maybe only garbage: an earlier test's app, with a reader's connection, in a cycle)
            gc.collect()
            held = open_database_files()
        if held:
            raise RuntimeError(f"close the database before forking a child (this process holds {held})")
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(code, args, out_write, err_write)
        os.close(out_write)
        os.close(err_write)
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self.stdout: IO[str] = open(out_read, encoding="utf-8", errors="replace")  # noqa: SIM115
        self.stderr: IO[str] = open(err_read, encoding="utf-8", errors="replace")  # noqa: SIM115

    def poll(self) -> int | None:
        """The exit status if the child has ended, else None (a signal is its negative number)."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end; `subprocess.TimeoutExpired` after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"forked child {self.args}", timeout or 0)
            time.sleep(0.005)
        return code

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """The rest of the child's stdout and stderr, once it has ended."""
        texts: dict[str, str] = {}

        def read(name: str, stream: IO[str]) -> None:
            texts[name] = "" if stream.closed else stream.read()

        readers = [
            threading.Thread(target=read, args=(name, stream), daemon=True)
            for name, stream in (("out", self.stdout), ("err", self.stderr))
        ]
        for reader in readers:
            reader.start()
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        for reader in readers:
            reader.join(30)
        for stream in (self.stdout, self.stderr):
            stream.close()
        return texts.get("out", ""), texts.get("err", "")

    def kill(self) -> None:
        """SIGKILL the child (nothing if it has already ended)."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait()


def run(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `code` in a forked child to its end, as `subprocess.run(..., capture_output=True)`."""
    child = ForkedPython(code, *args)
    out, err = child.communicate(timeout)
    assert child.returncode is not None
    return subprocess.CompletedProcess(["<forked>", *args], child.returncode, out, err)


def _run_child(code: str, args: tuple[str, ...], out_write: int, err_write: int) -> NoReturn:
    """In the child: point stdout and stderr at the pipes, run the code, and leave without
    running the parent's exit handlers or finalizers."""
    status = 1
    try:
        gc.freeze()  # the parent's objects (its connections among them) are never finalized here
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        asyncio.events._set_running_loop(None)
        os.dup2(out_write, 1)
        os.dup2(err_write, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
        sys.argv = ["-c", *args]
        exec(compile(code, "<forked child>", "exec"), {"__name__": "__main__"})
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - whatever the code raised, the child reports it and ends
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: the parent stopped reading
                stream.flush()
        os._exit(status)
