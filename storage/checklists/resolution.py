"""The resolution criteria, the IC's sign-off, and resolving an incident once they are met."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from storage import ops, render
from storage.checklists.followups import create_followups
from storage.checklists.record import (
    CRITERIA,
    DURABLE_KEY,
    PROCESS,
    SIGNOFF_KEY,
    ChecklistRecord,
    Criterion,
    when_done,
)
from storage.db import Store
from storage.errors import InvalidInput
from storage.models import Event
from storage.postmortem.load import worst_level

_TYPED_FOR_DURABLE = ("note", "action", "decision")
_NEGATED_DURABLE = re.compile(r"\b(?:not|isn't|isnt|is not|no longer)\s+durable\b|\bnon-?\s*durable\b", re.IGNORECASE)


def _durable_event(record: ChecklistRecord) -> Event | None:
    """The first note, action or decision (not struck) that says the mitigation is durable."""
    candidates = record.session.exec(
        select(Event)
        .where(
            Event.incident_id == record.incident.id,
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


def criteria_of(store: Store, record: ChecklistRecord) -> list[Criterion]:
    """The resolution criteria as `record` shows them now, in order."""
    labels = dict(CRITERIA)
    results: list[Criterion] = []

    # durable mitigation
    tz = store.policy.tz
    tick = record.tick(DURABLE_KEY)
    mitigated = record.milestones.get("mitigated")
    event = _durable_event(record) if mitigated is not None else None
    if tick is not None:
        confirmed_at = render.local_minute(tick.done_at, store.policy.tz)
        met, detail = True, f"confirmed by {tick.done_by or 'someone'} at {confirmed_at}"
    elif mitigated is None:
        met, detail = False, "the mitigated milestone is not set"
    elif event is not None:
        met, detail = True, f"mitigated at {render.local_minute(mitigated, tz)}; #{event.seq}: {event.text}"
    else:
        met, detail = False, (
            f"mitigated at {render.local_minute(mitigated, tz)}, but no note, action or decision says the "
            f"mitigation is durable (or tick {DURABLE_KEY})"
        )
    results.append(Criterion("durable_mitigation", labels["durable_mitigation"], met, detail))

    # IC sign-off
    signed = record.tick(SIGNOFF_KEY)
    ic = record.current_ic
    if ic is None:
        met, detail = False, "no Incident Commander is named"
    elif signed is None:
        met, detail = False, f"{ic} (IC) has not signed off the record yet"
    elif signed.done_by.casefold() != ic.casefold():
        met, detail = False, f"signed off by {signed.done_by}, but {ic} is IC now and must sign off"
    else:
        met, detail = True, f"signed off by {signed.done_by} at {render.local_minute(signed.done_at, store.policy.tz)}"
    results.append(Criterion("ic_signoff", labels["ic_signoff"], met, detail))

    # retrospective (only where the worst severity reached has a post-mortem deadline)
    meeting = record.postmortem.meeting_at if record.postmortem is not None else None
    worst = worst_level(record.session, record.incident)
    if meeting is not None:
        met, detail = True, f"retrospective at {render.local_minute(meeting, store.policy.tz)}"
    elif store.policy.severity(worst).postmortem_deadline is None:
        met, detail = True, f"not needed: the policy sets no post-mortem meeting for SEV{worst}"
    else:
        met, detail = False, "the post-mortem has no meeting time"
    results.append(Criterion("retrospective_scheduled", labels["retrospective_scheduled"], met, detail))

    # final update
    final = record.internal("resolved")
    if final is not None:
        met, detail = True, f"internal resolved update sent at {render.local_minute(final.sent_at, store.policy.tz)}"
    else:
        met, detail = False, "no internal update of kind 'resolved' was recorded"
    results.append(Criterion("final_update_sent", labels["final_update_sent"], met, detail))
    return results


def resolution_criteria(store: Store, ref: str) -> list[Criterion]:
    """The resolution criteria and whether each is met now."""
    with store.read() as session:
        return criteria_of(store, ChecklistRecord(session, ops.find_incident(session, ref)))


def sign_off(store: Store, ref: str, *, author: str | None = None, at: datetime | None = None) -> Criterion:
    """The current IC signs off that the record (timeline and data) is as accurate as it can be."""
    when = when_done(store, at)
    author = (author or store.user).strip()
    with ops.writing(store, ref, at=when, author=author) as w:
        record = ChecklistRecord(w.session, w.incident)
        ic = record.current_ic
        if ic is None:
            raise InvalidInput(f"{w.incident.ref} has no Incident Commander: name one, who then signs off")
        if author.casefold() != ic.casefold():
            raise InvalidInput(f"only the Incident Commander ({ic}) can sign off the record, not {author}")
        signed = record.tick(SIGNOFF_KEY)
        if signed is not None and signed.done_by.casefold() == ic.casefold():
            signed_at = render.local_minute(signed.done_at, store.policy.tz)
            raise InvalidInput(f"{ic} already signed off the record at {signed_at}")
        item = record.set_tick(SIGNOFF_KEY, at=w.when, by=ic)
        w.event("checklist", "IC signed off on the record", author=ic, key=True, detail=SIGNOFF_KEY)
        w.session.flush()
        record.ticks[(PROCESS, SIGNOFF_KEY, "")] = item
        return criteria_of(store, record)[1]


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
        record = ChecklistRecord(session, ops.find_incident(session, ref))
        if record.incident.status == "resolved" and "resolved" in record.milestones:  # not once reopened
            resolved_at = render.local_minute(record.milestones["resolved"], store.policy.tz)
            raise InvalidInput(
                f"{record.incident.ref} was already resolved at {resolved_at}: "
                "set the resolved milestone to correct the time"
            )
        criteria = criteria_of(store, record)
        ref = record.incident.ref
    unmet = [c for c in criteria if not c.met]
    if unmet and not force:
        listed = "; ".join(f"{c.label} ({c.detail})" for c in unmet)
        raise InvalidInput(
            f"{ref} cannot be resolved yet, {len(unmet)} of {len(criteria)} criteria unmet: {listed}. "
            "Meet them, or force the resolution (the timeline will say so)"
        )
    milestone = ops.set_milestone(store, ref, "resolved", at=at, author=author, resolving=True)
    if unmet:
        with ops.writing(store, ref, author=author) as w:
            w.event(
                "checklist",
                "Resolved with unmet criteria: " + ", ".join(c.label for c in unmet),
                occurred_at=milestone.at,
                key=True,
                detail="resolved_unmet",
            )
    create_followups(store, ref)
    return criteria
