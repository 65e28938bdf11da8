"""The rules every write of a time or a line follows, free of SQLAlchemy: a time given
(never in the future unless confirmed, within the range warroom accepts, asked about when
it is far back or before the incident started) and a line's entry id.

`storage.ops` (the ORM path) and `storage.lite` (the SQLite fast path) both apply them from
here, so the two paths keep one meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from storage import render
from storage.errors import InvalidInput, NeedsConfirmation, NotFound
from storage.timeparse import out_of_range, quote_input, time_concerns

if TYPE_CHECKING:
    from storage.grammar import ScribeLine
    from storage.policy import Policy

FUTURE_TOLERANCE = timedelta(seconds=60)

START_MILESTONES: tuple[str, ...] = ("started", "detected")
"""Milestones that can put the incident's start before its declaration."""


class Clocked(Protocol):
    """A record's handle as these rules need it: its clock and its policy."""

    @property
    def policy(self) -> Policy: ...

    def now(self) -> datetime: ...


def when_given(
    store: Clocked,
    at: datetime | None,
    *,
    allow_future: bool = False,
    future_rule: str = "events are logged as they happen or after",
) -> datetime:
    """`at`, or now; a time in the future is refused (saying `future_rule`) unless
    allowed (a confirmed one).

    Call it after the incident row is locked when `at` may be None, so that "now" is
    never earlier than what a concurrent writer stored meanwhile.
    """
    now = store.now()
    if at is None:
        return now
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("a time needs a timezone")
    in_range(at, now)
    if not allow_future and at - now > FUTURE_TOLERANCE:
        raise InvalidInput(f"{at.isoformat()} is in the future: {future_rule}")
    return at.astimezone(now.tzinfo)


def in_range(at: datetime, now: datetime) -> datetime:
    """`at`, refused when outside the times warroom accepts (`timeparse.out_of_range`)."""
    problem = out_of_range(at, now=now)
    if problem is not None:
        raise InvalidInput(f"{at.isoformat()} is {problem}")
    return at


def incident_start(declared_at: datetime, milestones: Mapping[str, datetime]) -> datetime:
    """When the incident started: the earliest of its declaration and the `started` and
    `detected` milestones that are set (`milestones`: name -> time, as `milestones()`)."""
    return min([declared_at, *(milestones[name] for name in START_MILESTONES if name in milestones)])


def concerns(store: Clocked, at: datetime, *, now: datetime, start: datetime | None) -> list[str]:
    """Why `at` needs a confirmation (`timeparse.time_concerns` with the store's policy)."""
    return time_concerns(
        at, now=now, tz=store.policy.tz, older_than=store.policy.confirm_times_older_than, incident_start=start
    )


def needs_confirmation(store: Clocked, at: datetime, found: list[str]) -> NeedsConfirmation:
    """The refusal of a time that needs a confirmation for the `found` concerns."""
    shown = render.local_minute(at, store.policy.tz)
    return NeedsConfirmation(
        f"{shown} is {'; '.join(found)}: confirm it to write it at that time", concerns=found, at=at
    )


def no_such_incident(ref: str) -> NotFound:
    """The refusal of a reference no incident has."""
    return NotFound(f"no incident {ref!r}: `warroom list` shows the references")


ENTRY_ID_RE = re.compile(r"[0-9A-Za-z_-]{1,64}")


def entry_id(value: str) -> str:
    """A line's entry id: 1 to 64 letters, digits, `-` or `_`."""
    if not ENTRY_ID_RE.fullmatch(value):
        raise InvalidInput(f"{quote_input(value)} is not an entry id: use 1 to 64 letters, digits, - or _")
    return value


def scribe_line(
    store: Clocked, line: str, *, at: datetime | None, entered_at: datetime | None
) -> tuple[ScribeLine, datetime | None]:
    """A scribe line as logged: parsed as of when it was entered (now when not said), and
    the time given for it (its `@time`, else `at`, else None); refused when it has both."""
    from storage.grammar import parse_scribe_line

    parsed = parse_scribe_line(line, now=store.now() if entered_at is None else entered_at, tz=store.policy.tz)
    if parsed.occurred_at is not None and at is not None:
        raise InvalidInput("the line has its own @time and a separate time was given: keep one")
    return parsed, parsed.occurred_at or at
