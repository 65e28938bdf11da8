"""Text helpers shared by widgets: make untrusted text safe to put on a terminal."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

LINE_BREAK = "⏎ "
"""What a newline (LF, CR, CRLF, U+2028, U+2029) is shown as."""

REPLACEMENT = "\ufffd"
"""What a character with no picture of its own (C1 controls, bidi overrides, lone surrogates) becomes."""


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ … ␟, so ESC is ␛
    table[0x09] = " "
    table[0x0A] = LINE_BREAK
    table[0x0D] = LINE_BREAK
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1 controls, CSI (0x9B) and OSC (0x9D) among them
        table[code] = REPLACEMENT
    table[0x2028] = LINE_BREAK
    table[0x2029] = LINE_BREAK
    # Bidi embeddings, overrides and isolates can reorder what the terminal displays.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = REPLACEMENT
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be encoded for the terminal
        table[code] = REPLACEMENT
    return table


_TABLE = _build_table()


def printable(text: str) -> str:
    """Return `text` with every terminal control character replaced by a visible placeholder.

    C0 controls become Unicode control pictures (ESC shows as `␛`), DEL `␡`, a line break
    `⏎ ` (CRLF counts once), a tab one space; C1 controls, bidi overrides and lone
    surrogates become `�`. Everything else, markup-looking brackets included, is kept as is.
    """
    if text.isprintable():  # fast path: no control, separator or format characters at all
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_TABLE)


def printable_lines(text: str) -> str:
    """`printable` line by line: the line breaks are kept (for Markdown, a printed export)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _build_same_width_table() -> dict[int, str]:
    table = dict(_TABLE)
    table[0x0A] = table[0x0D] = table[0x2028] = table[0x2029] = "⏎"
    return table


_SAME_LENGTH_TABLE = _build_same_width_table()


def printable_in_place(text: str) -> str:
    """Like `printable`, but one character for one (a line break is `⏎`, CRLF two of
    them), so positions in the result are positions in `text`: for text being edited."""
    if text.isprintable():
        return text
    return text.translate(_SAME_LENGTH_TABLE)


def literal(text: str, style: str = "") -> Text:
    """Untrusted text as a Rich `Text`: shown as it is (no markup), with no control character."""
    return Text(printable(text), style=style, end="")


def printable_strip(strip: Strip) -> Strip:
    """A drawn line with every control character as its picture (`printable_in_place`), no
    wider than it was: a control takes no cell and its picture one, so padding (or, on a
    full line, the last cells) makes room. For widgets that draw text they were given."""
    if strip.text.isprintable():
        return strip
    width = strip.cell_length
    shown = Strip([Segment(printable_in_place(text), style, control) for text, style, control in strip])
    return shown.crop(0, width) if shown.cell_length > width else shown
