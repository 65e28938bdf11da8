"""Reading one incident completely into an export document (`build_document`).

`_document` reads the whole record in one session; `storage.export.stream` uses it for
everything but the events, which it reads and writes a thousand at a time.
"""

from __future__ import annotations

from sqlmodel import Session

from storage import ops
from storage.db import Store
from storage.export.schema import (
    ActionItemDoc,
    ChecklistDoc,
    EventDoc,
    ImpactDoc,
    IncidentDoc,
    IncidentDocument,
    MetricsDoc,
    PostmortemDoc,
    RevisionDoc,
    RoleDoc,
    SeverityDoc,
    UpdateDoc,
)
from storage.metrics import response_metrics, time_in_severity
from storage.models import Incident
from storage.snapshot import Snapshot


def build_document(store: Store, ref: str) -> IncidentDocument:
    """Read one incident completely into an export document."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        return _document(session, store, incident)


def _document(
    session: Session, store: Store, incident: Incident, *, with_timeline: bool = True
) -> IncidentDocument:
    """The incident's document; without its events if not `with_timeline` (for
    `storage.export.stream`, which writes them as it reads them)."""
    record = Snapshot(session, incident)
    milestones = record.milestones
    history = record.severity_history
    postmortem = record.postmortem
    end = milestones.get("resolved") or store.now()
    spent = time_in_severity(
        [(change.severity, change.at) for change in history], started=milestones.get("started"), end=end
    )
    impact = ImpactDoc(
        time_in_sev={f"SEV{level}": int(delta.total_seconds()) for level, delta in spent.items()},
        notifications_out_of_sla=postmortem.notifications_out_of_sla if postmortem else None,
        events_dropped=postmortem.events_dropped if postmortem else None,
        accounts_affected=postmortem.accounts_affected if postmortem else None,
        users_affected=postmortem.users_affected if postmortem else None,
        support_requests=postmortem.support_requests if postmortem else "",
    )
    return IncidentDocument(
        incident=IncidentDoc(
            ref=incident.ref,
            title=ops.title_of(store, incident),
            functionality=incident.functionality,
            state=incident.state,
            audience=incident.audience,
            severity=incident.severity,
            status=incident.status,
            customer_impact=incident.customer_impact,
            quantity_impacted=incident.quantity_impacted,
            known_impacted_customers=incident.known_impacted_customers,
            full_outage=incident.full_outage,
            primary=incident.primary_ref,
            declared_at=incident.declared_at,
            milestones=milestones,
        ),
        severity_history=[
            SeverityDoc(severity=c.severity, at=c.at, logged_at=c.logged_at, author=c.author) for c in history
        ],
        roles=[
            RoleDoc(role=h.role, person=h.person, from_=h.started_at, until=h.ended_at, note=h.note)
            for h in record.roles
        ],
        timeline=[
            EventDoc(
                seq=e.seq,
                at=e.occurred_at,
                logged_at=e.logged_at,
                kind=e.kind,
                text=e.text,
                author=e.author,
                link=e.link,
                key=e.key,
                detail=e.detail,
                struck=e.struck,
                revisions=[
                    RevisionDoc(
                        revision=r.revision,
                        at=r.occurred_at,
                        kind=r.kind,
                        text=r.text,
                        link=r.link,
                        key=r.key,
                        struck=r.struck,
                        replaced_at=r.replaced_at,
                        replaced_by=r.replaced_by,
                    )
                    for r in record.revisions.get(e.id or 0, [])
                ],
            )
            for e in (record.events if with_timeline else [])
        ],
        status_updates=[
            UpdateDoc(
                channel=u.channel,
                kind=u.kind,
                subject=u.subject,
                body=u.body,
                sent_at=u.sent_at,
                author=u.author,
                posted=u.posted,
            )
            for u in record.updates
        ],
        action_items=[
            ActionItemDoc(
                title=i.title,
                owner=i.owner,
                priority=i.priority,
                tags=[t for t in i.tags.split(",") if t],
                due_date=i.due_date,
                ticket_url=i.ticket_url,
                state=i.state,
                category=i.category,
                created_at=i.created_at,
            )
            for i in record.action_items
        ],
        postmortem=PostmortemDoc(
            owner=postmortem.owner if postmortem else "",
            status=postmortem.status if postmortem else "draft",
            meeting_at=postmortem.meeting_at if postmortem else None,
            recording_url=postmortem.recording_url if postmortem else "",
            sections=record.postmortem_sections,
            impact=impact,
        ),
        checklists=[
            ChecklistDoc(
                list=c.list, key=c.key, person=c.person, role=c.role, label=c.label,
                position=c.position, done_at=c.done_at, done_by=c.done_by,
            )
            for c in record.checklist_items
        ],
        metrics=MetricsDoc(**response_metrics(milestones)),
    )

