"""Textual's Linux terminal driver with an input thread that sleeps until there is input.

Textual's input thread (8.x) wakes ten times a second to look whether the app is closing and
whether an escape sequence has timed out. On a virtual machine each wake costs about a
millisecond of CPU, so an app that shows an incident and waits used about 1 % of a core
doing nothing. `QuietLinuxDriver`'s thread sleeps until a byte comes, until the parser has a
timeout due (an Escape key, a paste cut short: `PasteSafeParser.seconds_to_tick`), or until
the app closes its input (the exit event wakes it through a pipe).

It also reads with `PasteSafeParser` and decodes with `lenient_decoder` (see
`tui.paste_parser`).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from typing import TYPE_CHECKING, Any

from textual._parser import ParseError
from textual.drivers.linux_driver import LinuxDriver

from tui.paste_parser import PasteSafeParser, lenient_decoder

if TYPE_CHECKING:
    from textual.app import App


class WakingEvent(threading.Event):
    """A `threading.Event` that, once set, also wakes a thread waiting on a pipe."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._wake_fd: int | None = None

    def set(self) -> None:
        super().set()
        with self._lock:  # (never a write to a descriptor closed and perhaps reused)
            if self._wake_fd is not None:
                with contextlib.suppress(OSError):
                    os.write(self._wake_fd, b"\0")

    @contextlib.contextmanager
    def waking(self) -> Any:
        """A pipe whose read end becomes readable when the event is set, while in the block."""
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        with self._lock:
            self._wake_fd = wake_write
        try:
            yield wake_read
        finally:
            with self._lock:
                self._wake_fd = None
            os.close(wake_read)
            os.close(wake_write)


class QuietLinuxDriver(LinuxDriver):
    """`LinuxDriver` whose input thread wakes only when there is something to do."""

    exit_event: WakingEvent

    def __init__(
        self, app: App[Any], *, debug: bool = False, mouse: bool = True, size: tuple[int, int] | None = None
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.exit_event = WakingEvent()

    def start_application_mode(self) -> None:
        """Take over the terminal, unless it is already taken over: Textual resumes on every
        SIGCONT, and one that followed no stop (`kill -CONT`, or tmux waking its pane's
        program after Textual had resumed) started a second input thread that shared the keys
        with the first and that the exit event's pipe did not wake (Ctrl+Q hung for good)."""
        if self._key_thread is not None and self._key_thread.is_alive():
            return
        super().start_application_mode()

    def run_input_thread(self) -> None:
        """Read the terminal and hand on its events until the exit event is set."""
        parser = PasteSafeParser(self._debug)
        decode = lenient_decoder("utf-8")().decode
        fileno = self.fileno
        with self.exit_event.waking() as wake, selectors.SelectSelector() as selector:
            selector.register(fileno, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            try:
                while not self.exit_event.is_set():
                    for key, _mask in selector.select(parser.seconds_to_tick()):
                        if key.fd != fileno:
                            continue
                        data = os.read(fileno, 4096)
                        if not data:  # (standard input piped, and at its end)
                            selector.unregister(fileno)
                            break
                        # (the start of a character whose rest comes in the next read decodes
                        # to nothing, and the parser takes an empty feed for the end of input)
                        if text := decode(data):
                            for event in parser.feed(text):
                                self.process_message(event)
                    for event in parser.tick():
                        self.process_message(event)
            finally:
                with contextlib.suppress(EOFError, ParseError):
                    for _event in parser.feed(""):
                        pass
