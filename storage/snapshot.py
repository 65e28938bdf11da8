"""One incident read whole: the one place that says how each part of the record is read.

    with store.read() as session:
        incident = ops.find_incident(session, ref)
        record = Snapshot(session, incident)
        record.milestones, record.roles, record.updates ...

A `Snapshot` reads each part (milestones, roles, status updates, timeline...) with one
query in the caller's session the first time it is asked for, and keeps it: a reader
pays only for the parts it uses, and every reader gets them in the same order (status
updates by `sent_at`, the timeline by time then number...). Read the parts inside the
session (a write transaction sees its own changes); afterwards only those already read
can be used.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import (
    MILESTONES,
    POSTMORTEM_SECTIONS,
    ActionItem,
    ChecklistItem,
    Event,
    EventRevision,
    Incident,
    Milestone,
    Person,
    Postmortem,
    PostmortemSection,
    RoleAssignment,
    SeverityChange,
    StatusUpdate,
)
from storage.rows import RoleHolding

__all__ = ["RoleHolding", "Snapshot", "timeline_query"]


def timeline_query(incident_id: int | None) -> SelectOfScalar[Event]:
    """The incident's events in time order (then by number): the timeline's one order."""
    return select(Event).where(Event.incident_id == incident_id).order_by(col(Event.occurred_at), col(Event.seq))


class Snapshot:
    """Incident `incident` and its parts, each read in `session` on first use and kept.

    Parts, all in the order the record shows them:

    - `milestone_rows` (name -> Milestone) and `milestones` (name -> time reached), in
      the order of `models.MILESTONES`;
    - `roles`: every role holding, current and past, by start (`current_roles`: those
      not ended);
    - `severity_history`: every severity change, oldest first;
    - `events`: the timeline (`timeline_query`); `revisions`: event id -> its earlier
      versions, oldest first;
    - `updates`: status updates sent, by `sent_at` then id (`update_times`: their
      channel and time);
    - `action_items` in the order added; `checklist_items` by list, position and id;
    - `postmortem` (the row, or None) and `postmortem_sections` (key -> body, in the
      order of `models.POSTMORTEM_SECTIONS`, then any others by key);
    - `declared_by`: who declared the incident ("" if the record does not say).
    """

    def __init__(self, session: Session, incident: Incident) -> None:
        self.session = session
        self.incident = incident

    @cached_property
    def milestone_rows(self) -> dict[str, Milestone]:
        rows = self.session.exec(select(Milestone).where(Milestone.incident_id == self.incident.id)).all()
        found = {row.name: row for row in rows}
        return {name: found[name] for name in MILESTONES if name in found}

    @cached_property
    def milestones(self) -> dict[str, datetime]:
        return {name: row.at for name, row in self.milestone_rows.items()}

    @cached_property
    def roles(self) -> list[RoleHolding]:
        rows = self.session.exec(
            select(RoleAssignment, Person)
            .join(Person, col(Person.id) == RoleAssignment.person_id)
            .where(RoleAssignment.incident_id == self.incident.id)
            .order_by(col(RoleAssignment.started_at), col(RoleAssignment.id))
        ).all()
        return [RoleHolding(a.role, p.name, a.started_at, a.ended_at, a.note) for a, p in rows]

    @property
    def current_roles(self) -> list[RoleHolding]:
        return [holding for holding in self.roles if holding.ended_at is None]

    @cached_property
    def severity_history(self) -> list[SeverityChange]:
        return list(
            self.session.exec(
                select(SeverityChange)
                .where(SeverityChange.incident_id == self.incident.id)
                .order_by(col(SeverityChange.at), col(SeverityChange.id))
            ).all()
        )

    @cached_property
    def events(self) -> list[Event]:
        return list(self.session.exec(timeline_query(self.incident.id)).all())

    @cached_property
    def revisions(self) -> dict[int, list[EventRevision]]:
        found: dict[int, list[EventRevision]] = {}
        for revision in self.session.exec(
            select(EventRevision)
            .join(Event, col(Event.id) == EventRevision.event_id)
            .where(Event.incident_id == self.incident.id)
            .order_by(col(EventRevision.revision))
        ).all():
            found.setdefault(revision.event_id, []).append(revision)
        return found

    @cached_property
    def updates(self) -> list[StatusUpdate]:
        return list(
            self.session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.incident_id == self.incident.id)
                .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
            ).all()
        )

    @property
    def update_times(self) -> list[tuple[str, datetime]]:
        return [(update.channel, update.sent_at) for update in self.updates]

    @cached_property
    def action_items(self) -> list[ActionItem]:
        return list(
            self.session.exec(
                select(ActionItem).where(ActionItem.incident_id == self.incident.id).order_by(col(ActionItem.id))
            ).all()
        )

    @cached_property
    def checklist_items(self) -> list[ChecklistItem]:
        return list(
            self.session.exec(
                select(ChecklistItem)
                .where(ChecklistItem.incident_id == self.incident.id)
                .order_by(col(ChecklistItem.list), col(ChecklistItem.position), col(ChecklistItem.id))
            ).all()
        )

    @cached_property
    def postmortem(self) -> Postmortem | None:
        return self.session.exec(select(Postmortem).where(Postmortem.incident_id == self.incident.id)).first()

    @cached_property
    def postmortem_sections(self) -> dict[str, str]:
        if self.postmortem is None:
            return {}
        stored = {
            row.key: row.body
            for row in self.session.exec(
                select(PostmortemSection).where(PostmortemSection.postmortem_id == self.postmortem.id)
            ).all()
        }
        known = [key for key, _ in POSTMORTEM_SECTIONS]
        order = known + sorted(set(stored) - set(known))
        return {key: stored[key] for key in order if key in stored}

    @cached_property
    def declared_by(self) -> str:
        author = self.session.exec(
            select(Event.author)
            .where(Event.incident_id == self.incident.id, Event.kind == "declared")
            .order_by(col(Event.seq))
        ).first()
        return author or ""
