"""Resolved incidents still owing a post-mortem, soonest deadline first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from storage import ops
from storage.db import Store
from storage.models import Incident, Milestone, Postmortem, SeverityChange
from storage.postmortem.load import meeting_due, resolved_time


@dataclass(frozen=True)
class PostmortemDue:
    """A resolved incident that still owes a post-mortem."""

    ref: str
    title: str
    severity: int
    """The worst severity the incident reached."""
    status: str
    """The post-mortem's status, or "none" when there is no post-mortem yet."""
    owner: str
    deadline: datetime
    """When the meeting must be held (UTC)."""
    meeting_at: datetime | None
    overdue: bool
    """The deadline has passed and no meeting was held (scheduled at or before it)."""


def needing_postmortem(store: Store) -> list[PostmortemDue]:
    """Resolved incidents whose worst severity needs a post-mortem meeting (SEV1 and SEV2
    by default) and whose post-mortem is not Closed, soonest deadline first.

    Incidents grouped under a primary are left out (the primary's post-mortem covers
    them). Overdue: the deadline has passed, the post-mortem is not yet Reviewed and no
    meeting was set for a time at or before the deadline.
    """
    now = store.now()
    due: list[PostmortemDue] = []
    with store.read() as session:
        incidents = session.exec(
            select(Incident).where(Incident.status == "resolved", col(Incident.primary_ref).is_(None))
        ).all()
        ids = [incident.id for incident in incidents]
        postmortems = {row.incident_id: row for row in session.exec(
            select(Postmortem).where(col(Postmortem.incident_id).in_(ids))
        )}
        levels: dict[int, list[int]] = defaultdict(list)
        for incident_id, level in session.exec(
            select(SeverityChange.incident_id, SeverityChange.severity).where(col(SeverityChange.incident_id).in_(ids))
        ):
            levels[incident_id].append(level)
        resolved_marks = dict(session.exec(
            select(Milestone.incident_id, Milestone.at).where(
                col(Milestone.incident_id).in_(ids), Milestone.name == "resolved"
            )
        ).all())
        for incident in incidents:  # read in bulk above: a year of incidents in a few queries
            assert incident.id is not None
            postmortem = postmortems.get(incident.id)
            if postmortem is not None and postmortem.status == "closed":
                continue
            worst = min([*levels.get(incident.id, []), incident.severity])
            reached = {"resolved": resolved_marks[incident.id]} if incident.id in resolved_marks else {}
            deadline = meeting_due(store, worst, resolved_time(session, incident, reached))
            if deadline is None:
                continue
            status = postmortem.status if postmortem is not None else "none"
            meeting_at = postmortem.meeting_at if postmortem is not None else None
            held_in_time = meeting_at is not None and meeting_at <= deadline
            due.append(
                PostmortemDue(
                    ref=incident.ref,
                    title=ops.title_of(store, incident),
                    severity=worst,
                    status=status,
                    owner=postmortem.owner if postmortem is not None else "",
                    deadline=deadline,
                    meeting_at=meeting_at,
                    overdue=now > deadline and status in ("none", "draft", "in_review") and not held_in_time,
                )
            )
    due.sort(key=lambda row: (row.deadline, row.ref))
    return due
