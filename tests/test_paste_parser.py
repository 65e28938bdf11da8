"""Bracketed pastes come in whole and verbatim however the terminal splits them, and every
other key reads as Textual's own parser reads it."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual._parser
from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.message import Message

import tui.paste_parser
from bench.screen import Terminal
from storage import ops
from storage.db import Store
from tui.app import WarroomApp
from tui.paste_parser import PASTE_SILENCE_SECONDS, PasteSafeParser
from tui.terminal_driver import QuietLinuxDriver

WARROOM = str(Path(sys.executable).parent / "warroom")
ROOT = Path(__file__).resolve().parent.parent

START, END = "\x1b[200~", "\x1b[201~"
BLOCK = "line one\rline two\r\x1b[31mred\x1b[0m line\r\x1b\rlast line"
"""Five lines as a terminal pastes them, one with colour codes and one a lone ESC."""


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTime]:
    fake = FakeTime()
    monkeypatch.setattr(textual._parser, "get_time", fake)
    monkeypatch.setattr(tui.paste_parser, "get_time", fake)
    yield fake


def described(messages: list[Message]) -> list[tuple[str, str]]:
    """What the app would receive, comparably: keys by name, pastes by text."""
    seen: list[tuple[str, str]] = []
    for message in messages:
        if isinstance(message, events.Key):
            seen.append(("key", message.key))
        elif isinstance(message, events.Paste):
            seen.append(("paste", message.text))
        else:
            seen.append((type(message).__name__, ""))
    return seen


def read(parser: XTermParser, clock: FakeTime, chunks: list[str], gap: float = 0.0) -> list[tuple[str, str]]:
    """Feed `chunks` as separate reads `gap` seconds apart (ticking between, as the driver
    does), then wait out every delay."""
    messages: list[Message] = []
    for chunk in chunks:
        messages += parser.feed(chunk)
        clock.now += gap
        messages += parser.tick()
    clock.now += PASTE_SILENCE_SECONDS + 1
    messages += parser.tick()
    return described(messages)


def test_a_paste_is_one_event_verbatim_escapes_and_all(clock: FakeTime) -> None:
    seen = read(PasteSafeParser(), clock, [f"a{START}{BLOCK}{END}b"])
    assert seen == [("key", "a"), ("paste", BLOCK), ("key", "b")]


def test_a_paste_split_anywhere_into_reads_half_a_second_apart_is_still_one_event(clock: FakeTime) -> None:
    stream = f"{START}{BLOCK}{END}x"
    for cut in range(2, len(stream)):  # a lone ESC that long before the rest is the Escape key
        seen = read(PasteSafeParser(), clock, [stream[:cut], stream[cut:]], gap=0.5)
        assert seen == [("paste", BLOCK), ("key", "x")], f"split after {cut} characters"


def test_the_closing_marker_split_by_a_slow_terminal_does_not_swallow_later_keys(clock: FakeTime) -> None:
    chunks = [f"{START}one\rtwo\x1b", "[201~", "z"]
    assert read(PasteSafeParser(), clock, chunks, gap=0.5) == [("paste", "one\rtwo"), ("key", "z")]


def test_every_byte_in_a_read_of_its_own_still_makes_one_paste(clock: FakeTime) -> None:
    stream = f"q{START}{BLOCK}{END}w"
    assert read(PasteSafeParser(), clock, list(stream), gap=0.01) == [("key", "q"), ("paste", BLOCK), ("key", "w")]


KEY_STREAMS = [
    "abc", "\x1b", "\x1b[A", "\x1b[1;2R", "\x1bOP", "\x1b[15~", "\x1bx", "\x1b[2~", "\x1b[20~",
    "\x1b[<0;10;5M\x1b[<0;10;5m", "\x1b\x1b", "é€😀", "\r\t\x7f", "\x1b[I\x1b[O", "\x1b[200", "\x1b[2",
]


@pytest.mark.parametrize("stream", KEY_STREAMS)
def test_keys_outside_a_paste_read_as_textual_reads_them(clock: FakeTime, stream: str) -> None:
    expected = read(XTermParser(), clock, [stream])
    assert read(PasteSafeParser(), clock, [stream]) == expected
    for cut in range(1, len(stream)):  # split, the halves arriving together
        assert read(PasteSafeParser(), clock, [stream[:cut], stream[cut:]]) == expected


def test_a_lone_escape_key_arrives_after_the_usual_delay_not_twice_it(clock: FakeTime) -> None:
    parser = PasteSafeParser()
    assert list(parser.feed("\x1b")) == []
    clock.now += constants.ESCAPE_DELAY / 2
    assert list(parser.tick()) == []
    clock.now += constants.ESCAPE_DELAY / 2 + 0.001
    assert described(list(parser.tick())) == [("key", "escape")]


def test_a_paste_whose_end_never_comes_is_pasted_after_a_silence_and_keys_work_again(clock: FakeTime) -> None:
    parser = PasteSafeParser()
    assert list(itertools.chain(parser.feed(f"{START}half a line"), parser.tick())) == []
    clock.now += PASTE_SILENCE_SECONDS / 2
    assert list(parser.tick()) == []
    clock.now += PASTE_SILENCE_SECONDS
    assert described(list(parser.tick())) == [("paste", "half a line")]
    assert described(list(parser.feed("k"))) == [("key", "k")]


@pytest.mark.parametrize("chunks", [[f"\x1b{START}hello{END}"], ["\x1b", f"{START}hello{END}"]])
def test_the_escape_key_pressed_just_before_a_paste_arrives_before_it(clock: FakeTime, chunks: list[str]) -> None:
    """Escape (to close a dialog) and a paste in one read, or within the escape delay: the
    Escape first, as Textual's parser has it, or the paste goes to the dialog that Escape
    then closes."""
    assert read(XTermParser(), clock, chunks) == [("key", "escape"), ("paste", "hello")]
    assert read(PasteSafeParser(), clock, chunks) == [("key", "escape"), ("paste", "hello")]


def test_a_key_typed_after_escape_and_a_paste_stays_itself(clock: FakeTime) -> None:
    seen = read(PasteSafeParser(), clock, [f"\x1b{START}hi{END}z"])
    assert seen == [("key", "escape"), ("paste", "hi"), ("key", "z")]


def test_bytes_that_are_not_utf_8_are_read_as_replacement_characters() -> None:
    decode = tui.paste_parser.lenient_decoder("utf-8")().decode
    assert decode(b"caf\xe9 ok") + decode(b"\xe2\x82", final=False) + decode(b"\xac") == "caf\ufffd ok\u20ac"


def read_when_told(
    parser: PasteSafeParser, clock: FakeTime, chunks: list[str], gap: float = 0.0
) -> list[tuple[str, str]]:
    """`read`, ticking only when `seconds_to_tick` says (as `QuietLinuxDriver` does): after
    each read, and when a wait it asked for ends before the next read."""
    messages: list[Message] = []
    arrivals = [clock.now + gap * number for number in range(len(chunks))]
    ticks = 0
    for arrival, chunk in zip(arrivals, chunks, strict=True):
        while (wait := parser.seconds_to_tick()) is not None and clock.now + wait < arrival:
            clock.now += wait
            messages += parser.tick()
            ticks += 1
        clock.now = max(clock.now, arrival)
        messages += parser.feed(chunk)
        messages += parser.tick()
    while (wait := parser.seconds_to_tick()) is not None:
        clock.now += wait
        messages += parser.tick()
        ticks += 1
    assert ticks <= 2 * len(chunks) + 2, "the parser asked for a tick that had nothing to do"
    return described(messages)


TIMED_STREAMS = [
    *([stream] for stream in KEY_STREAMS),
    [f"a{START}{BLOCK}{END}b"],
    [f"{START}one\rtwo\x1b", "[201~", "z"],
    [f"{START}half a line"],
    [START],  # a paste start and nothing after it: its silence runs out all the same
    [START, "typed later\r"],
    ["\x1b", f"{START}hello{END}"],
    ["\x1b[2", "00~pasted", f"{END}"],
    list(f"q{START}{BLOCK}{END}w"),
]


@pytest.mark.parametrize("chunks", TIMED_STREAMS)
@pytest.mark.parametrize("gap", [0.0, 0.01, 0.5, 2 * PASTE_SILENCE_SECONDS])
def test_ticking_only_when_the_parser_asks_reads_what_ticking_always_reads(
    clock: FakeTime, chunks: list[str], gap: float
) -> None:
    """The input thread sleeps until a read or `seconds_to_tick`: nothing is late or lost."""
    assert read_when_told(PasteSafeParser(), clock, chunks, gap) == read(PasteSafeParser(), clock, chunks, gap)


def test_a_parser_with_nothing_held_asks_for_no_tick(clock: FakeTime) -> None:
    parser = PasteSafeParser()
    assert parser.seconds_to_tick() is None
    assert described(list(parser.feed("ab\x1b[A"))) == [("key", "a"), ("key", "b"), ("key", "up")]
    assert parser.seconds_to_tick() is None
    list(parser.feed("\x1b"))
    wait = parser.seconds_to_tick()
    assert wait is not None and constants.ESCAPE_DELAY <= wait < constants.ESCAPE_DELAY + 0.01


def test_the_app_reads_its_terminal_with_the_quiet_driver() -> None:
    app = WarroomApp(opener=lambda: pytest.fail("nothing is opened here"))
    assert app.get_driver_class() is QuietLinuxDriver


def test_in_a_terminal_a_paste_ended_late_is_confirmed_whole_and_the_app_still_answers(
    demo: tuple[Store, str], tmp_path: Path
) -> None:
    """The closing marker's ESC in one read and the rest 0.4 s later, as a busy machine
    delivers it: Textual's own parser would take the ESC for the Escape key and swallow every
    later key into a paste that never ends."""
    store, ref = demo
    before = [event.text for event in ops.timeline(store, ref)]
    with Terminal([WARROOM, "--db", str(tmp_path / "demo.db"), "open", ref], cwd=ROOT) as term:
        term.wait_for("Log an event", timeout=60)
        for _ in range(40):  # the first frame comes before the record is open: paste again then
            term.write(b"\x1b[200~alpha one\rbeta \x1b[31mtwo\r\x1b")
            time.sleep(0.4)
            term.write(b"[201~")
            term.wait(lambda lines: any("Paste not logged" in line or "pasted lines as" in line for line in lines))
            if "pasted lines as" in term.screen.text():
                break
            time.sleep(0.5)
        term.wait_for("Log 2 pasted lines as 2 events?", "beta \u241b[31mtwo", timeout=10)
        term.write(b"\r")
        term.write(b"still answering\r")  # typed at once: kept for the scribe line
        term.wait_for("tester: alpha one", "tester: still answering", timeout=10)
        term.write(b"\x11")  # Ctrl+Q
        assert term.process is not None
        term.process.wait(timeout=10)
    after = [event.text for event in ops.timeline(store, ref)]
    assert after == [*before, "alpha one", "beta \x1b[31mtwo", "still answering"]


def test_in_a_terminal_escape_then_a_paste_closes_the_picker_and_pastes_into_the_scribe_line(
    demo: tuple[Store, str], tmp_path: Path
) -> None:
    """Escape on the severity picker and a paste in one read: the picker closes and the text
    lands in the scribe line (it went into the picker, which the late Escape then closed)."""
    _, ref = demo
    with Terminal([WARROOM, "--db", str(tmp_path / "demo.db"), "open", ref], cwd=ROOT) as term:
        term.wait_for("Log an event", timeout=60)
        for _ in range(40):  # the first frame comes before the record is open
            term.write(b"\x1bOQ")  # F2
            time.sleep(0.5)
            if "Change severity" in term.screen.text():
                break
        term.wait_for("Change severity", timeout=10)
        term.write(f"\x1b{START}pasted words{END}".encode())
        term.wait(lambda lines: not any("Change severity" in line for line in lines), timeout=10)
        term.wait_for("pasted words", timeout=10)
        term.write(b" caf\xe9\r")  # not UTF-8: read as U+FFFD, the app goes on
        term.wait_for("tester: pasted words caf\ufffd", timeout=10)
        term.write(b"\x11")  # Ctrl+Q
        assert term.process is not None
        term.process.wait(timeout=10)
