"""The process checklist: the response steps, their deadlines, and ticking them."""

from __future__ import annotations

from datetime import datetime

from storage import ops, render
from storage.checklists.record import (
    DURABLE_KEY,
    PROCESS,
    PROCESS_STEPS,
    SIGNOFF_KEY,
    STEP_LABELS,
    ChecklistRecord,
    Criterion,
    Step,
    step_key,
    when_done,
)
from storage.checklists.resolution import criteria_of
from storage.db import Store
from storage.errors import InvalidInput


def steps_of(store: Store, record: ChecklistRecord) -> list[Step]:
    """The response steps as `record` shows them now, in order."""
    now = store.now()
    start = record.start
    due_after = {"decide": store.policy.process.decide_within, "declare": store.policy.process.declare_within}
    steps = []
    for key, label in PROCESS_STEPS:
        due_at = start + due_after[key] if key in due_after else None
        tick = record.tick(key)
        auto = False
        done_at: datetime | None = None
        done_by = ""
        if tick is not None:
            done_at, done_by = tick.done_at, tick.done_by
        else:
            derived = record.done_from_record(key)
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


def process_checklist(store: Store, ref: str) -> list[Step]:
    """The response steps of an incident with their due times and state, in order."""
    with store.read() as session:
        return steps_of(store, ChecklistRecord(session, ops.find_incident(session, ref)))


def tick_step(
    store: Store, ref: str, key: str, *, author: str | None = None, at: datetime | None = None
) -> Step | Criterion:
    """Tick a process step done (at `at`, now by default); the timeline records it.

    Returns the step as it now stands (for `durable_mitigation`, its criterion).
    """
    key = step_key(key, (*STEP_LABELS, DURABLE_KEY))
    if key == "mitigate":
        raise InvalidInput("mitigate follows the mitigated milestone: set that milestone instead of ticking")
    if key == "resolve":
        raise InvalidInput("resolve follows the resolved milestone: resolve the incident, which checks the criteria")
    when = when_done(store, at)
    with ops.writing(store, ref, at=when, author=author) as w:
        record = ChecklistRecord(w.session, w.incident)
        tick = record.tick(key)
        if tick is not None:
            ticked_at = render.local_minute(tick.done_at, store.policy.tz)
            raise InvalidInput(
                f"{key} is already ticked (by {tick.done_by or 'someone'} at {ticked_at}): "
                "untick it first to tick it again"
            )
        derived = record.done_from_record(key) if key in STEP_LABELS else None
        if derived is not None:
            raise InvalidInput(
                f"{key} is already done: the record shows it at {render.local_minute(derived[0], store.policy.tz)}"
                + (f" by {derived[1]}" if derived[1] else "")
            )
        item = record.set_tick(key, at=w.when, by=w.author)
        w.event("checklist", f"Checklist: {item.label}", detail=key)
        w.session.flush()
        record.ticks[(PROCESS, key, "")] = item
        if key == DURABLE_KEY:
            return criteria_of(store, record)[0]
        return next(step for step in steps_of(store, record) if step.key == key)


def untick_step(store: Store, ref: str, key: str, *, author: str | None = None) -> None:
    """Clear a tick (a step, `durable_mitigation`, or the IC's `ic_signoff`); the timeline records it."""
    key = step_key(key, (*STEP_LABELS, DURABLE_KEY, SIGNOFF_KEY))
    with ops.writing(store, ref, author=author) as w:
        record = ChecklistRecord(w.session, w.incident)
        tick = record.tick(key)
        if tick is None:
            derived = record.done_from_record(key) if key in STEP_LABELS else None
            if derived is not None:
                done_at = render.local_minute(derived[0], store.policy.tz)
                raise InvalidInput(f"{key} follows from the record (done at {done_at}): there is no tick to clear")
            raise InvalidInput(f"{key} is not ticked")
        label = tick.label
        tick.done_at = None
        tick.done_by = ""
        w.session.add(tick)
        w.event(
            "checklist",
            "IC sign-off withdrawn" if key == SIGNOFF_KEY else f"Checklist: unticked {label}",
            key=key == SIGNOFF_KEY,
            detail=key,
        )
