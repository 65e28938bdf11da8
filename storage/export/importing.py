"""Writing an exported incident into this database, all or nothing."""

from __future__ import annotations

from sqlmodel import select

from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.export.json_text import parse_document
from storage.export.schema import ImpactDoc, IncidentDocument, PostmortemDoc
from storage.models import (
    MILESTONES,
    ActionItem,
    ChecklistItem,
    Event,
    EventRevision,
    Incident,
    Milestone,
    Postmortem,
    PostmortemSection,
    RoleAssignment,
    SeverityChange,
    StatusUpdate,
)
from storage.timeparse import quote_input


def import_document(store: Store, document: IncidentDocument) -> Incident:
    """Write an exported incident into this database, all or nothing."""
    doc = document.incident
    store.policy.severity(doc.severity)
    for change in document.severity_history:
        store.policy.severity(change.severity)
    for holding in document.roles:
        store.policy.role(holding.role)
    unknown = set(doc.milestones) - set(MILESTONES)
    if unknown:
        raise InvalidInput(f"invalid export: unknown milestone {quote_input(min(unknown))}")
    if doc.ref != doc.ref.strip() or not doc.ref.isprintable():  # it could never be typed back
        raise InvalidInput(
            f"invalid export: incident.ref: {quote_input(doc.ref)} has spaces around it or control characters"
        )
    seqs = [e.seq for e in document.timeline]
    if len(set(seqs)) != len(seqs):
        raise InvalidInput("invalid export: two timeline events share one seq number")
    for entry in document.timeline:
        numbers = [revision.revision for revision in entry.revisions]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput(f"invalid export: two revisions of timeline event #{entry.seq} share one number")
    steps = [(item.list, item.key, item.person) for item in document.checklists]
    if len(set(steps)) != len(steps):
        raise InvalidInput("invalid export: two checklist items share one list, key and person")
    if not document.severity_history:
        raise InvalidInput("invalid export: severity_history is empty")
    with store.write() as session:
        if session.exec(select(Incident.id).where(Incident.ref == doc.ref)).first() is not None:
            raise InvalidInput(f"incident {quote_input(doc.ref)} already exists in this database")
        latest = max([doc.declared_at, *(e.logged_at for e in document.timeline)])
        incident = Incident(
            ref=doc.ref,
            functionality=doc.functionality,
            state=doc.state,
            audience=doc.audience,
            severity=doc.severity,
            status=doc.status,
            customer_impact=doc.customer_impact,
            quantity_impacted=doc.quantity_impacted,
            known_impacted_customers=doc.known_impacted_customers,
            full_outage=doc.full_outage,
            primary_ref=doc.primary,
            declared_at=doc.declared_at,
            updated_at=latest,
        )
        session.add(incident)
        session.flush()
        incident_id = incident.id
        assert incident_id is not None
        for name, at in doc.milestones.items():
            session.add(Milestone(incident_id=incident_id, name=name, at=at, set_at=at, set_by=""))
        for change in document.severity_history:
            session.add(
                SeverityChange(
                    incident_id=incident_id,
                    severity=change.severity,
                    at=change.at,
                    logged_at=change.logged_at,
                    author=change.author,
                )
            )
        for holding in document.roles:
            person = ops.person_named(session, holding.person)
            session.add(
                RoleAssignment(
                    incident_id=incident_id,
                    role=store.policy.role(holding.role).key,
                    person_id=person.id,  # type: ignore[arg-type]
                    note=holding.note,
                    started_at=holding.from_,
                    ended_at=holding.until,
                )
            )
        for entry in document.timeline:
            event = Event(
                incident_id=incident_id,
                seq=entry.seq,
                occurred_at=entry.at,
                logged_at=entry.logged_at,
                author=entry.author,
                kind=entry.kind,
                text=entry.text,
                link=entry.link,
                key=entry.key,
                detail=entry.detail,
                struck=entry.struck,
                revision=len(entry.revisions) + 1,
            )
            session.add(event)
            session.flush()
            for revision in entry.revisions:
                session.add(
                    EventRevision(
                        event_id=event.id,  # type: ignore[arg-type]
                        revision=revision.revision,
                        occurred_at=revision.at,
                        kind=revision.kind,
                        text=revision.text,
                        link=revision.link,
                        key=revision.key,
                        struck=revision.struck,
                        replaced_at=revision.replaced_at,
                        replaced_by=revision.replaced_by,
                    )
                )
        for update in document.status_updates:
            session.add(StatusUpdate(incident_id=incident_id, **update.model_dump()))
        for action in document.action_items:
            fields = action.model_dump()
            fields["tags"] = ",".join(action.tags)
            session.add(ActionItem(incident_id=incident_id, **fields))
        for step in document.checklists:
            session.add(ChecklistItem(incident_id=incident_id, **step.model_dump()))
        pm = document.postmortem
        if pm != PostmortemDoc(impact=ImpactDoc(time_in_sev=pm.impact.time_in_sev)):
            postmortem = Postmortem(
                incident_id=incident_id,
                owner=pm.owner,
                status=pm.status,
                meeting_at=pm.meeting_at,
                recording_url=pm.recording_url,
                notifications_out_of_sla=pm.impact.notifications_out_of_sla,
                events_dropped=pm.impact.events_dropped,
                accounts_affected=pm.impact.accounts_affected,
                users_affected=pm.impact.users_affected,
                support_requests=pm.impact.support_requests,
                updated_at=latest,
            )
            session.add(postmortem)
            session.flush()
            for key, body in pm.sections.items():
                session.add(
                    PostmortemSection(postmortem_id=postmortem.id, key=key, body=body, updated_at=latest)  # type: ignore[arg-type]
                )
        session.flush()
        return incident


def import_json(store: Store, text: str | bytes) -> Incident:
    """Import one incident from export JSON text."""
    return import_document(store, parse_document(text, now=store.now()))

