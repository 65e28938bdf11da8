"""A `Markdown` widget that never lets a control character in its text reach the terminal."""

from __future__ import annotations

from functools import cache

from textual.content import Content
from textual.strip import Strip
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from widgets.text import printable_content, printable_in_place, printable_strip


def _printable_code(code: str) -> str:
    return "\n".join(printable_in_place(line) for line in code.split("\n"))


@cache
def _literal_block(block: type[MarkdownBlock]) -> type[MarkdownBlock]:
    """`block` drawing control characters as pictures: in its content once parsed (so a table
    cell or a tooltip made from it has none either) and in every line it draws."""

    class LiteralBlock(block):  # type: ignore[valid-type,misc]
        def set_content(self, content: Content) -> None:
            super().set_content(printable_content(content))

        def render_line(self, y: int) -> Strip:
            return printable_strip(super().render_line(y))

        if issubclass(block, MarkdownFence):

            @classmethod
            def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
                return super().highlight(_printable_code(code), language, ansi, dark)

    LiteralBlock.__name__ = LiteralBlock.__qualname__ = f"Literal{block.__name__}"
    return LiteralBlock


class LiteralMarkdown(Markdown):
    """A `Markdown` widget that shows control characters (ESC, bidi overrides and marks, C1)
    as pictures. The filter works on what the parser produced, so an entity such as
    `&#8238;`, which decodes to a right-to-left override only while parsing, is caught too."""

    BLOCKS: dict[str, type[MarkdownBlock]] = {  # noqa: RUF012 (as Markdown declares it)
        name: _literal_block(block) for name, block in Markdown.BLOCKS.items()
    }
