"""The values a view of one incident is shown from: plain tuples and frozen dataclasses,
with no database library imported, so a screen (or the stdlib `sqlite3` reader of
`storage.lite`) can make and use them before SQLAlchemy is loaded.

`storage.live` and `storage.snapshot` read them; they are re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from storage.reminders import NO_REMINDERS, ReminderState

__all__ = ["FIRST_PAINT_EVENTS", "MILESTONES", "EventRow", "IncidentView", "RoleHolding", "Watermark"]

MILESTONES: tuple[str, ...] = (
    "started",
    "detected",
    "acknowledged",
    "investigating",
    "mitigated",
    "resolved",
    "retrospective_prepared",
    "retrospective_done",
)
"""Milestones of an incident, in the order they normally happen (and a view lists them);
`storage.models` re-exports it."""

FIRST_PAINT_EVENTS = 400
"""Events a view reads before its first frame; the rest of a long timeline follows in a worker."""


@dataclass(frozen=True)
class RoleHolding:
    """One stretch of a person holding a role."""

    role: str
    person: str
    started_at: datetime
    ended_at: datetime | None
    note: str


class EventRow(NamedTuple):
    """One timeline event as a view shows it (a tuple: 100k of them load fast).

    The fields up to `marker` are those of the timeline widget's entries, in the same
    order, so a screen can hand rows over without copying 100k of them.
    """

    id: int
    seq: int
    at: datetime
    kind: str
    author: str
    text: str
    key: bool
    struck: bool
    link: str | None
    marker: str | None
    """"start" on the incident's start (the `started` milestone, else the declaration),
    "resolved" on its resolution, else None."""
    detail: str | None


@dataclass(frozen=True)
class Watermark:
    """The incident's change count as of the last read: the view has every event written
    by the changes up to it."""

    change_count: int = 0


@dataclass(frozen=True)
class IncidentView:
    """Everything but the timeline that the command screen shows."""

    ref: str
    title: str
    severity: int
    status: str
    declared_at: datetime
    milestones: dict[str, datetime]
    roles: list[RoleHolding]
    updates: list[tuple[str, datetime]]
    change_count: int
    customer_impact: str
    reminders: ReminderState = NO_REMINDERS
    """The open reminders and the overdue updates' snoozes (`storage.reminders`)."""
