"""Checklists: the response process, the resolution criteria and the follow-ups.

Three things an incident commander keeps an eye on, all read from the record:

- The **process checklist**: the fixed steps of a response (decide, declare, triage,
  communicate, mitigate, resolve). Decide and declare have deadlines counted from
  detection (`policy.process.decide_within` / `declare_within`). A step whose state the
  record already shows counts as done by itself; the others are ticked by hand, and a
  tick is stored (a `ChecklistItem` row in the "process" list) and logged on the timeline.
- The **resolution criteria**: what must hold before the incident may be resolved.
  `resolve` refuses while any is unmet, unless forced, and a forced resolution says so
  on the timeline.
- The **follow-ups**: after resolution, each person who held a role (now or earlier in
  the incident) gets that role's follow-up steps from the policy, ticked one by one.

Rules for steps done "from the record":

| step        | done when                                                           |
| ----------- | ------------------------------------------------------------------- |
| decide      | always: the incident was declared (done at the declaration time)    |
| declare     | someone has held IC and an internal update of kind `initial` was sent |
| triage      | only by a tick (paging and engaging responders are not recorded)      |
| communicate | an internal update other than the `initial` one was sent             |
| mitigate    | the `mitigated` milestone is set                                      |
| resolve     | the `resolved` milestone is set                                       |

An explicit tick, when there is one, gives the step's done time and person.

The resolution criteria:

- `durable_mitigation`: the `mitigated` milestone is set AND a note, action or decision
  (not struck) says the mitigation is durable: its text contains "durable", and not
  negated ("not durable", "isn't durable", "non-durable"). Or, without either, someone
  ticked the step `durable_mitigation`.
- `ic_signoff`: the current Incident Commander signed off the record (`sign_off`); a
  sign-off by an earlier IC does not count after a handover.
- `retrospective_scheduled`: the post-mortem has a meeting time.
- `final_update_sent`: an internal update of kind `resolved` was recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.models import (
    ChecklistItem,
    Event,
    Incident,
    Milestone,
    Person,
    Postmortem,
    RoleAssignment,
    StatusUpdate,
)
from storage.timeparse import out_of_range

PROCESS = "process"
FOLLOWUP = "followup"

PROCESS_STEPS: tuple[tuple[str, str], ...] = (
    ("decide", "Decide whether this is an incident"),
    ("declare", "Name an IC, declare and send the initial communication"),
    ("triage", "Engage responders and page the owning team"),
    ("communicate", "Send updates on the severity's cadence"),
    ("mitigate", "Mitigate the customer impact"),
    ("resolve", "Meet the resolution criteria and resolve"),
)
"""The response steps, in order: key and label."""

DURABLE_KEY = "durable_mitigation"
SIGNOFF_KEY = "ic_signoff"

EXTRA_LABELS: dict[str, str] = {
    DURABLE_KEY: "Mitigation confirmed durable",
    SIGNOFF_KEY: "IC signed off on the record",
}
"""Process-list rows that are not steps of their own but feed the resolution criteria."""

TICKABLE: tuple[str, ...] = ("declare", "triage", "communicate", DURABLE_KEY)
"""Keys `tick_step` accepts (decide, mitigate and resolve follow the record only)."""

CRITERIA: tuple[tuple[str, str], ...] = (
    ("durable_mitigation", "Mitigation is durable"),
    ("ic_signoff", "IC has reviewed and signed off the record"),
    ("retrospective_scheduled", "Retrospective is scheduled"),
    ("final_update_sent", "Final update is sent"),
)
"""The resolution criteria, in order: key and label."""

_TYPED_FOR_DURABLE = ("note", "action", "decision")
_NEGATED_DURABLE = re.compile(r"\b(?:not|isn't|isnt|is not|no longer)\s+durable\b|\bnon-?\s*durable\b", re.IGNORECASE)

_STEP_LABELS = dict(PROCESS_STEPS)
_POSITIONS = {key: n for n, key in enumerate([*_STEP_LABELS, *EXTRA_LABELS])}


@dataclass(frozen=True)
class Step:
    """One process step as it stands now.

    `auto`: the done time comes from the record, not a tick (so it cannot be unticked).
    `late`: done, but after its due time.
    """

    key: str
    label: str
    due_at: datetime | None
    done_at: datetime | None
    done_by: str
    overdue: bool
    auto: bool = False
    late: bool = False

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Criterion:
    """One resolution criterion: met or not, and why in a few words."""

    key: str
    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class FollowUp:
    """One follow-up step of one person for one role they held."""

    key: str
    role: str
    label: str
    done_at: datetime | None
    done_by: str

    @property
    def done(self) -> bool:
        return self.done_at is not None


# --- reading the record ----------------------------------------------------------------


@dataclass
class _Record:
    incident: Incident
    milestones: dict[str, Milestone]
    updates: list[StatusUpdate]
    roles: list[tuple[RoleAssignment, str]]
    declared_by: str
    ticks: dict[tuple[str, str, str], ChecklistItem]


def _load(session: Session, incident: Incident) -> _Record:
    milestones = {m.name: m for m in session.exec(select(Milestone).where(Milestone.incident_id == incident.id)).all()}
    updates = list(
        session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.incident_id == incident.id)
            .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
        ).all()
    )
    roles = [
        (assignment, name)
        for assignment, name in session.exec(
            select(RoleAssignment, Person.name)
            .join(Person, col(Person.id) == RoleAssignment.person_id)
            .where(RoleAssignment.incident_id == incident.id)
            .order_by(col(RoleAssignment.started_at), col(RoleAssignment.id))
        ).all()
    ]
    declared_by = session.exec(
        select(Event.author).where(Event.incident_id == incident.id, Event.kind == "declared").order_by(col(Event.seq))
    ).first()
    items = session.exec(select(ChecklistItem).where(ChecklistItem.incident_id == incident.id)).all()
    return _Record(
        incident=incident,
        milestones=milestones,
        updates=updates,
        roles=roles,
        declared_by=declared_by or "",
        ticks={(i.list, i.key, i.person): i for i in items},
    )


def _tick(record: _Record, key: str) -> ChecklistItem | None:
    """The process-list row for `key` when it is ticked."""
    item = record.ticks.get((PROCESS, key, ""))
    return item if item is not None and item.done_at is not None else None


def _current_ic(record: _Record) -> str | None:
    for assignment, name in reversed(record.roles):
        if assignment.role == "ic" and assignment.ended_at is None:
            return name
    return None


def _start(record: _Record) -> datetime:
    """Where the decide/declare deadlines count from: detection, else the start, else the declaration."""
    for name in ("detected", "started"):
        if name in record.milestones:
            return record.milestones[name].at
    return record.incident.declared_at


def _internal(record: _Record, kind: str | None = None, *, other_than: str | None = None) -> StatusUpdate | None:
    """The first internal update of `kind` (or of any kind but `other_than`)."""
    for update in record.updates:
        if update.channel != "internal":
            continue
        found = update.kind.strip().lower()
        if kind is not None and found != kind:
            continue
        if other_than is not None and found == other_than:
            continue
        return update
    return None


def _from_record(record: _Record, key: str) -> tuple[datetime, str] | None:
    """When and by whom the record shows step `key` done, if it does."""
    if key == "decide":
        return record.incident.declared_at, record.declared_by
    if key == "declare":
        ics = [assignment for assignment, _ in record.roles if assignment.role == "ic"]
        initial = _internal(record, "initial")
        if ics and initial is not None:
            return max(ics[0].started_at, initial.sent_at), initial.author
        return None
    if key == "communicate":
        update = _internal(record, other_than="initial")
        return (update.sent_at, update.author) if update is not None else None
    milestone = {"mitigate": "mitigated", "resolve": "resolved"}.get(key)
    if milestone is not None and milestone in record.milestones:
        reached = record.milestones[milestone]
        return reached.at, reached.set_by
    return None


def _steps(store: Store, record: _Record) -> list[Step]:
    now = store.now()
    start = _start(record)
    due_after = {"decide": store.policy.process.decide_within, "declare": store.policy.process.declare_within}
    steps = []
    for key, label in PROCESS_STEPS:
        due_at = start + due_after[key] if key in due_after else None
        tick = _tick(record, key)
        auto = False
        done_at: datetime | None = None
        done_by = ""
        if tick is not None:
            done_at, done_by = tick.done_at, tick.done_by
        else:
            derived = _from_record(record, key)
            if derived is not None:
                (done_at, done_by), auto = derived, True
        steps.append(
            Step(
                key=key,
                label=label,
                due_at=due_at,
                done_at=done_at,
                done_by=done_by,
                overdue=done_at is None and due_at is not None and now > due_at,
                auto=auto,
                late=done_at is not None and due_at is not None and done_at > due_at,
            )
        )
    return steps


def _durable_event(session: Session, incident: Incident) -> Event | None:
    candidates = session.exec(
        select(Event)
        .where(
            Event.incident_id == incident.id,
            col(Event.kind).in_(_TYPED_FOR_DURABLE),
            sa.not_(col(Event.struck)),
            col(Event.text).ilike("%durable%"),
        )
        .order_by(col(Event.occurred_at), col(Event.seq))
    ).all()
    for event in candidates:
        if not _NEGATED_DURABLE.search(event.text):
            return event
    return None


def _criteria(store: Store, session: Session, record: _Record) -> list[Criterion]:
    incident = record.incident
    labels = dict(CRITERIA)
    results: list[Criterion] = []

    # durable mitigation
    tick = _tick(record, DURABLE_KEY)
    mitigated = record.milestones.get("mitigated")
    event = _durable_event(session, incident) if mitigated is not None else None
    if tick is not None:
        met, detail = True, f"confirmed by {tick.done_by or 'someone'} at {_shown(store, tick.done_at)}"
    elif mitigated is None:
        met, detail = False, "the mitigated milestone is not set"
    elif event is not None:
        met, detail = True, f"mitigated at {_shown(store, mitigated.at)}; #{event.seq}: {event.text}"
    else:
        met, detail = False, (
            f"mitigated at {_shown(store, mitigated.at)}, but no note, action or decision says the "
            f"mitigation is durable (or tick {DURABLE_KEY})"
        )
    results.append(Criterion("durable_mitigation", labels["durable_mitigation"], met, detail))

    # IC sign-off
    signed = _tick(record, SIGNOFF_KEY)
    ic = _current_ic(record)
    if ic is None:
        met, detail = False, "no Incident Commander is named"
    elif signed is None:
        met, detail = False, f"{ic} (IC) has not signed off the record yet"
    elif signed.done_by.casefold() != ic.casefold():
        met, detail = False, f"signed off by {signed.done_by}, but {ic} is IC now and must sign off"
    else:
        met, detail = True, f"signed off by {signed.done_by} at {_shown(store, signed.done_at)}"
    results.append(Criterion("ic_signoff", labels["ic_signoff"], met, detail))

    # retrospective
    meeting = session.exec(select(Postmortem.meeting_at).where(Postmortem.incident_id == incident.id)).first()
    if meeting is not None:
        met, detail = True, f"retrospective at {_shown(store, meeting)}"
    else:
        met, detail = False, "the post-mortem has no meeting time"
    results.append(Criterion("retrospective_scheduled", labels["retrospective_scheduled"], met, detail))

    # final update
    final = _internal(record, "resolved")
    if final is not None:
        met, detail = True, f"internal resolved update sent at {_shown(store, final.sent_at)}"
    else:
        met, detail = False, "no internal update of kind 'resolved' was recorded"
    results.append(Criterion("final_update_sent", labels["final_update_sent"], met, detail))
    return results


def _shown(store: Store, at: datetime | None) -> str:
    if at is None:
        return "?"
    return at.astimezone(store.policy.tz).strftime("%Y-%m-%d %H:%M %Z")


def _when(store: Store, at: datetime | None) -> datetime:
    """`at`, or now; a time without a zone or in the future is refused."""
    now = store.now()
    if at is None:
        return now
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("a time needs a timezone")
    problem = out_of_range(at, now=now)
    if problem is not None:
        raise InvalidInput(f"{at.isoformat()} is {problem}")
    if at - now > ops.FUTURE_TOLERANCE:
        raise InvalidInput(f"{at.isoformat()} is in the future: a step is ticked when it is done or after")
    return at.astimezone(now.tzinfo)


def _step_key(key: str, allowed: tuple[str, ...]) -> str:
    cleaned = re.sub(r"[\s-]+", "_", key.strip().lower())
    if cleaned not in allowed:
        raise InvalidInput(f"unknown checklist step {key!r}: use one of {', '.join(allowed)}")
    return cleaned


def _label(key: str) -> str:
    return _STEP_LABELS.get(key) or EXTRA_LABELS[key]


# --- the process checklist -------------------------------------------------------------


def process_checklist(store: Store, ref: str) -> list[Step]:
    """The response steps of an incident with their due times and state, in order."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        return _steps(store, _load(session, incident))


def _set_tick(
    session: Session, incident: Incident, record: _Record, key: str, *, at: datetime | None, by: str
) -> ChecklistItem:
    item = record.ticks.get((PROCESS, key, ""))
    if item is None:
        item = ChecklistItem(
            incident_id=incident.id,  # type: ignore[arg-type]
            list=PROCESS,
            key=key,
            label=_label(key),
            position=_POSITIONS[key],
        )
    item.done_at = at
    item.done_by = by
    session.add(item)
    return item


def tick_step(
    store: Store, ref: str, key: str, *, author: str | None = None, at: datetime | None = None
) -> Step | Criterion:
    """Tick a process step done (at `at`, now by default); the timeline records it.

    Returns the step as it now stands (for `durable_mitigation`, its criterion).
    """
    allowed = (*_STEP_LABELS, DURABLE_KEY)
    key = _step_key(key, allowed)
    if key == "mitigate":
        raise InvalidInput("mitigate follows the mitigated milestone: set that milestone instead of ticking")
    if key == "resolve":
        raise InvalidInput("resolve follows the resolved milestone: resolve the incident, which checks the criteria")
    when = _when(store, at)
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        record = _load(session, incident)
        tick = _tick(record, key)
        if tick is not None:
            raise InvalidInput(
                f"{key} is already ticked (by {tick.done_by or 'someone'} at {_shown(store, tick.done_at)}): "
                "untick it first to tick it again"
            )
        derived = _from_record(record, key) if key in _STEP_LABELS else None
        if derived is not None:
            raise InvalidInput(
                f"{key} is already done: the record shows it at {_shown(store, derived[0])}"
                + (f" by {derived[1]}" if derived[1] else "")
            )
        item = _set_tick(session, incident, record, key, at=when, by=author)
        ops.add_event(
            session,
            incident,
            kind="checklist",
            text=f"Checklist: {item.label}",
            occurred_at=when,
            logged_at=store.now(),
            author=author,
            detail=key,
        )
        session.flush()
        record.ticks[(PROCESS, key, "")] = item
        if key == DURABLE_KEY:
            return _criteria(store, session, record)[0]
        return next(step for step in _steps(store, record) if step.key == key)


def untick_step(store: Store, ref: str, key: str, *, author: str | None = None) -> None:
    """Clear a tick (a step, `durable_mitigation`, or the IC's `ic_signoff`); the timeline records it."""
    allowed = (*_STEP_LABELS, DURABLE_KEY, SIGNOFF_KEY)
    key = _step_key(key, allowed)
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        record = _load(session, incident)
        tick = _tick(record, key)
        if tick is None:
            derived = _from_record(record, key) if key in _STEP_LABELS else None
            if derived is not None:
                raise InvalidInput(f"{key} follows from the record (done at {_shown(store, derived[0])}): there is no tick to clear")
            raise InvalidInput(f"{key} is not ticked")
        label = tick.label
        tick.done_at = None
        tick.done_by = ""
        session.add(tick)
        now = store.now()
        ops.add_event(
            session,
            incident,
            kind="checklist",
            text="IC sign-off withdrawn" if key == SIGNOFF_KEY else f"Checklist: unticked {label}",
            occurred_at=now,
            logged_at=now,
            author=author,
            key=key == SIGNOFF_KEY,
            detail=key,
        )


# --- resolution ------------------------------------------------------------------------


def resolution_criteria(store: Store, ref: str) -> list[Criterion]:
    """The resolution criteria and whether each is met now."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        return _criteria(store, session, _load(session, incident))


def sign_off(store: Store, ref: str, *, author: str | None = None, at: datetime | None = None) -> Criterion:
    """The current IC signs off that the record (timeline and data) is as accurate as it can be."""
    when = _when(store, at)
    author = (author or store.user).strip()
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        record = _load(session, incident)
        ic = _current_ic(record)
        if ic is None:
            raise InvalidInput(f"{incident.ref} has no Incident Commander: name one, who then signs off")
        if author.casefold() != ic.casefold():
            raise InvalidInput(f"only the Incident Commander ({ic}) can sign off the record, not {author}")
        signed = _tick(record, SIGNOFF_KEY)
        if signed is not None and signed.done_by.casefold() == ic.casefold():
            raise InvalidInput(f"{ic} already signed off the record at {_shown(store, signed.done_at)}")
        item = _set_tick(session, incident, record, SIGNOFF_KEY, at=when, by=ic)
        ops.add_event(
            session,
            incident,
            kind="checklist",
            text="IC signed off on the record",
            occurred_at=when,
            logged_at=store.now(),
            author=ic,
            key=True,
            detail=SIGNOFF_KEY,
        )
        session.flush()
        record.ticks[(PROCESS, SIGNOFF_KEY, "")] = item
        return _criteria(store, session, record)[1]


def resolve(
    store: Store, ref: str, *, force: bool = False, author: str | None = None, at: datetime | None = None
) -> list[Criterion]:
    """Resolve the incident once every resolution criterion is met (or anyway, when forced).

    Refused (nothing written) while a criterion is unmet and `force` is false. A forced
    resolution with unmet criteria adds a key event naming them. The follow-ups of
    everyone who held a role are created. Returns the criteria as they stood.
    """
    author = author or store.user
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        record = _load(session, incident)
        if "resolved" in record.milestones:
            raise InvalidInput(
                f"{incident.ref} was already resolved at {_shown(store, record.milestones['resolved'].at)}: "
                "set the resolved milestone to correct the time"
            )
        criteria = _criteria(store, session, record)
        ref = incident.ref
    unmet = [c for c in criteria if not c.met]
    if unmet and not force:
        listed = "; ".join(f"{c.label} ({c.detail})" for c in unmet)
        raise InvalidInput(
            f"{ref} cannot be resolved yet, {len(unmet)} of {len(criteria)} criteria unmet: {listed}. "
            "Meet them, or force the resolution (the timeline will say so)"
        )
    milestone = ops.set_milestone(store, ref, "resolved", at=at, author=author)
    if unmet:
        with store.write() as session:
            incident = ops.find_incident(session, ref, lock=True)
            ops.add_event(
                session,
                incident,
                kind="checklist",
                text="Resolved with unmet criteria: " + ", ".join(c.label for c in unmet),
                occurred_at=milestone.at,
                logged_at=store.now(),
                author=author,
                key=True,
                detail="resolved_unmet",
            )
    create_followups(store, ref)
    return criteria


# --- follow-ups ------------------------------------------------------------------------


def create_followups(store: Store, ref: str) -> int:
    """Give everyone who held a role their role's follow-up steps; returns how many were new.

    Idempotent: items that exist already are left alone, so calling it again only adds
    steps for people who took a role since.
    """
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        record = _load(session, incident)
        existing = {(key, person) for (kind, key, person) in record.ticks if kind == FOLLOWUP}
        position = max((i.position for i in record.ticks.values() if i.list == FOLLOWUP), default=-1)
        created = 0
        for role_key, role in store.policy.roles.items():
            people: list[str] = []
            for assignment, name in record.roles:
                if assignment.role == role_key and name not in people:
                    people.append(name)
            for person in people:
                for number, text in enumerate(role.follow_up, start=1):
                    key = f"{role_key}.{number}"
                    if (key, person) in existing:
                        continue
                    position += 1
                    created += 1
                    session.add(
                        ChecklistItem(
                            incident_id=incident.id,  # type: ignore[arg-type]
                            list=FOLLOWUP,
                            key=key,
                            person=person,
                            role=role_key,
                            label=text,
                            position=position,
                        )
                    )
        if created:
            ops.touch(session, incident, store.now())
        return created


def _followup_rows(session: Session, incident: Incident) -> list[ChecklistItem]:
    return list(
        session.exec(
            select(ChecklistItem)
            .where(ChecklistItem.incident_id == incident.id, ChecklistItem.list == FOLLOWUP)
            .order_by(col(ChecklistItem.position), col(ChecklistItem.id))
        ).all()
    )


def followups(store: Store, ref: str) -> dict[str, list[FollowUp]]:
    """Person -> their follow-up steps, in the order they were created."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        result: dict[str, list[FollowUp]] = {}
        for item in _followup_rows(session, incident):
            result.setdefault(item.person, []).append(
                FollowUp(key=item.key, role=item.role, label=item.label, done_at=item.done_at, done_by=item.done_by)
            )
        return result


def _find_followup(session: Session, incident: Incident, person: str, key: str) -> ChecklistItem:
    rows = _followup_rows(session, incident)
    person = person.strip()
    mine = [row for row in rows if row.person == person]
    if not mine:
        people = list(dict.fromkeys(row.person for row in rows))
        if not people:
            raise InvalidInput(f"{incident.ref} has no follow-ups yet: they are made when it is resolved")
        raise InvalidInput(f"{person} has no follow-ups on {incident.ref}: people with follow-ups are {', '.join(people)}")
    for row in mine:
        if row.key == key.strip():
            return row
    raise InvalidInput(f"{person} has no follow-up {key!r}: use one of {', '.join(row.key for row in mine)}")


def tick_followup(
    store: Store, ref: str, person: str, key: str, *, author: str | None = None, at: datetime | None = None
) -> FollowUp:
    """Tick one of a person's follow-ups done."""
    when = _when(store, at)
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        item = _find_followup(session, incident, person, key)
        if item.done_at is not None:
            raise InvalidInput(
                f"{item.person}'s follow-up {item.key} is already ticked "
                f"(by {item.done_by or 'someone'} at {_shown(store, item.done_at)})"
            )
        item.done_at = when
        item.done_by = author
        session.add(item)
        ops.touch(session, incident, store.now())
        return FollowUp(item.key, item.role, item.label, item.done_at, item.done_by)


def untick_followup(store: Store, ref: str, person: str, key: str, *, author: str | None = None) -> FollowUp:
    """Clear the tick of one of a person's follow-ups (`author` is taken for symmetry; nothing is logged)."""
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        item = _find_followup(session, incident, person, key)
        if item.done_at is None:
            raise InvalidInput(f"{item.person}'s follow-up {item.key} is not ticked")
        item.done_at = None
        item.done_by = ""
        session.add(item)
        ops.touch(session, incident, store.now())
        return FollowUp(item.key, item.role, item.label, item.done_at, item.done_by)
