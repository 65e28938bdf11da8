"""The app's first screen of an incident, read with the standard library's `sqlite3`: the
header, roles and updates (`storage.live.incident_view`) and the newest events
(`storage.live.event_rows(newest=...)`), the same values, without loading SQLAlchemy.

The app shows this while `storage.db.Store` is still being opened (importing SQLAlchemy and
SQLModel takes longer than drawing the screen), then watches the incident from the change
count read here. `tests/test_lite_view.py` runs the same cases through both readers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from storage import rules
from storage.lite.connection import LiteStore, from_stored
from storage.reminders import reminder_state
from storage.rows import MILESTONES, EventRow, IncidentView, RoleHolding, Watermark

_BY_REF = (
    "SELECT id, ref, functionality, state, audience, severity, status, declared_at, change_count, customer_impact"
    " FROM incident WHERE ref = ? LIMIT 1"
)
_MOST_RECENT_OPEN = (
    "SELECT id, ref, functionality, state, audience, severity, status, declared_at, change_count, customer_impact"
    " FROM incident WHERE status != 'resolved' ORDER BY updated_at DESC, id DESC LIMIT 1"
)
"""The incident asked for (`storage.ops.find_incident`), and the most recently active open
one (`storage.ops.most_recent_open`)."""

_NEWEST_EVENTS = (
    "SELECT id, seq, occurred_at, kind, author, text, key, struck, link,"
    " CASE WHEN kind = 'milestone' AND detail = 'resolved' AND NOT struck THEN 'resolved'"
    " WHEN kind = 'milestone' AND detail = 'started' AND NOT struck THEN 'start'"
    " WHEN kind = 'declared' AND ? THEN 'start' END, detail"
    " FROM event WHERE incident_id = ? ORDER BY occurred_at DESC, seq DESC LIMIT ?"
)
"""The newest events, latest first, marked as `storage.live` marks them: "start" on the
`started` milestone, else on the declaration; "resolved" on the resolution."""


@dataclass(frozen=True)
class FirstScreen:
    """One incident as the command screen first shows it, read in one snapshot: `rows` are
    its newest events in time order, and `mark` (the view's change count) is where watching
    it for changes starts."""

    view: IncidentView
    rows: list[EventRow]
    mark: Watermark


def _incident_row(db: sqlite3.Connection, ref: str | None) -> tuple[Any, ...] | None:
    """Incident `ref` (as `storage.ops.find_incident`), else the most recently active open
    one (as `storage.ops.most_recent_open`); None when no incident is open."""
    if ref is None:
        return db.execute(_MOST_RECENT_OPEN).fetchone()
    row = db.execute(_BY_REF, (ref.strip(),)).fetchone()
    if row is None:
        raise rules.no_such_incident(ref)
    return row


def first_screen(store: LiteStore, ref: str | None, *, newest: int) -> FirstScreen | None:
    """Incident `ref` (else the most recently active open one) and its `newest` events, in
    one read transaction; None when no `ref` is given and no incident is open. An unknown
    `ref` is refused as `storage.ops` refuses it (`NotFound`)."""
    with store.read() as db:
        found = _incident_row(db, ref)
        if found is None:
            return None
        incident_id, found_ref, functionality, state, audience, severity, status, declared_at, changes, impact = found
        reached = {
            name: from_stored(at)
            for name, at in db.execute("SELECT name, at FROM milestone WHERE incident_id = ?", (incident_id,))
        }
        milestones = {name: reached[name] for name in MILESTONES if name in reached}
        roles = [
            RoleHolding(role, person, from_stored(started_at), None, note)
            for role, person, started_at, note in db.execute(
                "SELECT role_assignment.role, person.name, role_assignment.started_at, role_assignment.note"
                " FROM role_assignment JOIN person ON person.id = role_assignment.person_id"
                " WHERE role_assignment.incident_id = ? AND role_assignment.ended_at IS NULL"
                " ORDER BY role_assignment.started_at, role_assignment.id",
                (incident_id,),
            )
        ]
        updates = [
            (channel, from_stored(sent_at))
            for channel, sent_at in db.execute(
                "SELECT channel, sent_at FROM status_update WHERE incident_id = ? ORDER BY sent_at, id",
                (incident_id,),
            )
        ]
        reminders = reminder_state(
            (seq, author, text, detail, struck == 1)
            for seq, author, text, detail, struck in db.execute(
                "SELECT seq, author, text, detail, struck FROM event WHERE incident_id = ? AND kind = 'reminder'"
                " ORDER BY seq",
                (incident_id,),
            )
        )
        declared_is_start = "started" not in reached
        rows = [
            EventRow(id_, seq, from_stored(at), kind, author, text, key == 1, struck == 1, link, marker, detail)
            for id_, seq, at, kind, author, text, key, struck, link, marker, detail in db.execute(
                _NEWEST_EVENTS, (declared_is_start, incident_id, newest)
            ).fetchall()
        ]
    rows.reverse()
    view = IncidentView(
        ref=found_ref,
        title=store.policy.title(functionality, state, audience),
        severity=severity,
        status=status,
        declared_at=from_stored(declared_at),
        milestones=milestones,
        roles=roles,
        updates=updates,
        change_count=changes,
        customer_impact=impact,
        reminders=reminders,
    )
    return FirstScreen(view, rows, Watermark(view.change_count))
