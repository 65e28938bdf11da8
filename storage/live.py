"""What a live view of one incident reads: a snapshot, the timeline, and what changed since.

Reads are cheap enough to poll: `change_count` is one indexed row, and
`events_since` fetches only events added or revised after a watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import col, select

from storage import ops
from storage.db import Store
from storage.models import Event, EventRevision, Incident, StatusUpdate


class EventRow(NamedTuple):
    """One timeline event as a view shows it (a tuple: 100k of them load fast)."""

    id: int
    seq: int
    at: datetime
    kind: str
    author: str
    text: str
    key: bool
    struck: bool
    link: str | None
    detail: str | None


@dataclass(frozen=True)
class Watermark:
    """The newest event and revision a view has seen."""

    event_id: int = 0
    revision_id: int = 0


@dataclass(frozen=True)
class IncidentView:
    """Everything but the timeline that the command screen shows."""

    ref: str
    title: str
    severity: int
    status: str
    declared_at: datetime
    milestones: dict[str, datetime]
    roles: list[ops.RoleHolding]
    updates: list[tuple[str, datetime]]
    change_count: int
    customer_impact: str


_EVENT_COLUMNS = (
    Event.id,
    Event.seq,
    Event.occurred_at,
    Event.kind,
    Event.author,
    Event.text,
    Event.key,
    Event.struck,
    Event.link,
    Event.detail,
)


def incident_view(store: Store, ref: str) -> IncidentView:
    """A consistent snapshot of the incident's header, roles and updates."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        updates = session.exec(
            select(StatusUpdate.channel, StatusUpdate.sent_at).where(StatusUpdate.incident_id == incident.id)
        ).all()
        return IncidentView(
            ref=incident.ref,
            title=ops.title_of(store, incident),
            severity=incident.severity,
            status=incident.status,
            declared_at=incident.declared_at,
            milestones=ops._milestones(session, incident),
            roles=[h for h in ops._role_history(session, incident) if h.ended_at is None],
            updates=[(channel, sent_at) for channel, sent_at in updates],
            change_count=incident.change_count,
            customer_impact=incident.customer_impact,
        )


def change_count(store: Store, ref: str) -> int | None:
    """The incident's change counter (None if it no longer exists)."""
    with store.read() as session:
        return session.exec(select(Incident.change_count).where(Incident.ref == ref)).first()


def _watermark(session: sa.orm.Session, incident_id: int) -> Watermark:
    event_id = session.execute(
        sa.select(sa.func.max(Event.id)).where(Event.incident_id == incident_id)
    ).scalar()
    revision_id = session.execute(
        sa.select(sa.func.max(EventRevision.id))
        .join(Event, col(Event.id) == EventRevision.event_id)
        .where(Event.incident_id == incident_id)
    ).scalar()
    return Watermark(event_id or 0, revision_id or 0)


def event_rows(store: Store, ref: str, *, newest: int | None = None) -> tuple[list[EventRow], Watermark]:
    """The timeline in time order (only the `newest` events when given), and the
    watermark to poll from. A view can show the newest at once and load the rest after."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        query = sa.select(*_EVENT_COLUMNS).where(Event.incident_id == incident.id)
        if newest is None:
            query = query.order_by(col(Event.occurred_at), col(Event.seq))
        else:
            query = query.order_by(col(Event.occurred_at).desc(), col(Event.seq).desc()).limit(newest)
        result = session.connection().execute(query)  # Core, not the ORM: 100k rows load faster
        rows = list(map(EventRow._make, result.all()))
        if newest is not None:
            rows.reverse()
        return rows, _watermark(session, incident.id)  # type: ignore[arg-type]


def events_since(store: Store, ref: str, mark: Watermark) -> tuple[list[EventRow], Watermark]:
    """Events added or revised (edited, struck) after `mark`, and the new watermark."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        revised = sa.select(EventRevision.event_id).where(EventRevision.id > mark.revision_id)
        result = session.connection().execute(  # Core, not the ORM: 100k rows load faster
            sa.select(*_EVENT_COLUMNS)
            .where(Event.incident_id == incident.id)
            .where(sa.or_(Event.id > mark.event_id, col(Event.id).in_(revised)))
            .order_by(col(Event.occurred_at), col(Event.seq))
        )
        rows = list(map(EventRow._make, result.all()))
        return rows, _watermark(session, incident.id)  # type: ignore[arg-type]
