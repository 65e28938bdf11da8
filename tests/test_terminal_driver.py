"""The terminal driver's input thread sleeps while nothing happens, and still reads every key
on time and stops at once when the app closes its input."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import constants, events
from textual.app import App
from textual.message import Message

from bench.screen import Terminal
from storage.db import Store
from tests.waiting import until_sync
from tui.terminal_driver import QuietLinuxDriver

WARROOM = str(Path(sys.executable).parent / "warroom")
ROOT = Path(__file__).resolve().parent.parent


class Watched:
    """A driver reading a pipe on its input thread, with what it handed on and how often its
    thread woke."""

    def __init__(self, driver: QuietLinuxDriver, write_fd: int) -> None:
        self.driver = driver
        self.write_fd = write_fd
        self.messages: list[Message] = []
        self.wakes = 0
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.driver.exit_event.clear()
        self.thread = threading.Thread(target=self.driver.run_input_thread, daemon=True)
        self.thread.start()

    def stop(self) -> float:
        """Seconds from the exit event to the thread's end."""
        assert self.thread is not None
        began = time.monotonic()
        self.driver.exit_event.set()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "the input thread did not stop"
        return time.monotonic() - began

    def keys(self) -> list[str]:
        return [message.key for message in self.messages if isinstance(message, events.Key)]


async def _driver() -> QuietLinuxDriver:
    return QuietLinuxDriver(App())  # (a driver takes the running loop; these tests never post to it)


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[Watched]:
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTSTP, signal.SIGCONT)}
    read_fd, write_fd = os.pipe()
    driver = asyncio.run(_driver())
    driver.fileno = read_fd
    state = Watched(driver, write_fd)
    monkeypatch.setattr(driver, "process_message", state.messages.append)
    real_select = selectors.SelectSelector.select

    def counted(selector: selectors.SelectSelector, timeout: float | None = None) -> list[object]:
        state.wakes += 1
        return real_select(selector, timeout)  # type: ignore[return-value]

    monkeypatch.setattr(selectors.SelectSelector, "select", counted)
    try:
        yield state
    finally:
        if state.thread is not None and state.thread.is_alive():
            state.stop()
        os.close(read_fd)
        os.close(write_fd)
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_the_input_thread_sleeps_until_a_key_and_reads_it_at_once(watched: Watched) -> None:
    watched.start()
    time.sleep(0.6)  # Textual's thread would have woken six times
    assert watched.wakes <= 1
    os.write(watched.write_fd, b"x")
    until_sync(lambda: watched.keys() == ["x"], seconds=2)
    time.sleep(0.3)
    assert watched.wakes <= 2


def test_the_escape_key_still_arrives_after_the_escape_delay(watched: Watched) -> None:
    watched.start()
    os.write(watched.write_fd, b"\x1b")
    began = time.monotonic()
    until_sync(lambda: watched.keys() == ["escape"], seconds=2)
    assert time.monotonic() - began >= constants.ESCAPE_DELAY
    time.sleep(0.3)
    assert watched.wakes <= 4  # the read, the parser's wait, and at most a wait's slack


def test_closing_the_input_stops_the_thread_at_once_and_it_can_start_again(watched: Watched) -> None:
    """As when the app quits, or is suspended with Ctrl+Z and resumed."""
    watched.start()
    time.sleep(0.2)
    assert watched.stop() < 0.05
    watched.start()
    os.write(watched.write_fd, b"y")
    until_sync(lambda: watched.keys() == ["y"], seconds=2)
    assert watched.stop() < 0.05


def test_an_input_that_ends_leaves_the_thread_asleep_not_spinning(watched: Watched) -> None:
    """Standard input at its end (piped) is read once and no longer watched."""
    watched.start()
    os.write(watched.write_fd, b"z")
    until_sync(lambda: watched.keys() == ["z"], seconds=2)
    os.close(watched.write_fd)
    watched.write_fd = os.open(os.devnull, os.O_WRONLY)  # (closed again by the fixture)
    time.sleep(0.3)
    assert watched.wakes <= 3
    assert watched.stop() < 0.05


def test_a_character_whose_bytes_come_in_two_reads_is_read_whole_and_keys_go_on(watched: Watched) -> None:
    """A read holding only the first byte of a UTF-8 character decodes to nothing: that is not
    the end of the input (the thread stopped reading the terminal, and the app took no key)."""
    watched.start()
    os.write(watched.write_fd, b"\xe2")
    time.sleep(0.1)
    os.write(watched.write_fd, b"\x82\xac")
    time.sleep(0.1)
    os.write(watched.write_fd, b"b")
    until_sync(lambda: watched.keys() == ["euro_sign", "b"], seconds=2)


def test_in_a_terminal_a_sigcont_while_running_starts_no_second_input_thread(
    demo: tuple[Store, str], tmp_path: Path
) -> None:
    """`kill -CONT` with no stop before it (or tmux waking its pane's program, which Textual
    had already resumed) started a second input thread: the two shared the keys, and Ctrl+Q
    hung for good, waiting on a thread the exit event's pipe did not wake."""
    _, ref = demo
    with Terminal([WARROOM, "--db", str(tmp_path / "demo.db"), "open", ref], cwd=ROOT) as term:
        term.wait_for("Log an event", timeout=60)
        os.kill(term.pid, signal.SIGCONT)
        term.settle()
        term.write(b"still typing")
        term.wait_for("still typing", timeout=10)
        term.write(b"\x11")  # Ctrl+Q
        assert term.process is not None
        term.process.wait(timeout=10)


def test_in_a_terminal_a_stop_and_continue_gives_the_terminal_back_and_keys_are_read(
    demo: tuple[Store, str], tmp_path: Path
) -> None:
    """SIGTSTP stops the app (its input thread ended); SIGCONT takes the terminal again."""
    _, ref = demo
    with Terminal([WARROOM, "--db", str(tmp_path / "demo.db"), "open", ref], cwd=ROOT) as term:
        term.wait_for("Log an event", timeout=60)
        for turn in range(2):
            os.kill(term.pid, signal.SIGTSTP)
            until_sync(lambda: _state(term.pid) == "T", seconds=10)
            os.kill(term.pid, signal.SIGCONT)
            term.settle()  # (a stop at once after a resume can leave Textual with two input threads)
            term.write(f"back{turn} ".encode())
            term.wait_for(f"back{turn}", timeout=10)
            term.settle()
        term.write(b"\x11")  # Ctrl+Q
        assert term.process is not None
        term.process.wait(timeout=10)


def _state(pid: int) -> str:
    """The process's state letter (`T`: stopped)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]
