"""Reading the post-mortem and the record it is written from.

`_load` reads everything the prefill and the document need in one session (a `Record`);
the other readers fetch one thing each. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlmodel import Session, col, select

from storage import ops
from storage.db import Store
from storage.models import (
    ActionItem,
    Event,
    Incident,
    Postmortem,
    PostmortemSection,
    SeverityChange,
    StatusUpdate,
)

DETAIL_PREFIX = "postmortem:"
"""Timeline events about the post-mortem itself carry a detail starting with this."""


def postmortem_row(session: Session, incident: Incident, *, lock: bool = False) -> Postmortem | None:
    """The incident's post-mortem, None while none was started (`lock`: for update)."""
    query = select(Postmortem).where(Postmortem.incident_id == incident.id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def section_texts(session: Session, postmortem: Postmortem | None) -> dict[str, str]:
    """The post-mortem's section bodies by key."""
    if postmortem is None:
        return {}
    rows = session.exec(select(PostmortemSection).where(PostmortemSection.postmortem_id == postmortem.id)).all()
    return {row.key: row.body for row in rows}


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
        incident = ops.find_incident(session, ref)
        row = postmortem_row(session, incident)
        return PostmortemView(
            title=ops.title_of(store, incident),
            owner=row.owner if row else "",
            status=row.status if row else "draft",
            meeting_at=row.meeting_at if row else None,
            recording_url=row.recording_url if row else "",
            numbers={key: getattr(row, key) if row else None for key in ops.POSTMORTEM_NUMBERS},
            support_requests=row.support_requests if row else "",
            sections=section_texts(session, row),
        )


def status_page_updates(session: Session, incident: Incident) -> list[StatusUpdate]:
    """The incident's status-page updates, oldest first."""
    return list(
        session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.incident_id == incident.id, StatusUpdate.channel == "status_page")
            .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
        ).all()
    )


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
    return rule.due(resolved, store.policy.tz).astimezone(timezone.utc)


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
    holdings: list[ops.RoleHolding]
    events: list[Event]
    postmortem: Postmortem | None
    sections: dict[str, str]
    updates: list[StatusUpdate]
    items: list[ActionItem]


def _load(store: Store, session: Session, ref: str) -> Record:
    """Everything the prefill and the document read of incident `ref`."""
    incident = ops.find_incident(session, ref)
    reached = ops._milestones(session, incident)
    postmortem = postmortem_row(session, incident)
    return Record(
        incident=incident,
        title=ops.title_of(store, incident),
        reached=reached,
        resolved_at=resolved_time(session, incident, reached),
        history=ops._severity_history(session, incident),
        holdings=ops._role_history(session, incident),
        events=list(session.exec(ops._timeline_query(incident.id)).all()),  # type: ignore[call-overload]  # an untyped sa.Select
        postmortem=postmortem,
        sections=section_texts(session, postmortem),
        updates=list(
            session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.incident_id == incident.id)
                .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
            ).all()
        ),
        items=list(
            session.exec(
                select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(col(ActionItem.id))
            ).all()
        ),
    )


def read_record(store: Store, ref: str) -> Record:
    """The `Record` of incident `ref`, read in one session."""
    with store.read() as session:
        return _load(store, session, ref)
