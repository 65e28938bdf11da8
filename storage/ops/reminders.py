"""Reminders in the record: reading what is open, dismissing and snoozing a reminder, and
snoozing the reminders of an overdue update. A reminder is set with a scribe line
(`/remind 10m text`, `storage.grammar`); each change here is a `reminder` event."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.countdowns import COUNTDOWN_LABELS
from storage.db import Store
from storage.errors import InvalidInput, NotFound
from storage.models import Event, Incident
from storage.ops.record import find_incident, number_shown, stored_number, writing
from storage.reminders import (
    REMINDER_KIND,
    REMINDER_SNOOZE,
    UPDATE_SNOOZE,
    ReminderState,
    clock_text,
    done_detail,
    quiet_detail,
    reminder_state,
    snooze_detail,
)

_KIND = "'reminder'"
"""The kind as a literal in the statement: a partial index (`ix_event_incident_reminder`)
serves only a statement that says its condition, not a bound parameter."""

_REMINDER_EVENTS = (
    sa.select(col(Event.seq), col(Event.author), col(Event.text), col(Event.detail), col(Event.struck))
    .where(col(Event.incident_id) == sa.bindparam("incident_id"), col(Event.kind) == sa.literal_column(_KIND))
    .order_by(col(Event.seq))
)
"""The incident's reminder events in number order (built once)."""


def read_reminders(session: Session, incident: Incident) -> ReminderState:
    """The reminders open in `incident`, read in `session`."""
    rows = session.execute(_REMINDER_EVENTS, {"incident_id": incident.id}).all()
    return reminder_state((seq, author, text, detail, bool(struck)) for seq, author, text, detail, struck in rows)


def reminders(store: Store, ref: str) -> ReminderState:
    """The reminders open in incident `ref`, and the overdue updates' snoozes."""
    with store.read() as session:
        return read_reminders(session, find_incident(session, ref))


def _open(session: Session, incident: Incident, seq: int) -> tuple[ReminderState, str]:
    state = read_reminders(session, incident)
    reminder = state.reminder(seq) if stored_number(seq) else None
    if reminder is None:
        raise NotFound(f"{incident.ref} has no open reminder {number_shown(seq)}")
    return state, reminder.text


def reminder_done(store: Store, ref: str, seq: int, *, at: datetime | None = None, author: str | None = None) -> Event:
    """Dismiss the reminder event `seq` set (it is kept in the record, marked done)."""
    with writing(store, ref, at=at, author=author) as w:
        _, text = _open(w.session, w.incident, seq)
        return w.event(REMINDER_KIND, f"Reminder #{seq} done: {text}", detail=done_detail(seq))


def snooze_reminder(
    store: Store,
    ref: str,
    seq: int,
    *,
    snooze: timedelta = REMINDER_SNOOZE,
    at: datetime | None = None,
    author: str | None = None,
) -> Event:
    """Move the reminder event `seq` set to `snooze` from now."""
    if snooze <= timedelta(0):
        raise InvalidInput("a snooze lasts a while: give a positive duration")
    with writing(store, ref, at=at, author=author) as w:
        _, text = _open(w.session, w.incident, seq)
        until = w.when + snooze
        shown = clock_text(until, tz=store.policy.tz, now=w.when)
        return w.event(REMINDER_KIND, f"Reminder #{seq} snoozed to {shown}: {text}", detail=snooze_detail(seq, until))


def snooze_update_reminders(
    store: Store,
    ref: str,
    countdown: str,
    *,
    snooze: timedelta = UPDATE_SNOOZE,
    at: datetime | None = None,
    author: str | None = None,
) -> Event:
    """No reminders of the overdue `countdown` (a `COUNTDOWN_LABELS` name) for `snooze`."""
    label = COUNTDOWN_LABELS.get(countdown)
    if label is None:
        raise InvalidInput(f"unknown countdown {countdown!r}: use one of {', '.join(COUNTDOWN_LABELS)}")
    if snooze <= timedelta(0):
        raise InvalidInput("a snooze lasts a while: give a positive duration")
    with writing(store, ref, at=at, author=author) as w:
        until = w.when + snooze
        shown = clock_text(until, tz=store.policy.tz, now=w.when)
        return w.event(REMINDER_KIND, f"{label} reminders snoozed to {shown}", detail=quiet_detail(countdown, until))
