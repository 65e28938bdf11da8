"""The incident itself: listing, declaring, severity, status, milestones, updates sent, grouping (its facts:
`storage.ops.facts`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.db import Store
from storage.errors import Conflict, InvalidInput
from storage.lite.record import IncidentRow
from storage.models import (
    MILESTONES,
    STATUSES,
    Event,
    Incident,
    Milestone,
    Person,
    RoleAssignment,
    SeverityChange,
    StatusUpdate,
)
from storage.ops.facts import TITLE_PARTS, checked_facts
from storage.ops.record import (
    Writing,
    add_event,
    choice,
    find_incident,
    milestone_name,
    required,
    when_given,
    writing,
)
from storage.ops.roles import assign
from storage.render import local_minute

UPDATE_CHANNELS: tuple[str, ...] = ("checkin", "internal", "status_page")
"""Where an update goes; each resets the countdown of the same name."""

MILESTONE_STATUS = {"investigating": "investigating", "mitigated": "mitigated", "resolved": "resolved"}
"""Milestones that move the incident's status."""

_UPDATE_LABELS = {"checkin": "Responder check-in", "internal": "Internal update", "status_page": "Status page update"}


# --- listing ---------------------------------------------------------------------------


def list_incidents(
    store: Store, *, status: str | None = None, severity: int | None = None, open_only: bool = False
) -> list[IncidentRow]:
    """Incidents, most recently active first, optionally filtered."""
    with store.read() as session:
        query = select(Incident)
        if status is not None:
            query = query.where(Incident.status == status)
        if open_only:
            query = query.where(Incident.status != "resolved")
        if severity is not None:
            query = query.where(Incident.severity == severity)
        incidents = session.exec(query.order_by(col(Incident.updated_at).desc(), col(Incident.id).desc())).all()
        commanders = dict(
            session.exec(
                select(RoleAssignment.incident_id, Person.name)
                .join(Person, col(Person.id) == RoleAssignment.person_id)
                .where(RoleAssignment.role == "ic", col(RoleAssignment.ended_at).is_(None))
            ).all()
        )
        return [
            IncidentRow(
                ref=i.ref,
                title=store.policy.title(i.functionality, i.state, i.audience),
                severity=i.severity,
                status=i.status,
                declared_at=i.declared_at,
                updated_at=i.updated_at,
                commander=commanders.get(i.id),  # type: ignore[arg-type]
                primary_ref=i.primary_ref,
            )
            for i in incidents
        ]


def most_recent_open(store: Store) -> str | None:
    """The reference of the most recently active unresolved incident."""
    with store.read() as session:
        ref = session.exec(
            select(Incident.ref)
            .where(Incident.status != "resolved")
            .order_by(col(Incident.updated_at).desc(), col(Incident.id).desc())
            .limit(1)
        ).first()
        return ref


# --- declaring -------------------------------------------------------------------------


_REFERENCE_LOCK = sa.text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:base))").bindparams(
    namespace=0x57A8_0001
)
"""Held by a PostgreSQL declare from choosing its reference until it commits (SQLite's
writers already run one at a time)."""


def _unique_ref(session: Session, base: str) -> str:
    """The first free reference of `base`, `base-2`, `base-3`...; on PostgreSQL the
    transaction first waits for any other declare of the same base to commit, so no two
    pick the same one (each would otherwise see the other's only on the unique index)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_REFERENCE_LOCK, {"base": base})
    taken = set(
        session.exec(
            select(Incident.ref).where(
                sa.or_(col(Incident.ref) == base, col(Incident.ref).startswith(base + "-", autoescape=True))
            )
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def declare(
    store: Store,
    *,
    severity: int | str,
    functionality: str,
    state: str,
    audience: str,
    at: datetime | None = None,
    ic: str | None = None,
    customer_impact: str = "",
    quantity_impacted: str = "Unknown",
    known_impacted_customers: str = "",
    full_outage: bool = False,
    author: str | None = None,
) -> Incident:
    """Declare a new incident; the reference follows the naming policy and is unique."""
    level = store.policy.severity(severity).level
    facts = checked_facts(
        functionality=functionality, state=state, audience=audience, customer_impact=customer_impact,
        quantity_impacted=quantity_impacted, known_impacted_customers=known_impacted_customers,
    )
    functionality, state, audience = (str(facts[name]) for name in TITLE_PARTS)
    declared_at = when_given(store, at)
    author = author or store.user
    logged_at = store.now()
    base = store.policy.reference(declared_at.astimezone(store.policy.tz), level)
    for attempt in range(5):
        try:
            with store.write() as session:
                incident = Incident(
                    ref=_unique_ref(session, base),
                    functionality=functionality,
                    state=state,
                    audience=audience,
                    severity=level,
                    status="investigating",
                    customer_impact=str(facts["customer_impact"]),
                    quantity_impacted=str(facts["quantity_impacted"]),
                    known_impacted_customers=str(facts["known_impacted_customers"]),
                    full_outage=full_outage,
                    declared_at=declared_at,
                    updated_at=logged_at,
                )
                session.add(incident)
                session.flush()
                session.add(
                    SeverityChange(
                        incident_id=incident.id,  # type: ignore[arg-type]
                        severity=level,
                        at=declared_at,
                        logged_at=logged_at,
                        author=author,
                    )
                )
                add_event(
                    session,
                    incident,
                    kind="declared",
                    text=f"Declared SEV{level}: {store.policy.title(functionality, state, audience)}",
                    occurred_at=declared_at,
                    logged_at=logged_at,
                    author=author,
                    key=True,
                    detail=f"SEV{level}",
                )
                if ic:
                    assign(Writing(store, session, incident, author, declared_at), "ic", ic)
                return incident
        except Conflict:  # a concurrent declare took the same reference: pick the next
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


# --- how bad it is, where it stands ----------------------------------------------------


def change_severity(
    store: Store, ref: str, severity: int | str, *, at: datetime | None = None, author: str | None = None
) -> Incident:
    """Move the incident to another severity; the history and the timeline record it."""
    level = store.policy.severity(severity).level
    with writing(store, ref, at=at, author=author) as w:
        incident = w.incident
        if incident.severity == level:
            raise InvalidInput(f"{incident.ref} is already SEV{level}")
        previous = incident.severity
        incident.severity = level
        w.session.add(
            SeverityChange(
                incident_id=incident.id,  # type: ignore[arg-type]
                severity=level,
                at=w.when,
                logged_at=store.now(),
                author=w.author,
            )
        )
        verb = "Raised" if level < previous else "Lowered"
        w.event("severity", f"{verb} severity from SEV{previous} to SEV{level}", key=True, detail=f"SEV{level}")
        return incident


def set_status(
    store: Store, ref: str, status: str, *, at: datetime | None = None, author: str | None = None
) -> Incident:
    """Set the incident's phase (investigating, identified, mitigated). Resolving goes
    through the resolution criteria (`storage.checklists.resolve`): refused here."""
    status = choice(status, STATUSES, "status")
    if status == "resolved":
        raise InvalidInput(
            f"{ref} is resolved through its resolution criteria, which are checked first "
            "(resolve it, and force it to resolve with criteria unmet)"
        )
    with writing(store, ref, at=at, author=author) as w:
        _set_status(w, status)
        return w.incident


def _set_status(w: Writing, status: str) -> None:
    if w.incident.status == status:
        return
    previous = w.incident.status
    w.incident.status = status
    w.event("status", f"Status changed from {previous} to {status}", detail=status)


def set_milestone(
    store: Store, ref: str, name: str, *, at: datetime | None = None, author: str | None = None, resolving: bool = False
) -> Milestone:
    """Mark a milestone reached at `at` (now). Again: corrects it, the earlier mark struck (`milestone_order_concerns`
    asked before). Resolved again once reopened: only by `checklists.resolve` (`resolving`), criteria checked."""
    key = milestone_name(name)
    label = key.replace("_", " ")
    with writing(store, ref, at=at, author=author) as w:
        milestone = w.session.exec(
            select(Milestone).where(Milestone.incident_id == w.incident.id, Milestone.name == key)
        ).first()
        if key == "resolved" and milestone is not None and w.incident.status != "resolved" and not resolving:
            raise InvalidInput(f"{w.incident.ref} was reopened: resolve it again (the criteria are checked first)")
        if milestone is None:
            milestone = Milestone(
                incident_id=w.incident.id,  # type: ignore[arg-type]
                name=key,
                at=w.when,
                set_at=store.now(),
                set_by=w.author,
            )
            text = f"Milestone: {label}"
        else:
            text = f"Milestone: {label} (corrected from {local_minute(milestone.at, store.policy.tz)})"
            milestone.at = w.when
            milestone.set_at = store.now()
            milestone.set_by = w.author
            _strike_marks(w, key)
        w.session.add(milestone)
        w.event("milestone", text, key=True, detail=key)
        if key in MILESTONE_STATUS:
            _set_status(w, MILESTONE_STATUS[key])
        w.session.flush()
        return milestone


def _strike_marks(w: Writing, key: str) -> None:
    """Strike the standing events that marked milestone `key` (it is being marked again)."""
    from storage.ops.events import keep_revision

    marks = w.session.exec(
        select(Event).where(
            Event.incident_id == w.incident.id,
            Event.kind == "milestone",
            Event.detail == key,
            sa.not_(col(Event.struck)),
        )
    ).all()
    for event in marks:
        keep_revision(w.session, event, replaced_at=w.store.now(), replaced_by=w.author)
        event.struck = True
        event.change_number = w.touch()
        w.session.add(event)


def strike_standing_mark(w: Writing, mark: Event) -> None:
    """A milestone's standing mark is being struck: the milestone is no longer reached, and
    the status it set (mitigated, say) goes back to the one before it. The resolution is
    taken back by reopening the incident, not by a strike (`events._mark_refusal`)."""
    milestone = _reached(w, str(mark.detail))
    if milestone is not None:
        w.session.delete(milestone)
    status = MILESTONE_STATUS.get(str(mark.detail))
    if status is not None and w.incident.status == status:
        before = _status_before(w, status)
        if before is not None:
            label = str(mark.detail).replace("_", " ")
            w.incident.status = before
            w.event("status", f"Status changed from {status} to {before} (the {label} mark struck)", detail=before)


def restore_standing_mark(w: Writing, mark: Event) -> None:
    """A struck milestone mark counts again (no other mark stands): the milestone is
    reached at the mark's time, and moves the status on as marking it did."""
    key = str(mark.detail)  # not `resolved`: refused first (`events._mark_refusal`)
    milestone = _reached(w, key) or Milestone(
        incident_id=w.incident.id,  # type: ignore[arg-type]
        name=key,
        at=mark.occurred_at,
        set_at=w.store.now(),
        set_by=w.author,
    )
    milestone.at, milestone.set_at, milestone.set_by = mark.occurred_at, w.store.now(), w.author
    w.session.add(milestone)
    status = MILESTONE_STATUS.get(key)
    if status is not None and STATUSES.index(status) > STATUSES.index(w.incident.status):
        label, before = key.replace("_", " "), w.incident.status
        w.incident.status = status
        w.event("status", f"Status changed from {before} to {status} (the {label} mark restored)", detail=status)


def _reached(w: Writing, key: str) -> Milestone | None:
    return w.session.exec(
        select(Milestone).where(Milestone.incident_id == w.incident.id, Milestone.name == key)
    ).first()


def _status_before(w: Writing, status: str) -> str | None:
    """The status the incident had before it last became `status` (None: it began so)."""
    details = [  # (the record's other notes are status events too, with details of their own)
        detail
        for detail in w.session.exec(
            select(Event.detail)
            .where(Event.incident_id == w.incident.id, Event.kind == "status", sa.not_(col(Event.struck)))
            .order_by(col(Event.seq).desc())
        ).all()
        if detail in STATUSES
    ]
    if status not in details:
        return None
    earlier = details[details.index(status) + 1:]
    return earlier[0] if earlier else STATUSES[0]


def milestone_order_concerns(store: Store, ref: str, name: str, at: datetime | None = None) -> list[str]:
    """Why marking milestone `name` at `at` (now by default) is out of the usual order, each
    as a clause ("after mitigated (2026-11-23 15:10 CET)"); empty when it is in order. The
    order is `MILESTONES`; a start later than the declaration is one too (a start is
    usually backdated). Interfaces ask before they mark (`set_milestone` does not)."""
    key = milestone_name(name)
    when = when_given(store, at, allow_future=True) if at is not None else store.now()
    with store.read() as session:
        incident = find_incident(session, ref)
        declared = incident.declared_at
        reached = {
            row.name: row.at
            for row in session.exec(select(Milestone).where(Milestone.incident_id == incident.id)).all()
        }
    tz, position, concerns = store.policy.tz, MILESTONES.index(key), []
    for other in MILESTONES:
        other_at = reached.get(other)
        if other == key or other_at is None:
            continue
        label = other.replace("_", " ")
        if MILESTONES.index(other) < position and other_at > when:
            concerns.append(f"before {label} ({local_minute(other_at, tz)})")
        elif MILESTONES.index(other) > position and other_at < when:
            concerns.append(f"after {label} ({local_minute(other_at, tz)})")
    if key.startswith("retrospective") and "resolved" not in reached:
        concerns.append("before the incident is resolved")
    if key == "started" and when > declared:
        concerns.append(f"after the incident was declared ({local_minute(declared, tz)}): give the time it began")
    return concerns


# --- updates sent ----------------------------------------------------------------------


def record_status_update(
    store: Store,
    ref: str,
    *,
    channel: str,
    kind: str,
    subject: str = "",
    body: str = "",
    at: datetime | None = None,
    author: str | None = None,
    posted: bool = True,
) -> StatusUpdate:
    """Record that an update went out; it resets the countdown of its channel."""
    channel = choice(channel, UPDATE_CHANNELS, "update channel")
    kind = required(kind, "the update kind")
    with writing(store, ref, at=at, author=author) as w:
        update = StatusUpdate(
            incident_id=w.incident.id,  # type: ignore[arg-type]
            channel=channel,
            kind=kind,
            subject=subject,
            body=body,
            sent_at=w.when,
            author=w.author,
            posted=posted,
        )
        w.session.add(update)
        w.event(
            "update", f"{_UPDATE_LABELS[channel]} sent ({kind})" + (f": {subject}" if subject else ""), detail=channel
        )
        w.session.flush()
        return update


# --- related incidents -----------------------------------------------------------------


def link_incidents(store: Store, primary_ref: str, ref: str, *, author: str | None = None) -> Incident:
    """Group incident `ref` under `primary_ref` (related incidents share one primary)."""
    with writing(store, primary_ref, author=author) as w:
        primary, session, author = w.incident, w.session, w.author
        incident = find_incident(session, ref, lock=True)
        if primary.id == incident.id:
            raise InvalidInput("an incident cannot be grouped under itself")
        if primary.primary_ref is not None:
            raise InvalidInput(
                f"{primary.ref} is itself grouped under {primary.primary_ref}: group under that one"
            )
        children = session.exec(select(Incident.ref).where(Incident.primary_ref == incident.ref)).all()
        if children:
            raise InvalidInput(f"{incident.ref} is the primary of {', '.join(children)}: it cannot be grouped")
        now = store.now()
        incident.primary_ref = primary.ref
        add_event(
            session, incident, kind="link", text=f"Grouped under {primary.ref}",
            occurred_at=now, logged_at=now, author=author, detail=primary.ref,
        )
        add_event(
            session, primary, kind="link", text=f"{incident.ref} grouped under this incident",
            occurred_at=now, logged_at=now, author=author, detail=incident.ref,
        )
        return incident


def related_incidents(store: Store, ref: str) -> list[str]:
    """References of the incidents grouped under `ref`."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return list(
            session.exec(
                select(Incident.ref).where(Incident.primary_ref == incident.ref).order_by(col(Incident.ref))
            ).all()
        )
