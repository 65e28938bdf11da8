"""Operations on the incident record: the one way the CLI and the screens change it.

Each public function runs in its own write transaction and returns detached rows.
Every change that matters during an incident (severity, status, roles, milestones,
updates, links) also lands in the timeline as an event, so the timeline alone tells
the story.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.db import Store
from storage.errors import Conflict, InvalidInput, NeedsConfirmation, NotFound
from storage.grammar import ScribeLine, parse_scribe_line
from storage.identity import USER_ENV
from storage.limits import check_text
from storage.models import (
    ACTION_ITEM_STATES,
    EVENT_KINDS,
    MILESTONES,
    POSTMORTEM_SECTIONS,
    POSTMORTEM_STATUSES,
    PRIORITIES,
    QUANTITIES,
    STATUSES,
    TYPED_KINDS,
    ActionItem,
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
from storage.timeparse import due_date_problem, out_of_range, quote_input, time_concerns

AUTHOR_ENV = USER_ENV
FUTURE_TOLERANCE = timedelta(seconds=60)
UPDATE_CHANNELS: tuple[str, ...] = ("checkin", "internal", "status_page")
"""Where an update goes; each resets the countdown of the same name."""

MILESTONE_STATUS = {"investigating": "investigating", "mitigated": "mitigated", "resolved": "resolved"}
"""Milestones that move the incident's status."""


# --- lookups ---------------------------------------------------------------------------


def find_incident(session: Session, ref: str, *, lock: bool = False) -> Incident:
    """The incident with reference `ref` (locked for update when asked)."""
    query = select(Incident).where(Incident.ref == ref.strip())
    if lock:
        query = query.with_for_update()
    incident = session.exec(query).first()
    if incident is None:
        raise NotFound(f"no incident {ref!r}: `warroom list` shows the references")
    return incident


def get_incident(store: Store, ref: str) -> Incident:
    """Read one incident by reference."""
    with store.read() as session:
        return find_incident(session, ref)


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the incident list shows it."""

    ref: str
    title: str
    severity: int
    status: str
    declared_at: datetime
    updated_at: datetime
    commander: str | None
    primary_ref: str | None


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
                commander=commanders.get(i.id),
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


def timeline(store: Store, ref: str) -> list[Event]:
    """Every event of an incident in time order."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return list(session.exec(_timeline_query(incident.id)).all())


def _timeline_query(incident_id: int | None) -> sa.Select:  # type: ignore[type-arg]
    return select(Event).where(Event.incident_id == incident_id).order_by(col(Event.occurred_at), col(Event.seq))


def title_of(store: Store, incident: Incident) -> str:
    """The incident's human title from the naming policy."""
    return store.policy.title(incident.functionality, incident.state, incident.audience)


# --- shared checks ---------------------------------------------------------------------


def _when(store: Store, at: datetime | None, *, allow_future: bool = False) -> datetime:
    """`at`, or now; a time in the future is refused unless allowed (a confirmed one).

    Call it after the incident row is locked when `at` may be None, so that "now" is
    never earlier than what a concurrent writer stored meanwhile.
    """
    now = store.now()
    if at is None:
        return now
    if at.tzinfo is None:
        raise InvalidInput("a time needs a timezone")
    _in_range(at, now)
    if not allow_future and at - now > FUTURE_TOLERANCE:
        raise InvalidInput(f"{at.isoformat()} is in the future: events are logged as they happen or after")
    return at.astimezone(now.tzinfo)


def _in_range(at: datetime, now: datetime) -> datetime:
    """`at`, refused when outside the times warroom accepts (`timeparse.out_of_range`)."""
    problem = out_of_range(at, now=now)
    if problem is not None:
        raise InvalidInput(f"{at.isoformat()} is {problem}")
    return at


STORED_INT_MAX = 2**31 - 1
"""The largest number an INTEGER column holds on every backend (32 bits on PostgreSQL)."""


def _stored_number(value: int) -> bool:
    """Whether a row can have `value` as its number (an event number, an id)."""
    return 1 <= value <= STORED_INT_MAX


def _number_shown(value: int) -> str:
    """`value` for a message: a number past 64 bits (up to millions of digits) is not printed."""
    return f"#{value}" if value.bit_length() <= 64 else "with a number that large"


def _required(value: str, what: str) -> str:
    cleaned = _storable(value, what).strip()
    if not cleaned:
        raise InvalidInput(f"{what} is required")
    return cleaned


def _storable(value: str, what: str) -> str:
    """Refuse the one character no backend can store in text (NUL)."""
    if "\x00" in value:
        raise InvalidInput(f"{what} holds a NUL character (\\0), which cannot be stored: remove it")
    return value


def _choice(value: str, choices: Sequence[str], what: str) -> str:
    cleaned = value.strip()
    for choice in choices:
        if cleaned.lower() == choice.lower():
            return choice
    raise InvalidInput(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def milestone_name(name: str) -> str:
    """Normalise a milestone name (`retrospective-done` -> `retrospective_done`)."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if key not in MILESTONES:
        raise InvalidInput(f"unknown milestone {name!r}: use one of {', '.join(MILESTONES)}")
    return key


# --- typed times that need a confirmation ----------------------------------------------

START_MILESTONES: tuple[str, ...] = ("started", "detected")
"""Milestones that can put the incident's start before its declaration."""


def incident_start(declared_at: datetime, milestones: Mapping[str, datetime]) -> datetime:
    """When the incident started: the earliest of its declaration and the `started` and
    `detected` milestones that are set (`milestones`: name -> time, as `milestones()`)."""
    return min([declared_at, *(milestones[name] for name in START_MILESTONES if name in milestones)])


def _incident_start(session: Session, incident: Incident) -> datetime:
    return incident_start(incident.declared_at, _milestones(session, incident))


def _concerns(store: Store, at: datetime, *, now: datetime, start: datetime | None) -> list[str]:
    return time_concerns(
        at, now=now, tz=store.policy.tz, older_than=store.policy.confirm_times_older_than, incident_start=start
    )


def _needs_confirmation(store: Store, at: datetime, concerns: list[str]) -> NeedsConfirmation:
    shown = at.astimezone(store.policy.tz).strftime("%Y-%m-%d %H:%M %Z")
    return NeedsConfirmation(
        f"{shown} is {'; '.join(concerns)}: confirm it to write it at that time", concerns=concerns, at=at
    )


def line_concerns(
    store: Store, line: str, *, start: datetime | None, entered_at: datetime | None = None
) -> tuple[ScribeLine, list[str]]:
    """Parse a scribe line and say why its `@time` needs a confirmation (empty: it does not).

    For a screen to ask before it queues the line: `start` is the incident's
    `incident_start(declared_at, milestones)`; `entered_at` is when the line was entered
    (default: now). Raises ScribeLineError as `parse_line` does. `log(..., confirmed=True)`
    then writes it; without `confirmed` the same rule refuses it with NeedsConfirmation.
    """
    now = entered_at if entered_at is not None else store.now()
    parsed = parse_scribe_line(line, now=now, tz=store.policy.tz)
    if parsed.occurred_at is None:
        return parsed, []
    return parsed, _concerns(store, parsed.occurred_at, now=now, start=start)


def time_concerns_for(
    store: Store, ref: str, at: datetime, *, now: datetime | None = None, milestone: str | None = None
) -> list[str]:
    """Why a time given for incident `ref` (a `--at`) needs a confirmation; empty: it does not.

    The rule of `storage.timeparse.time_concerns` with the incident's own start and the
    policy's `confirm_times_older_than`. For the `started` and `detected` milestones,
    which move the start, a time before it is no concern.
    """
    with store.read() as session:
        incident = find_incident(session, ref)
        start = None if milestone in START_MILESTONES else _incident_start(session, incident)
    return _concerns(store, at, now=now if now is not None else store.now(), start=start)


# --- events ----------------------------------------------------------------------------


def add_event(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    text: str,
    occurred_at: datetime,
    logged_at: datetime,
    author: str,
    link: str | None = None,
    key: bool = False,
    detail: str | None = None,
    entry_id: str | None = None,
) -> Event:
    """Append one event to the timeline inside the caller's transaction."""
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"unknown event kind {kind!r}")
    last = session.execute(_LAST_SEQ, {"incident_id": incident.id}).scalar_one()
    event = Event(
        incident_id=incident.id,  # type: ignore[arg-type]
        seq=(last or 0) + 1,
        occurred_at=occurred_at,
        logged_at=logged_at,
        author=author,
        kind=kind,
        text=text,
        link=link,
        key=key,
        detail=detail,
        entry_id=entry_id,
    )
    event.change_number = touch(session, incident, logged_at)
    session.add(event)
    session.flush()
    return event


_LAST_SEQ = sa.select(sa.func.max(Event.seq)).where(Event.incident_id == sa.bindparam("incident_id"))
"""The incident's last event number (built once: every event reads it)."""


def touch(session: Session, incident: Incident, at: datetime) -> int:
    """Mark the incident changed, so live views pick the change up; the new change count.

    The caller holds the incident's row locked (or created it), so each count is taken and
    committed by one transaction at a time: a view that has seen count N has seen every
    change numbered N or lower."""
    incident.updated_at = at
    incident.change_count += 1
    session.add(incident)
    return incident.change_count


def parse_line(store: Store, line: str) -> ScribeLine:
    """Parse a scribe line with the store's clock and timezone."""
    return parse_scribe_line(line, now=store.now(), tz=store.policy.tz)


def log(
    store: Store,
    ref: str,
    line: str,
    *,
    author: str | None = None,
    at: datetime | None = None,
    entered_at: datetime | None = None,
    entry_id: str | None = None,
    confirmed: bool = False,
) -> Event:
    """Log one scribe line (see storage.grammar) to the incident's timeline.

    `entered_at` is when the line was entered, if it is written later (a line that waited
    for a busy database): its relative times count from then and it happened then.
    `entry_id` is the id the line got when it was entered: a line written again (a retry,
    a replay after a crash, a second process replaying it) returns the event already
    logged with that id instead of logging it twice.
    A time given (the line's `@time` or `at`) that is in the future, before the incident
    started or further back than the policy's `confirm_times_older_than` is refused with
    NeedsConfirmation unless `confirmed` (see `line_concerns`, which asks the same first).
    """
    if entry_id is not None:
        entry_id = _entry_id(entry_id)
    if entered_at is None:
        parsed = parse_line(store, line)
    else:
        parsed = parse_scribe_line(line, now=entered_at, tz=store.policy.tz)
    if parsed.occurred_at is not None and at is not None:
        raise InvalidInput("the line has its own @time and a separate time was given: keep one")
    given = parsed.occurred_at or at
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        if entry_id is not None:
            logged_id = session.execute(
                _EVENT_WITH_ENTRY, {"incident_id": incident.id, "entry_id": entry_id}
            ).scalar_one_or_none()
            if logged_id is not None:
                logged = session.get(Event, logged_id)
                assert logged is not None
                return logged
        if given is None:
            occurred_at = _when(store, entered_at)
        else:
            occurred_at = _when(store, given, allow_future=True)
            if not confirmed:
                now = entered_at if entered_at is not None else store.now()
                concerns = _concerns(store, occurred_at, now=now, start=_incident_start(session, incident))
                if concerns:
                    raise _needs_confirmation(store, occurred_at, concerns)
        return add_event(
            session,
            incident,
            kind=parsed.kind,
            text=parsed.text,
            occurred_at=occurred_at,
            logged_at=store.now(),
            author=author or store.user,
            link=parsed.link,
            key=parsed.key,
            entry_id=entry_id,
        )


_EVENT_WITH_ENTRY = sa.select(Event.id).where(
    Event.incident_id == sa.bindparam("incident_id"), Event.entry_id == sa.bindparam("entry_id")
)
"""The event logged with an entry id, if any: one look-up in the (incident, entry id) index
(built once: the Enter path runs it for every line)."""

_ENTRY_ID_RE = re.compile(r"[0-9A-Za-z_-]{1,64}")


def _entry_id(value: str) -> str:
    """A line's entry id: 1 to 64 letters, digits, `-` or `_`."""
    if not _ENTRY_ID_RE.fullmatch(value):
        raise InvalidInput(f"{quote_input(value)} is not an entry id: use 1 to 64 letters, digits, - or _")
    return value


def logged_entries(store: Store, ref: str, entry_ids: Sequence[str]) -> set[str]:
    """Which of `entry_ids` are already events of incident `ref`."""
    if not entry_ids:
        return set()
    with store.read() as session:
        incident = find_incident(session, ref)
        found: set[str] = set()
        for start in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[start : start + 500])
            found.update(
                entry
                for entry in session.exec(
                    select(Event.entry_id).where(Event.incident_id == incident.id, col(Event.entry_id).in_(chunk))
                ).all()
                if entry is not None
            )
        return found


def _find_event(session: Session, incident: Incident, seq: int) -> Event:
    if not _stored_number(seq):
        raise NotFound(f"{incident.ref} has no event {_number_shown(seq)}: events are numbered from 1")
    event = session.exec(select(Event).where(Event.incident_id == incident.id, Event.seq == seq)).first()
    if event is None:
        raise NotFound(f"{incident.ref} has no event #{seq}")
    return event


def _keep_revision(session: Session, event: Event, *, replaced_at: datetime, replaced_by: str) -> None:
    session.add(
        EventRevision(
            event_id=event.id,  # type: ignore[arg-type]
            revision=event.revision,
            occurred_at=event.occurred_at,
            kind=event.kind,
            text=event.text,
            link=event.link,
            key=event.key,
            struck=event.struck,
            replaced_at=replaced_at,
            replaced_by=replaced_by,
        )
    )
    event.revision += 1


def edit_event(store: Store, ref: str, seq: int, line: str, *, author: str | None = None) -> Event:
    """Replace an event's content with a new scribe line; the earlier version is kept."""
    parsed = parse_line(store, line)
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        event = _find_event(session, incident, seq)
        if event.kind not in TYPED_KINDS:
            raise InvalidInput(f"event #{seq} was written by the record ({event.kind}) and cannot be edited")
        _keep_revision(session, event, replaced_at=store.now(), replaced_by=author or store.user)
        event.text = parsed.text
        event.kind = parsed.kind
        event.key = parsed.key
        event.link = parsed.link
        if parsed.occurred_at is not None:
            event.occurred_at = _when(store, parsed.occurred_at)
        event.change_number = touch(session, incident, store.now())
        session.add(event)
        session.flush()
        return event


def strike_event(store: Store, ref: str, seq: int, *, author: str | None = None) -> Event:
    """Strike an event through (it stays in the record, marked struck)."""
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        event = _find_event(session, incident, seq)
        if event.struck:
            raise InvalidInput(f"event #{seq} is already struck")
        _keep_revision(session, event, replaced_at=store.now(), replaced_by=author or store.user)
        event.struck = True
        event.change_number = touch(session, incident, store.now())
        session.add(event)
        session.flush()
        return event


def event_history(store: Store, ref: str, seq: int) -> list[EventRevision]:
    """Every earlier version of an event, oldest first (the current one is the event)."""
    with store.read() as session:
        incident = find_incident(session, ref)
        event = _find_event(session, incident, seq)
        return list(
            session.exec(
                select(EventRevision).where(EventRevision.event_id == event.id).order_by(col(EventRevision.revision))
            ).all()
        )


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
                sa.or_(Incident.ref == base, col(Incident.ref).startswith(base + "-", autoescape=True))
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
    author: str | None = None,
) -> Incident:
    """Declare a new incident; the reference follows the naming policy and is unique."""
    level = store.policy.severity(severity).level
    functionality = _required(functionality, "functionality")
    state = _required(state, "state")
    audience = _required(audience, "audience")
    quantity = _choice(quantity_impacted, QUANTITIES, "quantity impacted")
    declared_at = _when(store, at)
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
                    customer_impact=customer_impact.strip(),
                    quantity_impacted=quantity,
                    known_impacted_customers=known_impacted_customers.strip(),
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
                    _assign(session, store, incident, "ic", ic, at=declared_at, author=author)
                return incident
        except Conflict:  # a concurrent declare took the same reference: pick the next
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def set_impact(
    store: Store,
    ref: str,
    *,
    customer_impact: str | None = None,
    quantity_impacted: str | None = None,
    known_impacted_customers: str | None = None,
    full_outage: bool | None = None,
) -> Incident:
    """Update what the incident does to customers."""
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        if customer_impact is not None:
            incident.customer_impact = customer_impact.strip()
        if quantity_impacted is not None:
            incident.quantity_impacted = _choice(quantity_impacted, QUANTITIES, "quantity impacted")
        if known_impacted_customers is not None:
            incident.known_impacted_customers = known_impacted_customers.strip()
        if full_outage is not None:
            incident.full_outage = full_outage
        touch(session, incident, store.now())
        return incident


# --- severity, status, milestones ------------------------------------------------------


def change_severity(
    store: Store, ref: str, severity: int | str, *, at: datetime | None = None, author: str | None = None
) -> Incident:
    """Move the incident to another severity; the history and the timeline record it."""
    level = store.policy.severity(severity).level
    author = author or store.user
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)
        if incident.severity == level:
            raise InvalidInput(f"{incident.ref} is already SEV{level}")
        previous = incident.severity
        incident.severity = level
        session.add(
            SeverityChange(
                incident_id=incident.id,  # type: ignore[arg-type]
                severity=level,
                at=when,
                logged_at=store.now(),
                author=author,
            )
        )
        verb = "Raised" if level < previous else "Lowered"
        add_event(
            session,
            incident,
            kind="severity",
            text=f"{verb} severity from SEV{previous} to SEV{level}",
            occurred_at=when,
            logged_at=store.now(),
            author=author,
            key=True,
            detail=f"SEV{level}",
        )
        return incident


def set_status(
    store: Store, ref: str, status: str, *, at: datetime | None = None, author: str | None = None
) -> Incident:
    """Set the incident's phase (investigating, identified, mitigated, resolved)."""
    status = _choice(status, STATUSES, "status")
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)
        _set_status(session, store, incident, status, when, author or store.user)
        return incident


def _set_status(
    session: Session, store: Store, incident: Incident, status: str, when: datetime, author: str
) -> None:
    if incident.status == status:
        return
    previous = incident.status
    incident.status = status
    add_event(
        session,
        incident,
        kind="status",
        text=f"Status changed from {previous} to {status}",
        occurred_at=when,
        logged_at=store.now(),
        author=author,
        detail=status,
    )


def set_milestone(
    store: Store, ref: str, name: str, *, at: datetime | None = None, author: str | None = None
) -> Milestone:
    """Mark a milestone reached at `at` (now by default); setting it again corrects it."""
    key = milestone_name(name)
    author = author or store.user
    label = key.replace("_", " ")
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)
        milestone = session.exec(
            select(Milestone).where(Milestone.incident_id == incident.id, Milestone.name == key)
        ).first()
        if milestone is None:
            milestone = Milestone(
                incident_id=incident.id,  # type: ignore[arg-type]
                name=key,
                at=when,
                set_at=store.now(),
                set_by=author,
            )
            text = f"Milestone: {label}"
        else:
            text = f"Milestone: {label} (corrected from {milestone.at.isoformat(timespec='seconds')})"
            milestone.at = when
            milestone.set_at = store.now()
            milestone.set_by = author
        session.add(milestone)
        add_event(
            session,
            incident,
            kind="milestone",
            text=text,
            occurred_at=when,
            logged_at=store.now(),
            author=author,
            key=True,
            detail=key,
        )
        if key in MILESTONE_STATUS:
            _set_status(session, store, incident, MILESTONE_STATUS[key], when, author)
        session.flush()
        return milestone


def milestones(store: Store, ref: str) -> dict[str, datetime]:
    """Milestone name -> time reached, for one incident."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return _milestones(session, incident)


def _milestones(session: Session, incident: Incident) -> dict[str, datetime]:
    rows = session.exec(select(Milestone).where(Milestone.incident_id == incident.id)).all()
    found = {m.name: m.at for m in rows}
    return {name: found[name] for name in MILESTONES if name in found}


# --- roles -----------------------------------------------------------------------------


def person_named(session: Session, name: str) -> Person:
    """The person with this name, created on first mention.

    Two transactions may mention a new name at once: the insert skips a name another one
    has inserted (on PostgreSQL it waits for that one to commit), so neither fails."""
    name = _required(name, "a person's name")
    check_text("person.name", name)  # the insert below is not a flush: the limits hook does not see it
    person = session.exec(select(Person).where(Person.name == name)).first()
    if person is None:
        dialect_insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
        session.execute(dialect_insert(Person).values(name=name, contact="").on_conflict_do_nothing(index_elements=["name"]))
        person = session.exec(select(Person).where(Person.name == name)).one()
    return person


def _current_holders(session: Session, incident: Incident, role: str) -> list[tuple[RoleAssignment, Person]]:
    return list(
        session.exec(
            select(RoleAssignment, Person)
            .join(Person, col(Person.id) == RoleAssignment.person_id)
            .where(
                RoleAssignment.incident_id == incident.id,
                RoleAssignment.role == role,
                col(RoleAssignment.ended_at).is_(None),
            )
            .order_by(col(RoleAssignment.started_at))
        ).all()
    )


def _assign(
    session: Session,
    store: Store,
    incident: Incident,
    role_key: str,
    person_name: str,
    *,
    at: datetime,
    author: str,
    note: str = "",
) -> RoleAssignment:
    role = store.policy.role(role_key)
    person = person_named(session, person_name)
    holders = _current_holders(session, incident, role.key)
    if any(p.id == person.id for _, p in holders):
        raise InvalidInput(f"{person.name} already holds {role.name} on {incident.ref}")
    handed_from: list[str] = []
    if not role.many:
        for assignment, previous in holders:
            if at < assignment.started_at:
                raise InvalidInput(
                    f"{previous.name} took {role.name} at {assignment.started_at.isoformat(timespec='seconds')}: "
                    "a handover cannot be earlier"
                )
            assignment.ended_at = at
            session.add(assignment)
            handed_from.append(previous.name)
    assignment = RoleAssignment(
        incident_id=incident.id,  # type: ignore[arg-type]
        role=role.key,
        person_id=person.id,  # type: ignore[arg-type]
        note=note.strip(),
        started_at=at,
    )
    session.add(assignment)
    what = f"{role.name} ({note.strip()})" if note.strip() else role.name
    text = (
        f"{person.name} took over {what} from {', '.join(handed_from)}"
        if handed_from
        else f"{person.name} is {what}"
    )
    add_event(
        session,
        incident,
        kind="role",
        text=text,
        occurred_at=at,
        logged_at=store.now(),
        author=author,
        detail=role.key,
    )
    return assignment


def assign_role(
    store: Store,
    ref: str,
    role: str,
    person: str,
    *,
    at: datetime | None = None,
    note: str = "",
    author: str | None = None,
) -> RoleAssignment:
    """Give a role to a person; for a single-holder role this is a handover."""
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)  # after the lock: never before a handover stored meanwhile
        return _assign(session, store, incident, role, person, at=when, author=author or store.user, note=note)


def release_role(
    store: Store, ref: str, role: str, person: str, *, at: datetime | None = None, author: str | None = None
) -> RoleAssignment:
    """End a person's hold on a role without naming a successor."""
    role_policy = store.policy.role(role)
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)
        for assignment, holder in _current_holders(session, incident, role_policy.key):
            if holder.name == person.strip():
                assignment.ended_at = when
                session.add(assignment)
                add_event(
                    session,
                    incident,
                    kind="role",
                    text=f"{holder.name} stepped down as {role_policy.name}",
                    occurred_at=when,
                    logged_at=store.now(),
                    author=author or store.user,
                    detail=role_policy.key,
                )
                return assignment
        raise InvalidInput(f"{person.strip()} does not hold {role_policy.name} on {incident.ref}")


@dataclass(frozen=True)
class RoleHolding:
    """One stretch of a person holding a role."""

    role: str
    person: str
    started_at: datetime
    ended_at: datetime | None
    note: str


def role_history(store: Store, ref: str) -> list[RoleHolding]:
    """Every role assignment of an incident, current and past, in time order."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return _role_history(session, incident)


def _role_history(session: Session, incident: Incident) -> list[RoleHolding]:
    rows = session.exec(
        select(RoleAssignment, Person)
        .join(Person, col(Person.id) == RoleAssignment.person_id)
        .where(RoleAssignment.incident_id == incident.id)
        .order_by(col(RoleAssignment.started_at), col(RoleAssignment.id))
    ).all()
    return [RoleHolding(a.role, p.name, a.started_at, a.ended_at, a.note) for a, p in rows]


# --- communications, action items, links -----------------------------------------------


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
    channel = _choice(channel, UPDATE_CHANNELS, "update channel")
    kind = _required(kind, "the update kind")
    author = author or store.user
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        when = _when(store, at)
        update = StatusUpdate(
            incident_id=incident.id,  # type: ignore[arg-type]
            channel=channel,
            kind=kind,
            subject=subject,
            body=body,
            sent_at=when,
            author=author,
            posted=posted,
        )
        session.add(update)
        label = {"checkin": "Responder check-in", "internal": "Internal update", "status_page": "Status page update"}
        add_event(
            session,
            incident,
            kind="update",
            text=f"{label[channel]} sent ({kind})" + (f": {subject}" if subject else ""),
            occurred_at=when,
            logged_at=store.now(),
            author=author,
            detail=channel,
        )
        session.flush()
        return update


def status_updates(store: Store, ref: str) -> list[StatusUpdate]:
    """Updates sent for an incident, oldest first."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return list(
            session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.incident_id == incident.id)
                .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
            ).all()
        )


def _sev_tags(session: Session, store: Store, incident: Incident) -> list[str]:
    worst = session.exec(
        select(sa.func.min(SeverityChange.severity)).where(SeverityChange.incident_id == incident.id)
    ).one()
    level = worst or incident.severity
    day = incident.declared_at.astimezone(store.policy.tz).strftime("%Y%m%d")
    return [f"sev{level}_{day}", f"sev{level}"]


def _due(store: Store, due: date | None) -> date | None:
    """`due`, refused when outside the range of times warroom accepts (`due_date_problem`)."""
    if due is not None and (problem := due_date_problem(due, now=store.now())) is not None:
        raise InvalidInput(problem)
    return due


def add_action_item(
    store: Store,
    ref: str,
    title: str,
    *,
    owner: str = "",
    priority: str = "P1",
    due_date: date | None = None,
    ticket_url: str = "",
    category: str = "",
    tags: Sequence[str] = (),
    state: str = "open",
) -> ActionItem:
    """Add a follow-up; the incident's `sevN_YYYYMMDD` and `sevN` tags are added for you."""
    title = _required(title, "an action item's title")
    priority = _choice(priority, PRIORITIES, "priority")
    state = _choice(state, ACTION_ITEM_STATES, "action item state")
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        all_tags: list[str] = []
        for tag in [*_sev_tags(session, store, incident), *tags]:
            tag = tag.strip()
            if "," in tag:  # tags are kept comma-separated: it would come back as two
                raise InvalidInput(f"a tag cannot hold a comma: {quote_input(tag)} (give each tag on its own)")
            if tag and tag not in all_tags:
                all_tags.append(tag)
        item = ActionItem(
            incident_id=incident.id,  # type: ignore[arg-type]
            title=title,
            owner=owner.strip(),
            priority=priority,
            tags=",".join(all_tags),
            due_date=_due(store, due_date),
            ticket_url=ticket_url.strip(),
            state=state,
            category=category.strip(),
            created_at=store.now(),
        )
        session.add(item)
        session.flush()
        return item


def action_items(store: Store, ref: str) -> list[ActionItem]:
    """An incident's action items in the order they were added."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return list(
            session.exec(
                select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(col(ActionItem.id))
            ).all()
        )


def link_incidents(store: Store, primary_ref: str, ref: str, *, author: str | None = None) -> Incident:
    """Group incident `ref` under `primary_ref` (related incidents share one primary)."""
    author = author or store.user
    with store.write() as session:
        primary = find_incident(session, primary_ref, lock=True)
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


def severity_history(store: Store, ref: str) -> list[SeverityChange]:
    """The severity history of an incident, oldest first."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return _severity_history(session, incident)


def _severity_history(session: Session, incident: Incident) -> list[SeverityChange]:
    return list(
        session.exec(
            select(SeverityChange)
            .where(SeverityChange.incident_id == incident.id)
            .order_by(col(SeverityChange.at), col(SeverityChange.id))
        ).all()
    )


# --- post-mortem -----------------------------------------------------------------------

POSTMORTEM_NUMBERS: tuple[str, ...] = (
    "notifications_out_of_sla",
    "events_dropped",
    "accounts_affected",
    "users_affected",
)


def update_postmortem(
    store: Store,
    ref: str,
    *,
    owner: str | None = None,
    status: str | None = None,
    meeting_at: datetime | None = None,
    recording_url: str | None = None,
    support_requests: str | None = None,
    numbers: dict[str, int | None] | None = None,
    sections: dict[str, str] | None = None,
) -> Postmortem:
    """Create or update an incident's post-mortem; only the fields given change."""
    if status is not None:
        status = _choice(status, POSTMORTEM_STATUSES, "post-mortem status")
    known_sections = {key for key, _ in POSTMORTEM_SECTIONS}
    for key in sections or {}:
        if key not in known_sections:
            raise InvalidInput(f"unknown post-mortem section {key!r}: use one of {', '.join(sorted(known_sections))}")
    for key, value in (numbers or {}).items():
        if key not in POSTMORTEM_NUMBERS:
            raise InvalidInput(f"unknown impact number {key!r}: use one of {', '.join(POSTMORTEM_NUMBERS)}")
        if value is not None and value < 0:
            raise InvalidInput(f"{key.replace('_', ' ')} cannot be negative")
        if value is not None and value > STORED_INT_MAX:
            raise InvalidInput(f"{key.replace('_', ' ')} is too large: at most {STORED_INT_MAX:,}")
    now = store.now()
    if meeting_at is not None:
        _in_range(meeting_at, now)
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        postmortem = session.exec(select(Postmortem).where(Postmortem.incident_id == incident.id)).first()
        if postmortem is None:
            postmortem = Postmortem(incident_id=incident.id, updated_at=now)  # type: ignore[arg-type]
        if owner is not None:
            postmortem.owner = owner.strip()
        if status is not None:
            postmortem.status = status
        if meeting_at is not None:
            postmortem.meeting_at = meeting_at
        if recording_url is not None:
            postmortem.recording_url = recording_url.strip()
        if support_requests is not None:
            postmortem.support_requests = support_requests
        for key, value in (numbers or {}).items():
            setattr(postmortem, key, value)
        postmortem.updated_at = now
        session.add(postmortem)
        session.flush()
        for key, body in (sections or {}).items():
            section = session.exec(
                select(PostmortemSection).where(
                    PostmortemSection.postmortem_id == postmortem.id, PostmortemSection.key == key
                )
            ).first()
            if section is None:
                section = PostmortemSection(postmortem_id=postmortem.id, key=key, updated_at=now)  # type: ignore[arg-type]
            section.body = body
            section.updated_at = now
            session.add(section)
        touch(session, incident, now)
        session.flush()
        return postmortem


def log_many(
    store: Store,
    ref: str,
    lines: Sequence[tuple[str, datetime | None]],
    *,
    author: str | None = None,
) -> int:
    """Log many scribe lines, each with an optional time, in one transaction (all or none).

    For pasting a batch of notes or loading a large incident; every line goes through
    the same grammar as `log`. Returns how many events were written.
    """
    author = check_text("event.author", author or store.user) or ""
    logged_at = store.now()
    parsed = []
    for number, (line, at) in enumerate(lines, start=1):
        try:
            item = parse_line(store, line)
            parsed.append((item, _when(store, item.occurred_at or at)))
        except InvalidInput as exc:
            raise InvalidInput(f"line {number}: {exc}") from None
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        last = session.exec(select(sa.func.max(Event.seq)).where(Event.incident_id == incident.id)).one() or 0
        change_number = touch(session, incident, logged_at)
        rows = [
            {
                "incident_id": incident.id,
                "seq": last + offset,
                "occurred_at": occurred_at,
                "logged_at": logged_at,
                "author": author,
                "kind": item.kind,
                "text": item.text,
                "link": item.link,
                "key": item.key,
                "detail": None,
                "struck": False,
                "revision": 1,
                "change_number": change_number,
            }
            for offset, (item, occurred_at) in enumerate(parsed, start=1)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(Event), rows[start : start + 5000])
        return len(rows)


def update_action_item(
    store: Store,
    ref: str,
    item_id: int,
    *,
    title: str | None = None,
    owner: str | None = None,
    priority: str | None = None,
    due_date: date | None | str = "",
    ticket_url: str | None = None,
    state: str | None = None,
) -> ActionItem:
    """Change an action item of `ref`; only the fields given change (`due_date=None` clears it)."""
    with store.write() as session:
        incident = find_incident(session, ref, lock=True)
        item = session.get(ActionItem, item_id) if _stored_number(item_id) else None
        if item is None or item.incident_id != incident.id:
            raise NotFound(f"{incident.ref} has no action item {_number_shown(item_id)}")
        if title is not None:
            item.title = _required(title, "an action item's title")
        if owner is not None:
            item.owner = _storable(owner, "the owner").strip()
        if priority is not None:
            item.priority = _choice(priority, PRIORITIES, "priority")
        if due_date != "":
            item.due_date = _due(store, due_date)  # type: ignore[arg-type]
        if ticket_url is not None:
            item.ticket_url = _storable(ticket_url, "the ticket link").strip()
        if state is not None:
            item.state = _choice(state, ACTION_ITEM_STATES, "action item state")
        session.add(item)
        touch(session, incident, store.now())
        session.flush()
        return item
