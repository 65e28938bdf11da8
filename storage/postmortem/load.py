"""Reading the post-mortem and the record it is written from.

`_load` reads everything the prefill and the document need in one session (a `Record`);
the other readers fetch one thing each. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from storage import ops
from storage.db import Store
from storage.models import (
    ActionItem,
    Event,
    Incident,
    Postmortem,
    SeverityChange,
    StatusUpdate,
)
from storage.postmortem.record import POSTMORTEM_NUMBERS
from storage.snapshot import RoleHolding, Snapshot

DETAIL_PREFIX = "postmortem:"
"""Timeline events about the post-mortem itself carry a detail starting with this."""


def postmortem_row(session: Session, incident: Incident, *, lock: bool = False) -> Postmortem | None:
    """The incident's post-mortem, None while none was started (`lock`: for update)."""
    query = select(Postmortem).where(Postmortem.incident_id == incident.id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


@dataclass(frozen=True)
class PostmortemView:
    """A post-mortem as its editor shows it (defaults when none was started yet)."""

    title: str
    owner: str
    status: str
    meeting_at: datetime | None
    recording_url: str
    numbers: dict[str, int | None]
    support_requests: str
    sections: dict[str, str]


def read_postmortem(store: Store, ref: str) -> PostmortemView:
    """The post-mortem's fields and section texts, without reading the rest of the record."""
    with store.read() as session:
        record = Snapshot(session, ops.find_incident(session, ref))
        row = record.postmortem
        return PostmortemView(
            title=ops.title_of(store, record.incident),
            owner=row.owner if row else "",
            status=row.status if row else "draft",
            meeting_at=row.meeting_at if row else None,
            recording_url=row.recording_url if row else "",
            numbers={key: getattr(row, key) if row else None for key in POSTMORTEM_NUMBERS},
            support_requests=row.support_requests if row else "",
            sections=record.postmortem_sections,
        )


def status_page_updates(session: Session, incident: Incident) -> list[StatusUpdate]:
    """The incident's status-page updates, oldest first."""
    return [update for update in Snapshot(session, incident).updates if update.channel == "status_page"]


def worst_level(session: Session, incident: Incident) -> int:
    """The worst (lowest-numbered) severity the incident ever had."""
    levels = session.exec(select(SeverityChange.severity).where(SeverityChange.incident_id == incident.id)).all()
    return min([*levels, incident.severity])


def resolved_time(session: Session, incident: Incident, reached: dict[str, datetime]) -> datetime | None:
    """The resolved milestone; for an incident resolved without one, its last move to resolved."""
    if "resolved" in reached:
        return reached["resolved"]
    if incident.status != "resolved":
        return None
    return session.exec(
        select(Event.occurred_at)
        .where(Event.incident_id == incident.id, Event.kind == "status", Event.detail == "resolved")
        .order_by(col(Event.occurred_at).desc(), col(Event.seq).desc())
    ).first()


def meeting_due(store: Store, level: int, resolved: datetime | None) -> datetime | None:
    """When the meeting must be held (UTC) after an incident at worst `level` resolved at
    `resolved`; None while unresolved or when the level has no deadline."""
    if resolved is None:
        return None
    rule = store.policy.severity(level).postmortem_deadline
    if rule is None:
        return None
    return rule.due(resolved, store.policy.tz).astimezone(UTC)


def worst_severity(store: Store, ref: str) -> int:
    """The worst (lowest-numbered) severity the incident ever had."""
    with store.read() as session:
        return worst_level(session, ops.find_incident(session, ref))


@dataclass(frozen=True)
class Record:
    """What the prefill and the document read, loaded in one session."""

    incident: Incident
    title: str
    reached: dict[str, datetime]
    resolved_at: datetime | None
    history: list[SeverityChange]
    holdings: list[RoleHolding]
    events: list[Event]
    postmortem: Postmortem | None
    sections: dict[str, str]
    updates: list[StatusUpdate]
    items: list[ActionItem]


def _load(store: Store, session: Session, ref: str) -> Record:
    """Everything the prefill and the document read of incident `ref`."""
    record = Snapshot(session, ops.find_incident(session, ref))
    return Record(
        incident=record.incident,
        title=ops.title_of(store, record.incident),
        reached=record.milestones,
        resolved_at=resolved_time(session, record.incident, record.milestones),
        history=record.severity_history,
        holdings=record.roles,
        events=record.events,
        postmortem=record.postmortem,
        sections=record.postmortem_sections,
        updates=record.updates,
        items=record.action_items,
    )


def read_record(store: Store, ref: str) -> Record:
    """The `Record` of incident `ref`, read in one session."""
    with store.read() as session:
        return _load(store, session, ref)
