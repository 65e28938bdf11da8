"""Roles: who holds which role on an incident, handovers and stepping down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.db import Store
from storage.errors import InvalidInput
from storage.limits import check_text
from storage.models import Incident, Person, RoleAssignment
from storage.ops.record import Writing, required, writing


def person_named(session: Session, name: str) -> Person:
    """The person with this name, created on first mention.

    Two transactions may mention a new name at once: the insert skips a name another one
    has inserted (on PostgreSQL it waits for that one to commit), so neither fails."""
    name = required(name, "a person's name")
    check_text("person.name", name)  # the insert below is not a flush: the limits hook does not see it
    person = session.exec(select(Person).where(Person.name == name)).first()
    if person is None:
        dialect_insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
        session.execute(
            dialect_insert(Person).values(name=name, contact="").on_conflict_do_nothing(index_elements=["name"])
        )
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


def assign(w: Writing, role_key: str, person_name: str, *, note: str = "") -> RoleAssignment:
    """Give `role_key` to a person from `w.when` on, inside the change `w`; for a
    single-holder role, the holders hand over to them."""
    role = w.store.policy.role(role_key)
    person = person_named(w.session, person_name)
    holders = _current_holders(w.session, w.incident, role.key)
    if any(p.id == person.id for _, p in holders):
        raise InvalidInput(f"{person.name} already holds {role.name} on {w.incident.ref}")
    handed_from: list[str] = []
    if not role.many:
        for assignment, previous in holders:
            if w.when < assignment.started_at:
                took = assignment.started_at.astimezone(w.store.policy.tz)
                raise InvalidInput(
                    f"{previous.name} took {role.name} at {took:%Y-%m-%d %H:%M:%S %Z}: a handover cannot be earlier"
                )
            assignment.ended_at = w.when
            w.session.add(assignment)
            handed_from.append(previous.name)
    assignment = RoleAssignment(
        incident_id=w.incident.id,  # type: ignore[arg-type]
        role=role.key,
        person_id=person.id,  # type: ignore[arg-type]
        note=note.strip(),
        started_at=w.when,
    )
    w.session.add(assignment)
    what = f"{role.name} ({note.strip()})" if note.strip() else role.name
    text = (
        f"{person.name} took over {what} from {', '.join(handed_from)}" if handed_from else f"{person.name} is {what}"
    )
    w.event("role", text, detail=role.key)
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
    with writing(
        store, ref, at=at, author=author
    ) as w:  # the time after the lock: never before a handover stored meanwhile
        return assign(w, role, person, note=note)


def release_role(
    store: Store, ref: str, role: str, person: str, *, at: datetime | None = None, author: str | None = None
) -> RoleAssignment:
    """End a person's hold on a role without naming a successor."""
    role_policy = store.policy.role(role)
    with writing(store, ref, at=at, author=author) as w:
        for assignment, holder in _current_holders(w.session, w.incident, role_policy.key):
            if holder.name == person.strip():
                assignment.ended_at = w.when
                w.session.add(assignment)
                w.event("role", f"{holder.name} stepped down as {role_policy.name}", detail=role_policy.key)
                return assignment
        raise InvalidInput(f"{person.strip()} does not hold {role_policy.name} on {w.incident.ref}")
