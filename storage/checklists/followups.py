"""Follow-ups: after resolution, each role holder's follow-up steps from the policy, ticked one by one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage import ops, render
from storage.checklists.record import (
    FOLLOWUP,
    ChecklistRecord,
    FollowUp,
    when_done,
)
from storage.db import Store
from storage.errors import InvalidInput
from storage.models import ChecklistItem, Incident


def create_followups(store: Store, ref: str) -> int:
    """Give everyone who held a role their role's follow-up steps; returns how many were new.

    Idempotent: items that exist already are left alone, so calling it again only adds
    steps for people who took a role since.
    """
    with ops.writing(store, ref) as w:
        record = ChecklistRecord(w.session, w.incident)
        existing = {(key, person) for (kind, key, person) in record.ticks if kind == FOLLOWUP}
        position = max((i.position for i in record.ticks.values() if i.list == FOLLOWUP), default=-1)
        created = 0
        for role_key, role in store.policy.roles.items():
            people: list[str] = []
            for holding in record.roles:
                if holding.role == role_key and holding.person not in people:
                    people.append(holding.person)
            for person in people:
                for number, text in enumerate(role.follow_up, start=1):
                    key = f"{role_key}.{number}"
                    if (key, person) in existing:
                        continue
                    position += 1
                    created += 1
                    w.session.add(
                        ChecklistItem(
                            incident_id=w.incident.id,  # type: ignore[arg-type]
                            list=FOLLOWUP,
                            key=key,
                            person=person,
                            role=role_key,
                            label=text,
                            position=position,
                        )
                    )
        if created:
            w.touch()
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
            result.setdefault(item.person, []).append(_followup(item))
        return result


def _followup(item: ChecklistItem) -> FollowUp:
    return FollowUp(key=item.key, role=item.role, label=item.label, done_at=item.done_at, done_by=item.done_by)


def _find_followup(session: Session, incident: Incident, person: str, key: str) -> ChecklistItem:
    rows = _followup_rows(session, incident)
    person = person.strip()
    mine = [row for row in rows if row.person == person]
    if not mine:
        people = list(dict.fromkeys(row.person for row in rows))
        if not people:
            raise InvalidInput(f"{incident.ref} has no follow-ups yet: they are made when it is resolved")
        raise InvalidInput(
            f"{person} has no follow-ups on {incident.ref}: people with follow-ups are {', '.join(people)}"
        )
    for row in mine:
        if row.key == key.strip():
            return row
    raise InvalidInput(f"{person} has no follow-up {key!r}: use one of {', '.join(row.key for row in mine)}")


def tick_followup(
    store: Store, ref: str, person: str, key: str, *, author: str | None = None, at: datetime | None = None
) -> FollowUp:
    """Tick one of a person's follow-ups done."""
    when = when_done(store, at)
    with ops.writing(store, ref, at=when, author=author) as w:
        item = _find_followup(w.session, w.incident, person, key)
        if item.done_at is not None:
            raise InvalidInput(
                f"{item.person}'s follow-up {item.key} is already ticked "
                f"(by {item.done_by or 'someone'} at {render.local_minute(item.done_at, store.policy.tz)})"
            )
        item.done_at = w.when
        item.done_by = w.author
        w.session.add(item)
        w.touch()
        return _followup(item)


def untick_followup(store: Store, ref: str, person: str, key: str, *, author: str | None = None) -> FollowUp:
    """Clear the tick of one of a person's follow-ups (`author` is taken for symmetry; nothing is logged)."""
    with ops.writing(store, ref, author=author) as w:
        item = _find_followup(w.session, w.incident, person, key)
        if item.done_at is None:
            raise InvalidInput(f"{item.person}'s follow-up {item.key} is not ticked")
        item.done_at = None
        item.done_by = ""
        w.session.add(item)
        w.touch()
        return _followup(item)
