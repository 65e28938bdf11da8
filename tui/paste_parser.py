"""Terminal input with bracketed pastes read whole, whatever they contain and however the
terminal's bytes are split.

Textual's parser (8.x) reads a paste between `ESC[200~` and `ESC[201~` character by character
with its escape-key timeout still running. Two things go wrong in an incident:

- an ESC inside the pasted text (a log line with colours) starts a "sequence" that is given
  to the app as keys, out of order with the rest of the paste;
- when the closing `ESC[201~` arrives in two reads more than the escape delay apart (a busy
  machine), the parser takes the ESC for the Escape key and stays inside the paste for good:
  every later key is swallowed into a paste that never ends, and the app stops answering.

`PasteSafeParser` takes pastes out of the stream before Textual's parser sees it: the text
between the markers becomes one `Paste` event, verbatim (ESC and all, for the app to show as
pictures), with no timeout inside it; everything else goes to Textual's parser unchanged. A
possible start of the opening marker at the end of a read is held back until the next read:
a lone ESC for the escape delay, so that the Escape key arrives as quickly as before, and
`ESC[` and longer for `MARKER_WAIT_SECONDS`. Bytes that are not UTF-8 are read as U+FFFD
(`lenient_decoder`) instead of ending the app.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable, Iterable

from textual import constants, events
from textual._time import get_time
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.message import Message

MARKER_WAIT_SECONDS = 1.0
"""How long `ESC[`, `ESC[2`, `ESC[20` or `ESC[200` at the end of a read waits for the rest of
the opening marker: a lone ESC is the Escape key after Textual's escape delay, but nobody
types these within it."""

PASTE_SILENCE_SECONDS = 5.0
"""A paste whose closing marker has not come after this long without a byte ends there (a
terminal that dropped it): the text so far is pasted and keys are read again."""

TICK_SLACK_SECONDS = 0.001
"""Added to a wait for `tick`, so that the wait does not end a hair before what it waits for."""


def _partial_marker(text: str, marker: str) -> int:
    """How many characters at the end of `text` could be the start of `marker`."""
    for length in range(min(len(text), len(marker) - 1), 0, -1):
        if marker.startswith(text[-length:]):
            return length
    return 0


class PasteSafeParser(XTermParser):
    """Textual's terminal parser, with bracketed pastes taken out whole first."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._pending = ""
        """Characters not yet handed on: the paste so far, or a possible opening marker."""
        self._in_paste = False
        self._pending_since = 0.0

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input: what is held back goes on as it is
            if self._pending:
                yield from self._flush_pending()
            yield from super().feed(data)
            return
        self._pending += data
        self._pending_since = get_time()
        while self._pending:
            if self._in_paste:
                end = self._pending.find(BRACKETED_PASTE_END)
                if end < 0:
                    return  # the paste goes on in a later read
                text, self._pending = self._pending[:end], self._pending[end + len(BRACKETED_PASTE_END):]
                self._in_paste = False
                yield events.Paste(text.replace("\x00", ""))
                continue
            start = self._pending.find(BRACKETED_PASTE_START)
            if start >= 0:
                before, self._pending = self._pending[:start], self._pending[start + len(BRACKETED_PASTE_START):]
                if before:
                    yield from super().feed(before)
                yield from self._finish_sequence()  # an Escape just before the paste comes before it
                self._in_paste = True
                continue
            held = _partial_marker(self._pending, BRACKETED_PASTE_START)
            keys, self._pending = self._pending[: len(self._pending) - held], self._pending[len(self._pending) - held:]
            if keys:
                yield from super().feed(keys)
            return

    def tick(self) -> Iterable[Message]:
        waited = get_time() - self._pending_since
        if self._pending and not self._in_paste and waited >= self._pending_wait():
            # Not a paste after all (the Escape key, say): Textual's parser has it, and has
            # already waited its escape delay for what follows.
            yield from super().feed(self._flush_held())
            yield from self._finish_sequence()
        elif self._in_paste and waited >= self._pending_wait():
            yield from self._flush_pending()
        yield from super().tick()

    def seconds_to_tick(self) -> float | None:
        """How long until `tick` may have something to hand on; None when nothing waits on
        the clock (then only the next read can change anything)."""
        deadlines = [] if self._timeout_time is None else [self._timeout_time]
        if self._pending or self._in_paste:  # (a paste with nothing in it yet times out too)
            deadlines.append(self._pending_since + self._pending_wait())
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - get_time()) + TICK_SLACK_SECONDS

    def _pending_wait(self) -> float:
        """How long what is pending waits for more before `tick` hands it on."""
        if self._in_paste:
            return PASTE_SILENCE_SECONDS
        return constants.ESCAPE_DELAY if len(self._pending) == 1 else MARKER_WAIT_SECONDS

    def _finish_sequence(self) -> Iterable[Message]:
        """What Textual's parser is waiting on (the Escape key, a sequence cut short) as it
        would be after its escape delay, at once: nothing more of it is coming."""
        if self._timeout_time is not None:
            self._timeout_time = get_time()
            yield from super().tick()

    def _flush_held(self) -> str:
        held, self._pending = self._pending, ""
        return held

    def _flush_pending(self) -> Iterable[Message]:
        """Hand on what is pending: an unfinished paste as a paste, else as keys."""
        if self._in_paste:
            self._in_paste = False
            yield events.Paste(self._flush_held().replace("\x00", ""))
        else:
            yield from super().feed(self._flush_held())


def lenient_decoder(encoding: str) -> Callable[[], codecs.IncrementalDecoder]:
    """An incremental decoder factory that reads a byte that is not `encoding` as U+FFFD
    instead of raising (Textual's reader raised, and the app ended on one Latin-1 byte)."""
    return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")

