"""Record text placed in a Markdown document as text, whatever it holds.

A title, a name, a role, an event or an action item lands in a heading, a list item, a
table cell or a paragraph of a generated report. Written as it is, `EU\\n\\n## Root
Causes` would start a heading, `<img onerror=...>` would be HTML, `&#8238;` a bidi
override and `[x]: http://evil` a link definition. `inline` and `cell` escape a field
for the spot it lands in: line breaks cannot end the line, nothing at its start can begin
a block (heading, list, quote, table row, HTML), and nothing inside it is markup, an
entity or HTML. Text written as Markdown on purpose (a post-mortem section's body) is
not passed through here.
"""

from __future__ import annotations

import re

__all__ = ["cell", "inline", "link", "quoted"]

_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_ALWAYS = re.compile(r"[\\`*\[\]|~]")
"""Markup wherever it stands: escapes, code, emphasis, links, table pipes, strikethrough.
(`<`, for HTML and autolinks, is written `&lt;`: a backslash before it can be taken into a
link by a renderer that turns bare web addresses into links.)"""
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
"""An underscore that could open or close emphasis (one between two letters or digits cannot)."""
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
"""An `&` that would start an entity (`&#8238;` decodes to a bidi override)."""
_BLOCK_START = re.compile(r"^(?:[#>+=:-]|(\d{1,9})[.)])")
"""How a line starts a heading, a quote, a list, a setext underline or a definition."""
_CLOSING_HASHES = re.compile(r"(\s)(#+)$")
"""Trailing `#`s a heading would drop as its closing sequence."""


def inline(text: str | None, *, line_break: str = " ") -> str:
    """`text` as literal Markdown text for a heading, list item or paragraph: surrounding
    spaces dropped, each line break written as `line_break`, every markup character escaped."""
    value = _LINE_BREAKS.sub("\n", text or "").strip()
    value = _ALWAYS.sub(r"\\\g<0>", value)
    value = _LOOSE_UNDERSCORE.sub(r"\\_", value)
    value = _ENTITY.sub(r"\\&", value).replace("<", "&lt;")
    lines = [_escape_start(line.strip()) for line in value.split("\n")]
    return line_break.join(line for line in lines if line) if line_break == " " else line_break.join(lines)


def _escape_start(line: str) -> str:
    match = _BLOCK_START.match(line)
    if match is not None:
        if match.group(1) is not None:  # `1.` or `1)`: escape the dot or parenthesis
            end = match.end()
            line = f"{line[: end - 1]}\\{line[end - 1 :]}"
        else:
            line = "\\" + line
    return _CLOSING_HASHES.sub(r"\1\\\2", line)


def cell(text: str | None) -> str:
    """`text` for one table cell: `inline`, with line breaks as `<br>`."""
    return inline(text, line_break="<br>")


_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"\\\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


def link(url: str | None, label: str = "link") -> str:
    """A Markdown link to `url` when it is a plain web address (http or https), with the
    characters that could end the destination percent-encoded; else the text, escaped."""
    if not url:
        return ""
    if _WEB_ADDRESS.fullmatch(url) is None:
        return inline(url)
    destination = _ENTITY.sub(r"\\&", url.translate(_DESTINATION_ESCAPES))
    return f"[{inline(label)}]({destination})"


_DESTINATION_ESCAPES = {ord(c): f"%{ord(c):02X}" for c in "()[]|`"}
"""Characters percent-encoded in a link's address: they could end it, end its table cell or open a code span."""


def quoted(text: str) -> list[str]:
    """Plain text (an email body) as the lines of a Markdown block quote: each line escaped
    (`inline`) and kept a line of its own, blank lines kept."""
    lines = [inline(line) for line in _LINE_BREAKS.sub("\n", text).split("\n")]
    shown: list[str] = []
    for index, line in enumerate(lines):
        follows = index + 1 < len(lines) and lines[index + 1]
        shown.append(f"> {line}\\" if line and follows else f"> {line}".rstrip())
    return shown
