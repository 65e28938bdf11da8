"""An `Input` that never lets a control character in its value reach the terminal, and
keeps every line of a paste."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widgets import Input

from widgets.text import printable_in_place, printable_strip


class LiteralInput(Input):
    """An `Input` whose value is drawn with control characters as visible pictures (ESC as
    `␛`, a line break as `⏎`), one for one so the cursor stays in place. The value itself,
    what is saved, is untouched. Use it wherever stored or pasted text is edited. A
    suggestion (e.g. a person's name from the record) is drawn the same way. A paste of
    several lines keeps them all, joined by spaces (an `Input` keeps only the first). Its
    own keys (Backspace, Ctrl+U, Home...) take effect in order with the characters typed
    around them, however fast they come."""

    async def _on_key(self, event: events.Key) -> None:
        # The input's own bindings (Backspace, Ctrl+U, End, arrows...) run here, in order
        # with the keys typed around them: as bindings they would run only once the key
        # had bubbled up to the app, after the characters queued behind it were typed in
        # (Ctrl+U then a name in one read erased the name; End then "ok" put "ok" before End).
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)

    def _on_paste(self, event: events.Paste) -> None:
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) > 1:  # else `Input._on_paste`, called next, inserts it
            event.prevent_default()
            event.stop()
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(" ".join(lines))
            else:
                self.replace(" ".join(lines), *selection)

    @property
    def _value(self) -> Text:
        # Input draws its value from this property (Textual 8); only the drawing changes.
        if self.password or self.value.isprintable():
            return super()._value
        text = Text(printable_in_place(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text

    def render_line(self, y: int) -> Strip:
        # The suggestion is drawn apart from `_value`.
        return printable_strip(super().render_line(y))
