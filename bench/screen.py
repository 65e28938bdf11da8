"""What a person sees: an app run in a pseudo-terminal of its own, its output read into a screen model.

    with Terminal([program, ...]) as term:
        term.wait_for("some text")        # seconds from the spawn to the text on screen

`Terminal` starts the program on a new pty (TERM=xterm-256color, 140x42), reads everything it
writes on a thread and feeds it to `ScreenModel`, a minimal VT100/xterm model of what Textual
emits: cursor moves (CUP and relatives), erases and text; colours, modes and queries are
ignored. After each read the waiting conditions are checked against the model, and the time
of that read (`time.perf_counter()`, taken as `os.read` returned) is when the text was seen.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import re
import struct
import subprocess
import termios
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

COLUMNS, ROWS = 140, 42

_TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[0-?]*)[ -/]*(?P<final>[@-~]))"
    r"|(?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(?P<string>\x1b[P_^X][^\x1b]*\x1b\\)"
    r"|(?P<esc>\x1b(?![\[\]P_^X])[ -/]*[0-~])"
    r"|(?P<partial>\x1b.*)"
    r"|(?P<control>[\x00-\x1a\x1c-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)",
    re.DOTALL,
)


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class ScreenModel:
    """The characters on a terminal screen (no attributes): enough to tell what text is visible."""

    def __init__(self, columns: int = COLUMNS, rows: int = ROWS) -> None:
        self.columns, self.rows = columns, rows
        self.cells = [[" "] * columns for _ in range(rows)]
        self.x = self.y = 0
        self._pending = ""
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decode(data)
        self._pending = ""
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind == "text":
                self._put(match.group())
            elif kind == "csi":
                self._csi(match.group("params"), match.group("final"))
            elif kind == "control":
                self._control(match.group())
            elif kind == "partial":
                if len(match.group()) < 4096:
                    self._pending = match.group()  # an escape sequence cut by the read: the rest comes next
                    return
                self._pending = match.group()[1:]  # not an escape sequence after all: skip the ESC
                return self.feed(b"")
            elif kind == "esc" and match.group() == "\x1bc":
                self._erase(0, self.rows)

    def _put(self, text: str) -> None:
        row = self.cells[self.y] if 0 <= self.y < self.rows else None
        for char in text:
            width = _width(char)
            if width == 0:
                continue
            if self.x + width > self.columns:
                self.x = 0
                self.y = min(self.y + 1, self.rows - 1)
                row = self.cells[self.y]
            if row is not None:
                row[self.x] = char
                if width == 2:
                    row[self.x + 1] = ""
            self.x += width

    def _control(self, char: str) -> None:
        if char == "\r":
            self.x = 0
        elif char == "\n":
            self.y = min(self.y + 1, self.rows - 1)
        elif char == "\b":
            self.x = max(0, self.x - 1)
        elif char == "\t":
            self.x = min(self.columns - 1, (self.x // 8 + 1) * 8)

    def _csi(self, params: str, final: str) -> None:
        if params.startswith(("?", ">", "<", "=")):
            return  # private modes and queries: the alternate screen, synchronized output, mouse...
        numbers = [int(part) if part.isdigit() else 0 for part in params.split(";")] if params else []

        def arg(index: int, default: int = 1) -> int:
            return numbers[index] if len(numbers) > index and numbers[index] else default

        if final in "Hf":
            self.y, self.x = self._clamp_y(arg(0) - 1), self._clamp_x(arg(1) - 1)
        elif final == "A":
            self.y = self._clamp_y(self.y - arg(0))
        elif final in "Be":
            self.y = self._clamp_y(self.y + arg(0))
        elif final in "Ca":
            self.x = self._clamp_x(self.x + arg(0))
        elif final == "D":
            self.x = self._clamp_x(self.x - arg(0))
        elif final in "G`":
            self.x = self._clamp_x(arg(0) - 1)
        elif final == "d":
            self.y = self._clamp_y(arg(0) - 1)
        elif final == "J":
            mode = arg(0, 0)
            if mode == 0:
                self._erase_line(self.y, self.x, self.columns)
                self._erase(self.y + 1, self.rows)
            elif mode == 1:
                self._erase(0, self.y)
                self._erase_line(self.y, 0, self.x + 1)
            else:
                self._erase(0, self.rows)
        elif final == "K":
            mode = arg(0, 0)
            start, end = {0: (self.x, self.columns), 1: (0, self.x + 1)}.get(mode, (0, self.columns))
            self._erase_line(self.y, start, end)
        elif final == "X":
            self._erase_line(self.y, self.x, self.x + arg(0))

    def _clamp_x(self, x: int) -> int:
        return max(0, min(self.columns - 1, x))

    def _clamp_y(self, y: int) -> int:
        return max(0, min(self.rows - 1, y))

    def _erase(self, start: int, end: int) -> None:
        for y in range(max(0, start), min(self.rows, end)):
            self.cells[y] = [" "] * self.columns

    def _erase_line(self, y: int, start: int, end: int) -> None:
        if 0 <= y < self.rows:
            row = self.cells[y]
            for x in range(max(0, start), min(self.columns, end)):
                row[x] = " "

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.cells]

    def text(self) -> str:
        return "\n".join(self.lines())


Condition = Callable[[list[str]], bool]


def showing(*texts: str) -> Condition:
    """A condition: every one of `texts` is somewhere on screen (each within one line)."""

    def check(lines: list[str]) -> bool:
        return all(any(text in line for line in lines) for text in texts)

    return check


class Terminal:
    """A program running on a pty of its own, its screen read continuously."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        columns: int = COLUMNS,
        rows: int = ROWS,
    ) -> None:
        self.argv, self.columns, self.rows = list(argv), columns, rows
        self.env = {**os.environ, **(env or {}), "TERM": "xterm-256color", "COLUMNS": str(columns),
                    "LINES": str(rows)}
        self.env.pop("TEXTUAL", None)
        self.cwd = cwd
        self.screen = ScreenModel(columns, rows)
        self.changed = threading.Condition()
        self.version = 0
        """How many reads have been fed to the screen; a waiter compares it to what it saw."""
        self.read_at = 0.0
        self.closed = False
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self._master = -1
        self._reader: threading.Thread | None = None
        self._watchers: list[tuple[Condition, list[float], threading.Event]] = []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> float:
        """Spawn the program; returns the time (perf_counter) taken just before spawning."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self._master = master
        reader = self._reader = threading.Thread(target=self._read, daemon=True)
        self.spawned_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env, cwd=self.cwd,
            start_new_session=True, close_fds=True,
        )
        os.close(slave)
        reader.start()
        return self.spawned_at

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 1 << 16)
            except OSError:
                data = b""
            now = time.perf_counter()
            if not data:
                with self.changed:
                    self.closed = True
                    self.changed.notify_all()
                return
            with self.changed:
                self.screen.feed(data)
                self.read_at = now
                self.version += 1
                if self._watchers:
                    lines = self.screen.lines()
                    for watcher in list(self._watchers):
                        condition, seen, done = watcher
                        if condition(lines):
                            seen.append(now)
                            done.set()
                            self._watchers.remove(watcher)
                self.changed.notify_all()

    def watch(self, condition: Condition) -> tuple[list[float], threading.Event]:
        """Start watching for `condition` (checked now and after every read); returns a list
        that will hold the time it first held, and an event set then."""
        seen: list[float] = []
        done = threading.Event()
        with self.changed:
            if condition(self.screen.lines()):
                seen.append(time.perf_counter())
                done.set()
            else:
                self._watchers.append((condition, seen, done))
        return seen, done

    def wait(self, condition: Condition, timeout: float = 60) -> float:
        """Block until `condition` holds on screen; returns the time (perf_counter) it was first seen."""
        seen, done = self.watch(condition)
        if not done.wait(timeout):
            with self.changed:
                self._watchers = [w for w in self._watchers if w[2] is not done]
            raise TimeoutError(f"{self.argv[0]}: not seen on screen within {timeout:.0f} s:\n{self.screen.text()}")
        return seen[0]

    def wait_for(self, *texts: str, timeout: float = 60) -> float:
        """Seconds from the spawn until every one of `texts` is on screen."""
        return self.wait(showing(*texts), timeout) - self.spawned_at

    def lines(self) -> list[str]:
        with self.changed:
            return self.screen.lines()

    def write(self, data: bytes) -> float:
        """Send keys; returns the time (perf_counter) taken just before the write."""
        at = time.perf_counter()
        os.write(self._master, data)
        return at

    def settle(self, quiet: float = 0.3, timeout: float = 10) -> None:
        """Wait until the program has written nothing for `quiet` seconds."""
        end = time.perf_counter() + timeout
        with self.changed:
            while time.perf_counter() < end:
                version = self.version
                self.changed.wait(quiet)
                if self.version == version:
                    return

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the program has used so far (from /proc)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The program's peak resident memory so far (VmHWM)."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=30)
        if self._reader is not None:
            self._reader.join(timeout=5)  # it ends at the pty's end of file, once the program is gone
        if self._master >= 0:
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = -1
