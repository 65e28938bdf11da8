"""The scribe-line grammar: one typed line becomes one timeline event (pure, no I/O).

    [@TIME] [!] [/kind] text        prefixes in any order, each at most once
    [!] /remind WHEN text           a reminder: WHEN is 10m, 1h30m, 14:32 (today) or an ISO time
    \\text                           a backslash ends the prefixes: the rest is logged as typed

Shared by the TUI input line and `warroom log`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from storage.errors import InvalidInput
from storage.lengths import EVENT_TEXT, too_long
from storage.reminders import REMIND_COMMAND, due_detail, reminder_text
from storage.timeparse import out_of_range, parse_duration, parse_when, quote_input

__all__ = [
    "EVENT_KINDS_TYPED",
    "KIND_COMMANDS",
    "REMIND_COMMAND",
    "ScribeLine",
    "ScribeLineError",
    "find_link",
    "parse_scribe_line",
]

EVENT_KINDS_TYPED: tuple[str, ...] = ("note", "action", "decision", "todo", "query", "comms")
"""Event kinds a person can type (other kinds, like severity changes, come from commands)."""

KIND_COMMANDS: tuple[str, ...] = tuple(f"/{kind}" for kind in EVENT_KINDS_TYPED)

_TOKEN_RE = re.compile(r"\S*")
_SPACE_RE = re.compile(r"\s*")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_URL_RE = re.compile(r"https?://[^\s<>\"`\\\x00-\x1f\x7f]+", re.IGNORECASE)
_URL_TRAILING = frozenset(".,;:!?)]}'\"")
_URL_PAIRS = {")": "(", "]": "[", "}": "{"}
_COMMAND_LIST = ", ".join(KIND_COMMANDS) + f" or {REMIND_COMMAND}"
_CLOCK_ONLY_RE = re.compile(
    r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?", re.IGNORECASE | re.ASCII
)
_DATE_START_RE = re.compile(r"[0-9]{4}-", re.ASCII)
_REMIND_HINT = f"write {REMIND_COMMAND} 10m check the canary, or {REMIND_COMMAND} 14:32 …"
_LITERAL_HINT = "start the line with \\ to log it as typed"


@dataclass(frozen=True)
class ScribeLine:
    """One parsed scribe line; `occurred_at` None means "now" (the caller decides when)."""

    text: str
    kind: str = "note"
    key: bool = False
    occurred_at: datetime | None = None
    link: str | None = None
    detail: str | None = None
    """What the record keeps beside the text: a reminder's `due …` time."""


class ScribeLineError(InvalidInput):
    """A scribe line that cannot be logged; `.line` is the text exactly as typed."""

    def __init__(self, message: str, line: str) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


def parse_scribe_line(line: str, *, now: datetime, tz: tzinfo) -> ScribeLine:
    """Parse one scribe line such as `@-5m !/decision roll back the deploy`.

    Prefix tokens: `@TIME` (any `parse_when` form without spaces; whether a time in the
    future, long ago or before the incident needs a confirmation is decided when it is
    logged, see `storage.timeparse.time_concerns`),
    `!` (key event, may be glued to the next token) and `/note`, `/action`, `/decision`,
    `/todo`, `/query`, `/comms` (case-insensitive). A `\\` ends the prefixes and is dropped.
    `/remind WHEN text` sets a reminder (see `_reminder`): after it comes no other prefix.
    The text is kept verbatim apart from surrounding whitespace; its first http(s) URL
    becomes `link`; it holds at most `storage.limits.EVENT_TEXT` characters. Raises
    ScribeLineError with a message for the user.
    """
    body = line.strip()
    if not body:
        raise ScribeLineError("nothing to log: the line is empty", line)
    if "\x00" in body:
        raise ScribeLineError("the line holds a NUL character (\\0), which cannot be stored: remove it", line)
    if _LONE_SURROGATE_RE.search(body):
        raise ScribeLineError(
            "the line holds bytes that are not UTF-8 text (a lone surrogate), which cannot be stored: "
            "check the terminal's encoding",
            line,
        )
    kind_token: str | None = None
    time_token: str | None = None
    occurred_at: datetime | None = None
    key = False
    pos = 0
    while pos < len(body):
        first = body[pos]
        if first == "\\":
            pos += 1
            break
        if first == "!":
            if key:
                raise ScribeLineError(
                    f"'!' given twice: one marks a key event; {_LITERAL_HINT}", line
                )
            key = True
            pos = _match_end(_SPACE_RE, body, pos + 1)
            continue
        if first not in "@/":
            break
        end = _match_end(_TOKEN_RE, body, pos)
        token = body[pos:end]
        if first == "@":
            if time_token is not None:
                raise ScribeLineError(
                    f"time given twice ({quote_input(time_token)} and {quote_input(token)}): "
                    "keep one",
                    line,
                )
            time_token = token
            try:
                occurred_at = parse_when(token[1:], now=now, tz=tz, allow_future=True)
            except InvalidInput as err:
                message = f"after @: {err} (to log the line as typed, start it with \\)"
                raise ScribeLineError(message, line) from None
        else:
            kind = token[1:].lower()
            if token.lower() == REMIND_COMMAND:
                if kind_token is not None:
                    raise ScribeLineError(f"kind given twice ({quote_input(kind_token)} and {token}): keep one", line)
                if time_token is not None:
                    raise ScribeLineError(
                        f"a reminder is set now: give its time after {REMIND_COMMAND} ({_REMIND_HINT})", line
                    )
                return _reminder(body[_match_end(_SPACE_RE, body, end):], line, key=key, now=now, tz=tz)
            if kind not in EVENT_KINDS_TYPED:
                raise ScribeLineError(
                    f"unknown command {quote_input(token)}: use {_COMMAND_LIST}; "
                    f"or {_LITERAL_HINT}",
                    line,
                )
            if kind_token is not None:
                raise ScribeLineError(
                    f"kind given twice ({quote_input(kind_token)} and {quote_input(token)}): "
                    "keep one",
                    line,
                )
            kind_token = token
        pos = _match_end(_SPACE_RE, body, end)
    text = body[pos:].strip()
    if not text:
        raise ScribeLineError("nothing to log: type the event after the prefixes", line)
    if len(text) > EVENT_TEXT:
        raise ScribeLineError(f"the line is {too_long(len(text), EVENT_TEXT)}: split it", line)
    return ScribeLine(
        text=text,
        kind=kind_token[1:].lower() if kind_token else "note",
        key=key,
        occurred_at=occurred_at,
        link=find_link(text),
    )


def _reminder(rest: str, line: str, *, key: bool, now: datetime, tz: tzinfo) -> ScribeLine:
    """The reminder `rest` (`WHEN text`, after `/remind`) sets: due at WHEN, a time to come."""
    when, _, text = rest.strip().partition(" ")
    text = text.strip()
    if not when:
        raise ScribeLineError(f"{REMIND_COMMAND} needs a time and what to remind of: {_REMIND_HINT}", line)
    typed = when.removeprefix("@")
    try:
        if _CLOCK_ONLY_RE.fullmatch(typed):  # a clock time today (not the latest past one)
            today = now.astimezone(tz).date().isoformat()
            due = parse_when(f"{today}T{typed}", now=now, tz=tz, allow_future=True)
        elif _DATE_START_RE.match(typed):
            due = parse_when(typed, now=now, tz=tz, allow_future=True)
        elif typed[:1].isdigit() or typed.startswith("+"):
            try:
                due = now + parse_duration(typed.removeprefix("+"))
            except OverflowError:
                raise InvalidInput(f"{quote_input(when)} from now is past any date") from None
            problem = out_of_range(due, now=now)
            if problem is not None:
                raise InvalidInput(f"{quote_input(when)} from now is {problem}")
        else:
            raise InvalidInput(f"{quote_input(when)} is not a time")
    except InvalidInput as err:
        raise ScribeLineError(f"{REMIND_COMMAND}: {err}; {_REMIND_HINT}", line) from None
    if due <= now:
        raise ScribeLineError(
            f"{REMIND_COMMAND}: {quote_input(when)} has passed ({now.astimezone(tz):%H:%M} now): "
            "give a time to come, like 10m or a later time",
            line,
        )
    if not text:
        raise ScribeLineError(f"{REMIND_COMMAND} {when}: say what to remind of after the time", line)
    full = reminder_text(due, text, tz=tz, now=now)
    if len(full) > EVENT_TEXT:
        raise ScribeLineError(f"the reminder is {too_long(len(full), EVENT_TEXT)}: shorten it", line)
    return ScribeLine(text=full, kind="reminder", key=key, link=find_link(text), detail=due_detail(due))


def _match_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where `pattern` (one that always matches, like `\\s*`) stops matching from `pos`."""
    match = pattern.match(text, pos)
    return match.end() if match else pos


def find_link(text: str) -> str | None:
    """The first http:// or https:// URL in `text`, without trailing punctuation.

    A closing bracket is kept when it balances an opening one inside the URL, so
    `(see https://x.y/z)` gives `https://x.y/z` but `https://en.wikipedia.org/wiki/A_(b)`
    is kept whole.
    """
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group())
        if len(url) > url.index("://") + 3:
            return url
    return None


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence rather than to the URL."""
    open_count = {closer: url.count(opener) for closer, opener in _URL_PAIRS.items()}
    close_count = {closer: url.count(closer) for closer in _URL_PAIRS}
    end = len(url)
    while end and url[end - 1] in _URL_TRAILING:
        last = url[end - 1]
        if last in _URL_PAIRS:
            if open_count[last] >= close_count[last]:
                break
            close_count[last] -= 1
        end -= 1
    return url[:end]
