"""Untrusted text made safe for where it goes: a terminal, a JSON document, a CSV cell.

Pure string functions, free of Textual and Rich, so the command line uses them without
loading either; `widgets.text` builds its Rich and Textual helpers on them.
"""

from __future__ import annotations

LINE_BREAK = "⏎ "
"""What a newline (LF, CR, CRLF, U+2028, U+2029) is shown as."""

REPLACEMENT = "\ufffd"
"""What a character with no picture of its own (C1 controls, bidi controls, lone surrogates) becomes."""

BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
"""Marks, embeddings, overrides and isolates: they can reorder what a reader sees."""


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
    for code in BIDI_CONTROLS:
        table[code] = REPLACEMENT
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be encoded for the terminal
        table[code] = REPLACEMENT
    return table


_TABLE = _build_table()


def printable(text: str) -> str:
    """Return `text` with every terminal control character replaced by a visible placeholder.

    C0 controls become Unicode control pictures (ESC shows as `␛`), DEL `␡`, a line break
    `⏎ ` (CRLF counts once), a tab one space; C1 controls, bidi controls and lone
    surrogates become `�`. Everything else, markup-looking brackets included, is kept as is.
    """
    if text.isprintable():  # fast path: no control, separator or format characters at all
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_TABLE)


def printable_lines(text: str) -> str:
    """`printable` line by line: the line breaks (LF, CRLF) are kept, as LF (for a document
    printed on a terminal)."""
    return "\n".join(printable(line) for line in text.replace("\r\n", "\n").split("\n"))


_STREAM_TABLE = {code: shown for code, shown in _TABLE.items() if code not in (0x09, 0x0A)}


def printable_stream(text: str) -> str:
    """`printable` for a document sent down a pipe: LF, CRLF and tab are kept as they are (a
    CSV or iCalendar file keeps its CRLF), every other control character becomes its picture."""
    if text.isprintable():
        return text
    lines = text.split("\r\n")
    return "\r\n".join(line.translate(_STREAM_TABLE) for line in lines)


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


_JSON_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *BIDI_CONTROLS)
}


def json_escaped(document: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with DEL, the C1 controls, the
    bidi controls and U+2028/U+2029 written as `\\uXXXX` escapes: the same JSON value, and
    nothing in it a terminal or a JavaScript reader would act on. (`json.dumps` already
    escapes the C0 controls; these characters can only stand inside strings.)"""
    return document.translate(_JSON_ESCAPES)


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would run as a formula starts (OWASP's CSV injection list)."""


_CSV_LOOSE_FORMULA_STARTS = (*CSV_FORMULA_STARTS, "\uff1d", "\uff0b", "\uff0d", "\uff20", "|")
"""The same after spaces or line breaks a spreadsheet may trim, full-width forms, and DDE's `|`."""


def csv_cell(value: str) -> str:
    """`value` for a CSV cell that a spreadsheet shows as text: one starting like a formula
    (OWASP's list), also after leading spaces or line breaks or in full-width form, gets a
    leading `'` (OWASP's advice); anything else is unchanged."""
    if value.startswith(CSV_FORMULA_STARTS) or value.lstrip(" \t\r\n").startswith(_CSV_LOOSE_FORMULA_STARTS):
        return "'" + value
    return value
