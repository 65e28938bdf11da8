"""Which events a filtered view of the timeline shows: one meaning for every reader.

A `TimelineFilter` picks events by what they are (`show`: every event, key events,
decisions, TODOs and actions), by who wrote them (`author`) and by a search (`search`: a
case-insensitive substring of the text or the author). `storage.lite.filter` (SQLite, with
`sqlite3`) and `storage.live` (SQLAlchemy; PostgreSQL) read the matching events' places;
`matches` says the same of one event in Python (a live event arriving in a filtered view).

Case-insensitive means, everywhere: each character of the search matches itself and its
one-character lower, upper and title case forms (`variants`), never a locale's rules, so SQLite
(`LIKE` then `GLOB`), PostgreSQL (a regular expression) and Python agree. No SQLAlchemy here:
the screens import it before the record is open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["SEARCH_MAX", "SHOWS", "TimelineFilter", "glob_pattern", "like_pattern", "regex_pattern", "search_pattern"]

SHOWS: dict[str, str] = {
    "all": "all events",
    "key": "key events",
    "decisions": "decisions",
    "todos": "TODOs/actions",
}
"""What a view can show by kind, in the order Ctrl+G cycles through, and its name."""

KINDS: dict[str, tuple[str, str]] = {"decisions": ("decision", "decision"), "todos": ("todo", "action")}
"""The event kinds each `show` keeps (two, repeated when one: a statement takes two)."""

SEARCH_MAX = 200
"""The longest search, in characters."""


@dataclass(frozen=True)
class TimelineFilter:
    """Which events a view shows: of kind `show` (a key of `SHOWS`), by `author` (None:
    anyone), whose text or author holds `search` (empty: any)."""

    show: str = "all"
    author: str | None = None
    search: str = ""

    @property
    def active(self) -> bool:
        """Whether some event may be left out."""
        return self.show != "all" or self.author is not None or bool(self.search)

    @property
    def kinds(self) -> tuple[str, str] | None:
        """The two kinds kept (None: any kind)."""
        return KINDS.get(self.show)

    def next_show(self) -> TimelineFilter:
        """The same filter showing the next kind of `SHOWS` (after the last, all events)."""
        names = list(SHOWS)
        return replace(self, show=names[(names.index(self.show) + 1) % len(names)])

    def matches(self, *, kind: str, author: str, text: str | None, key: bool) -> bool:
        """Whether an event with these fields is shown."""
        if self.show == "key" and not key:
            return False
        kinds = self.kinds
        if kinds is not None and kind not in kinds:
            return False
        if self.author is not None and author != self.author:
            return False
        if self.search:
            pattern = search_pattern(self.search)
            return bool(pattern.search(text or "") or pattern.search(author))
        return True

    def describe(self) -> list[str]:
        """What the filter keeps, in words, one part each (empty when it keeps everything)."""
        parts = [SHOWS[self.show]] if self.show != "all" else []
        if self.author is not None:
            parts.append(f"by {self.author}")
        if self.search:
            parts.append(f"“{self.search}”")
        return parts


def variants(char: str) -> str:
    """`char` and its one-character lower, upper and title case forms, sorted (`k` → `Kk`)."""
    forms = {char, char.lower(), char.upper(), char.title()}
    return "".join(sorted(form for form in forms if len(form) == 1))


def like_pattern(search: str) -> str:
    """A `LIKE ... ESCAPE '\\'` pattern that every text holding `search` matches: SQLite's
    LIKE folds ASCII letters only, so a non-ASCII character with other case forms is any
    character (`_`) there, and `glob_pattern` checks it."""
    parts = ["%"]
    for char in search:
        if not char.isascii() and len(variants(char)) > 1:
            parts.append("_")
        elif char in "\\%_":
            parts.append("\\" + char)
        else:
            parts.append(char)
    parts.append("%")
    return "".join(parts)


def glob_pattern(search: str) -> str:
    """A SQLite `GLOB` pattern (case-sensitive) matching text holding `search` in any case
    of each character: `[Dd][Bb]`; `*` when `like_pattern` says all already (ASCII only)."""
    if all(char.isascii() or len(variants(char)) == 1 for char in search):
        return "*"
    parts = ["*"]
    for char in search:
        forms = variants(char)
        if len(forms) > 1 or char in "*?[":
            parts.append(f"[{forms}]")
        else:
            parts.append(char)
    parts.append("*")
    return "".join(parts)


def regex_pattern(search: str) -> str:
    """A PostgreSQL regular expression (case-sensitive `~`) matching text holding `search`
    in any case of each character."""
    parts = []
    for char in search:
        forms = variants(char)
        if len(forms) > 1:
            parts.append(f"[{forms}]")
        elif char.isascii() and not char.isalnum():
            parts.append("\\" + char)
        else:
            parts.append(char)
    return "".join(parts)


_compiled: dict[str, re.Pattern[str]] = {}


def search_pattern(search: str) -> re.Pattern[str]:
    """A Python pattern finding `search` in any case of each character (the match to
    highlight, and `TimelineFilter.matches`)."""
    pattern = _compiled.get(search)
    if pattern is None:
        parts = []
        for char in search:
            forms = variants(char)
            parts.append("[" + "".join(re.escape(form) for form in forms) + "]" if len(forms) > 1 else re.escape(char))
        if len(_compiled) > 64:
            _compiled.clear()
        pattern = _compiled[search] = re.compile("".join(parts))
    return pattern
