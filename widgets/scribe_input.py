"""The scribe's input line, with a history of accepted lines and an error state."""

from __future__ import annotations

import re
from collections.abc import Sequence
from time import monotonic
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Input

from widgets.literal_input import LiteralInput

PLACEHOLDER = "Log an event: text, !key, /action /decision /todo /query /comms, @14:32 or @-5m"

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

STILL_AFTER_SECONDS = 10.0
"""The cursor stops blinking (drawn solid) this long after the last key, as GTK's does, and
blinks again at the next key: a blinking cursor repaints the input twice a second, about
half of what the app spends idle. The first focus (the app opening) holds it still at once:
nobody is typing yet."""


def pasted_lines(text: str) -> list[str]:
    """The non-blank lines of a pasted text (CR, LF or CRLF end a line)."""
    return [line for line in _LINE_BREAK_RE.split(text) if line.strip()]


class ScribeInput(LiteralInput):
    """A `LiteralInput` for timeline lines, with shell-like history on Up and Down.

    Enter posts `Submitted` with the line and empties the input at once, before the next
    key is read, so lines typed or pasted faster than the parent handles them each arrive
    once, whole; the line goes into the history (Up). A paste of several lines is not
    typed in: it posts `LinesPasted` with them, for the parent to confirm. The parent
    may still call `show_error(message)` on a line it puts back, which marks the widget
    with the `-error` class until the next edit. The line being typed is kept while
    browsing history. The cursor holds still after `STILL_AFTER_SECONDS` without a key,
    and from the first focus until the first key.
    """

    class LinesPasted(Message):
        """Several lines were pasted at once: `lines`, the non-blank ones, in order."""

        def __init__(self, scribe_input: ScribeInput, lines: tuple[str, ...]) -> None:
            super().__init__()
            self.scribe_input = scribe_input
            self.lines = lines

        @property
        def control(self) -> ScribeInput:
            return self.scribe_input

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history_previous", "Earlier line", show=False, id="scribe_input.history_previous",
                tooltip="Recall the previous logged line"),
        Binding("down", "history_next", "Later line", show=False, id="scribe_input.history_next",
                tooltip="Recall the next logged line, then the line being typed"),
    ]

    DEFAULT_CSS = """
    ScribeInput {
        overflow-x: hidden;  /* Input's horizontal bar is zero cells high: never shown, never laid out */
        &.-error {
            border: tall $error 60%;
        }
        &.-error:focus {
            border: tall $error;
        }
    }
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    """As `Input`'s, but a new width (every key, and Enter emptying the line) lays nothing
    out: the input's own size is fixed and a scroll view sizes its content itself, so the
    layout of the whole screen Textual would run changes nothing but the scroll range,
    updated here (`watch_virtual_size`)."""

    def watch_virtual_size(self, size: Size) -> None:
        if self.is_mounted:
            self._scroll_update(size)

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = PLACEHOLDER,
        *,
        history: Sequence[str] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        # Focusing must not select the draft: the next key would replace it.
        super().__init__(
            value, placeholder, select_on_focus=False, name=name, id=id, classes=classes, disabled=disabled
        )
        self._history: list[str] = []
        self._browsing: int | None = None
        """The index into the history being shown, None while on the draft."""
        self._draft = ""
        self._error_value: str | None = None
        self.error: str | None = None
        """The error last shown with `show_error`, None once cleared."""
        self.cursor_still = False
        """True while the cursor holds still (see `STILL_AFTER_SECONDS`)."""
        self._last_key_at = monotonic()
        self._still_timer: Timer | None = None
        self._focused_before = False
        self.add_history(history)

    async def action_submit(self) -> None:
        """Hand the line over and empty the input before the next key is read."""
        line = self.value
        if not line.strip():
            return
        self.remember(line)
        self.post_message(self.Submitted(self, line))  # before the Changed that empties it
        self.value = ""

    def _key_pressed(self) -> None:
        """A key (or a paste): the cursor blinks, and holds still again once keys stop."""
        self._last_key_at = monotonic()
        if self.cursor_still:
            self.cursor_still = False
            self._restart_blink()
        if self._still_timer is None:
            self._still_timer = self.set_timer(STILL_AFTER_SECONDS, self._hold_cursor_still, name="cursor still")

    def _hold_cursor_still(self) -> None:
        """Stop the blink, cursor shown, if no key came for `STILL_AFTER_SECONDS` (else wait
        out the rest: one timer at a time, not one a key)."""
        self._still_timer = None
        quiet = monotonic() - self._last_key_at
        if quiet < STILL_AFTER_SECONDS:
            self._still_timer = self.set_timer(STILL_AFTER_SECONDS - quiet, self._hold_cursor_still,
                                               name="cursor still")
        elif self.has_focus:
            self._pause_blink(visible=True)
            self.cursor_still = True

    def _on_focus(self, event: events.Focus) -> None:
        if self._focused_before:
            self._key_pressed()  # Input's own handler starts the blink again
        else:  # the app opening: hold still once Input's own handler has started the blink
            self._focused_before = True
            self.call_next(self._hold_still_now)

    def _on_blur(self, event: events.Blur) -> None:
        self.cursor_still = False  # Input's own handler hides the cursor

    def _hold_still_now(self) -> None:
        if self.has_focus and self._still_timer is None:
            self._pause_blink(visible=True)
            self.cursor_still = True

    async def _on_key(self, event: events.Key) -> None:
        self._key_pressed()
        # Enter is taken here, in order with the keys typed before and after it: as a
        # binding it would run only once the keys already queued behind it were typed in
        # (a burst of lines from a terminal without bracketed paste, type-ahead).
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._restart_blink()
            await self.action_submit()
        # Other keys go on to LiteralInput's handler, which runs the input's own bindings
        # in order too, then to Input's (Textual calls each class's in turn).

    def _on_paste(self, event: events.Paste) -> None:
        self._key_pressed()
        lines = pasted_lines(event.text)
        if len(lines) > 1:
            event.stop()
            event.prevent_default()  # Input's own handler would type in the first line
            self.post_message(self.LinesPasted(self, tuple(lines)))
        elif lines:  # typed in here: Input's own handler would cut it at U+2028 and the like
            event.stop()
            event.prevent_default()
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(lines[0])
            else:
                self.replace(lines[0], *selection)

    @property
    def history(self) -> tuple[str, ...]:
        """The remembered lines, oldest first."""
        return tuple(self._history)

    def add_history(self, lines: Sequence[str]) -> None:
        """Append `lines` (oldest first) to the history, e.g. lines logged earlier."""
        for line in lines:
            self._append(line)

    def remember(self, line: str) -> None:
        """Add an accepted line to the history and stop browsing (the parent clears the input)."""
        self._append(line)
        self._browsing = None
        self._draft = ""

    def _append(self, line: str) -> None:
        if line.strip() and (not self._history or self._history[-1] != line):
            self._history.append(line)

    def show_error(self, message: str | None) -> None:
        """Mark the line as rejected (`-error` class) until it is edited; None clears it."""
        self.error = message
        self._error_value = self.value if message is not None else None
        self.set_class(message is not None, "-error")

    @on(Input.Changed)
    def _clear_error_on_edit(self, event: Input.Changed) -> None:
        if self.error is not None and event.value != self._error_value:
            self.show_error(None)

    def _leave_edited_entry(self) -> None:
        """A recalled line that was edited becomes the draft."""
        if self._browsing is not None and self.value != self._history[self._browsing]:
            self._draft = self.value
            self._browsing = None

    def _put_value(self, value: str) -> None:
        """Put `value` in the input with the cursor at its end."""
        self.value = value
        self.cursor_position = len(value)

    def action_history_previous(self) -> None:
        """Recall the line before the one shown (the most recent one from the draft)."""
        self._leave_edited_entry()
        if not self._history:
            return
        if self._browsing is None:
            self._draft = self.value
            self._browsing = len(self._history) - 1
        elif self._browsing > 0:
            self._browsing -= 1
        else:
            return
        self._put_value(self._history[self._browsing])

    def action_history_next(self) -> None:
        """Recall the line after the one shown, and past the last one the draft."""
        self._leave_edited_entry()
        if self._browsing is None:
            return
        if self._browsing < len(self._history) - 1:
            self._browsing += 1
            self._put_value(self._history[self._browsing])
        else:
            self._browsing = None
            self._put_value(self._draft)
