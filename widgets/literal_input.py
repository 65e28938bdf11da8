"""An `Input` that never lets a control character in its value reach the terminal."""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widgets import Input

from widgets.text import printable_in_place, printable_strip


class LiteralInput(Input):
    """An `Input` whose value is drawn with control characters as visible pictures (ESC as
    `␛`, a line break as `⏎`), one for one so the cursor stays in place. The value itself,
    what is saved, is untouched. Use it wherever stored or pasted text is edited. A
    suggestion (e.g. a person's name from the record) is drawn the same way."""

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
