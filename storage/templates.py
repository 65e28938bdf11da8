"""A small, safe template renderer for names and messages.

Templates contain `{name}` placeholders, where a name is letters, digits and
underscores and does not start with a digit. `{{` and `}}` stand for literal
braces. Unlike `str.format` there is no attribute access, no indexing, no
conversion (`!r`) and no format spec: anything but a plain name inside braces
is an error, so a template from a config file cannot reach into Python objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from .errors import ConfigError

__all__ = ["TemplateError", "placeholders", "render_template"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHOWN_MAX = 40


class TemplateError(ConfigError):
    """A template that is malformed or uses a placeholder with no value."""


def _quoted_excerpt(text: str) -> str:
    """Quote a piece of template for a one-line message, shortened if long."""
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 3] + "..."
    return repr(text)


def _tokens(template: str) -> Iterator[tuple[bool, str]]:
    """Yield (is_placeholder, text) pieces; raise TemplateError on bad syntax."""
    literal: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        char = template[i]
        if char == "{":
            if template.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            end = template.find("}", i + 1)
            if end == -1:
                raise TemplateError(
                    f"unmatched '{{' at position {i + 1}: write {{{{ for a literal brace"
                )
            inner = template[i + 1 : end]
            if not _NAME.fullmatch(inner):
                raise TemplateError(
                    f"invalid placeholder {_quoted_excerpt('{' + inner + '}')}: placeholders are plain "
                    "names like {state} (no dots, indexes, !conversions or :formats); "
                    "write {{ and }} for literal braces"
                )
            if literal:
                yield False, "".join(literal)
                literal = []
            yield True, inner
            i = end + 1
        elif char == "}":
            if template.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise TemplateError(
                f"unmatched '}}' at position {i + 1}: write }}}} for a literal brace"
            )
        else:
            literal.append(char)
            i += 1
    if literal:
        yield False, "".join(literal)


def placeholders(template: str) -> set[str]:
    """The placeholder names used in `template`; raise TemplateError if malformed."""
    return {text for is_name, text in _tokens(template) if is_name}


def template_pattern(template: str, placeholder: str = "[0-9]+") -> str:
    """A regular expression matching what `template` renders to, each placeholder
    standing for `placeholder` (the reference template gives `inc\\-[0-9]+\\-...`)."""
    return "".join(placeholder if is_name else re.escape(text) for is_name, text in _tokens(template))


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Substitute `{name}` placeholders from `values`.

    Raises TemplateError for malformed templates and for a placeholder that has
    no value, naming it and the placeholders that are available.
    """
    out: list[str] = []
    for is_name, text in _tokens(template):
        if not is_name:
            out.append(text)
        elif text in values:
            out.append(str(values[text]))
        else:
            known = [f"{{{name}}}" for name in values]
            hint = f"use one of {', '.join(known)}" if known else "this text takes no placeholders"
            raise TemplateError(f"unknown placeholder {{{text}}}: {hint}")
    return "".join(out)
