"""The record's primitives: finding an incident, writing to it, checking input, reading its history.

Every operation changes one incident inside `writing(store, ref, ...)`: a write
transaction with the incident's row locked, the author and the time resolved, and
`Writing.event` to put the change on the timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.db import Store
from storage.errors import InvalidInput
from storage.identity import USER_ENV
from storage.models import (
    EVENT_KINDS,
    MILESTONES,
    Event,
    Incident,
    SeverityChange,
    StatusUpdate,
)
from storage.rules import (  # noqa: F401  (importable from here too)
    FUTURE_TOLERANCE,
    START_MILESTONES,
    concerns,
    in_range,
    incident_start,
    needs_confirmation,
    no_such_incident,
    when_given,
)
from storage.snapshot import RoleHolding, Snapshot

AUTHOR_ENV = USER_ENV

STORED_INT_MAX = 2**31 - 1
"""The largest number an INTEGER column holds on every backend (32 bits on PostgreSQL)."""


# --- finding an incident ---------------------------------------------------------------


def find_incident(session: Session, ref: str, *, lock: bool = False) -> Incident:
    """The incident with reference `ref` (locked for update when asked)."""
    query = select(Incident).where(Incident.ref == ref.strip())
    if lock:
        query = query.with_for_update()
    incident = session.exec(query).first()
    if incident is None:
        raise no_such_incident(ref)
    return incident


def get_incident(store: Store, ref: str) -> Incident:
    """Read one incident by reference."""
    with store.read() as session:
        return find_incident(session, ref)


def title_of(store: Store, incident: Incident) -> str:
    """The incident's human title from the naming policy."""
    return store.policy.title(incident.functionality, incident.state, incident.audience)


# --- writing ---------------------------------------------------------------------------


def add_event(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    text: str,
    occurred_at: datetime,
    logged_at: datetime,
    author: str,
    link: str | None = None,
    key: bool = False,
    detail: str | None = None,
    entry_id: str | None = None,
) -> Event:
    """Append one event to the timeline inside the caller's transaction."""
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"unknown event kind {kind!r}")
    event = Event(
        incident_id=incident.id,  # type: ignore[arg-type]
        seq=last_seq(session, incident) + 1,
        occurred_at=occurred_at,
        logged_at=logged_at,
        author=author,
        kind=kind,
        text=text,
        link=link,
        key=key,
        detail=detail,
        entry_id=entry_id,
    )
    event.change_number = touch(session, incident, logged_at)
    session.add(event)
    session.flush()
    return event


_LAST_SEQ = sa.select(sa.func.max(Event.seq)).where(col(Event.incident_id) == sa.bindparam("incident_id"))
"""The incident's last event number (built once: every event reads it)."""


def last_seq(session: Session, incident: Incident) -> int:
    """The incident's highest event number, 0 before its first event."""
    return int(session.execute(_LAST_SEQ, {"incident_id": incident.id}).scalar_one() or 0)


def touch(session: Session, incident: Incident, at: datetime) -> int:
    """Mark the incident changed, so live views pick the change up; the new change count.

    The caller holds the incident's row locked (or created it), so each count is taken and
    committed by one transaction at a time: a view that has seen count N has seen every
    change numbered N or lower."""
    incident.updated_at = at
    incident.change_count += 1
    session.add(incident)
    return incident.change_count


@dataclass
class Writing:
    """One change to an incident in progress: its write transaction, the incident's row
    (locked), who makes the change and when it happened (`at`, else now)."""

    store: Store
    session: Session
    incident: Incident
    author: str
    when: datetime

    def event(
        self,
        kind: str,
        text: str,
        *,
        occurred_at: datetime | None = None,
        key: bool = False,
        detail: str | None = None,
        link: str | None = None,
        entry_id: str | None = None,
        author: str | None = None,
    ) -> Event:
        """Put the change on the timeline: at `when` and by the change's author unless
        told, logged now."""
        return add_event(
            self.session,
            self.incident,
            kind=kind,
            text=text,
            occurred_at=self.when if occurred_at is None else occurred_at,
            logged_at=self.store.now(),
            author=self.author if author is None else author,
            link=link,
            key=key,
            detail=detail,
            entry_id=entry_id,
        )

    def touch(self) -> int:
        """Mark the incident changed now, for a change with no event of its own."""
        return touch(self.session, self.incident, self.store.now())

    @cached_property
    def record(self) -> Snapshot:
        """The rest of the incident, read in this transaction as it is needed."""
        return Snapshot(self.session, self.incident)


@contextmanager
def writing(
    store: Store, ref: str, *, at: datetime | None = None, author: str | None = None, allow_future: bool = False
) -> Iterator[Writing]:
    """Change incident `ref`: a write transaction with its row locked (commits when the
    block ends, rolls back on an error), the author (the store's user by default) and
    the time of the change (`at`, checked by `when_given`, else now: resolved after the
    lock, so never earlier than what a concurrent writer stored meanwhile)."""
    author = author or store.user
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        yield Writing(store, session, incident, author, when_given(store, at, allow_future=allow_future))


# --- checking input (the rules for times and entry ids are in storage.rules) ----------


def stored_number(value: int) -> bool:
    """Whether a row can have `value` as its number (an event number, an id)."""
    return 1 <= value <= STORED_INT_MAX


def number_shown(value: int) -> str:
    """`value` for a message: a number past 64 bits (up to millions of digits) is not printed."""
    return f"#{value}" if value.bit_length() <= 64 else "with a number that large"


def required(value: str, what: str) -> str:
    """`value` stripped; refused when empty or not storable."""
    cleaned = storable(value, what).strip()
    if not cleaned:
        raise InvalidInput(f"{what} is required")
    return cleaned


def storable(value: str, what: str) -> str:
    """Refuse the one character no backend can store in text (NUL)."""
    if "\x00" in value:
        raise InvalidInput(f"{what} holds a NUL character (\\0), which cannot be stored: remove it")
    return value


def choice(value: str, choices: Sequence[str], what: str) -> str:
    """The one of `choices` that `value` names, in any case."""
    cleaned = value.strip()
    for option in choices:
        if cleaned.lower() == option.lower():
            return option
    raise InvalidInput(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def milestone_name(name: str) -> str:
    """Normalise a milestone name (`retrospective-done` -> `retrospective_done`)."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if key not in MILESTONES:
        raise InvalidInput(f"unknown milestone {name!r}: use one of {', '.join(MILESTONES)}")
    return key


# --- typed times that need a confirmation ----------------------------------------------


def start_of(session: Session, incident: Incident) -> datetime:
    """`incident_start` of an incident read in `session`."""
    return incident_start(incident.declared_at, Snapshot(session, incident).milestones)


# --- reading the history ---------------------------------------------------------------


def timeline(store: Store, ref: str) -> list[Event]:
    """Every event of an incident in time order."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).events


def milestones(store: Store, ref: str) -> dict[str, datetime]:
    """Milestone name -> time reached, for one incident."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).milestones


def role_history(store: Store, ref: str) -> list[RoleHolding]:
    """Every role assignment of an incident, current and past, in time order."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).roles


def severity_history(store: Store, ref: str) -> list[SeverityChange]:
    """The severity history of an incident, oldest first."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).severity_history


def status_updates(store: Store, ref: str) -> list[StatusUpdate]:
    """Updates sent for an incident, oldest first."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).updates
