"""The three operations of the fast path, in plain SQL with the meaning of their
`storage.ops` counterparts: `log_line` (`ops.log`), `timeline_rows` (`ops.timeline`, as
`warroom timeline` prints it) and `incident_rows` (`ops.list_incidents`).

The rules come from the modules both paths share (`storage.grammar`, `storage.rules`,
`storage.lengths`); what is written here is only how the rows are read and written, as
the ORM reads and writes them. `tests/test_lite.py` runs the same cases through both paths
and compares the stored rows and the printed lines.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import rules
from storage.errors import InvalidInput
from storage.lengths import EVENT_TEXT, NAME, label_of, too_long
from storage.lite.connection import LiteStore, from_stored, to_stored


@dataclass(frozen=True)
class LoggedEvent:
    """An event `log_line` wrote (or found by its entry id), with the columns a timeline row
    is made of (named as `storage.models.Event` names them): `warroom log` reports its
    number, kind and time, the app shows it without reading it back."""

    seq: int
    kind: str
    key: bool
    occurred_at: datetime
    id: int
    author: str
    text: str
    link: str | None
    detail: str | None
    struck: bool
    change_number: int
    """The incident's change count the write made (for an event found by its entry id, the
    one its first write made)."""


def _logged(row: tuple[Any, ...]) -> LoggedEvent:
    """The `LoggedEvent` of a row of `seq, kind, key, occurred_at, id, author, text, link,
    detail, struck, change_number`."""
    seq, kind, key, occurred_at, event_id, author, text, link, detail, struck, change_number = row
    return LoggedEvent(seq, kind, bool(key), from_stored(occurred_at), event_id, author, text, link, detail,
                       bool(struck), change_number)


@dataclass(frozen=True)
class TimelineRow:
    """An event as `warroom timeline` prints it."""

    seq: int
    occurred_at: datetime
    key: bool
    kind: str
    author: str
    text: str
    struck: bool


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the incident list and `warroom list` show it (both paths build these)."""

    ref: str
    title: str
    severity: int
    status: str
    declared_at: datetime
    updated_at: datetime
    commander: str | None
    primary_ref: str | None


@dataclass(frozen=True)
class _Incident:
    id: int
    declared_at: datetime
    change_count: int


def _find_incident(db: sqlite3.Connection, ref: str) -> _Incident:
    """The incident with reference `ref` (as `storage.ops.find_incident`)."""
    row = db.execute(
        "SELECT id, declared_at, change_count FROM incident WHERE ref = ? LIMIT 1", (ref.strip(),)
    ).fetchone()
    if row is None:
        raise rules.no_such_incident(ref)
    return _Incident(row[0], from_stored(row[1]), row[2])


def check_incident(store: LiteStore, ref: str) -> None:
    """Refuse `ref` as `storage.ops` does when no incident has it (`NotFound`)."""
    with store.read() as db:
        _find_incident(db, ref)


def _start_of(db: sqlite3.Connection, incident: _Incident) -> datetime:
    """When the incident started (`rules.incident_start` of its milestones)."""
    milestones = {
        name: from_stored(at)
        for name, at in db.execute("SELECT name, at FROM milestone WHERE incident_id = ?", (incident.id,))
    }
    return rules.incident_start(incident.declared_at, milestones)


def _check_lengths(author: str, text: str, link: str | None) -> None:
    """Refuse what `storage.limits` refuses on a flush of a new event, the first column in
    its order named."""
    for name, value, limit in (("event.author", author, NAME), ("event.text", text, EVENT_TEXT),
                               ("event.link", link, EVENT_TEXT)):
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{label_of(name)} is {too_long(len(value), limit)}")


def log_line(
    store: LiteStore,
    ref: str,
    line: str,
    *,
    author: str | None = None,
    at: datetime | None = None,
    entered_at: datetime | None = None,
    entry_id: str | None = None,
    confirmed: bool = False,
) -> LoggedEvent:
    """Log one scribe line to the incident's timeline: `storage.ops.log`, step for step
    (see there for `entered_at`, `entry_id` and `confirmed`)."""
    if entry_id is not None:
        entry_id = rules.entry_id(entry_id)
    parsed, given = rules.scribe_line(store, line, at=at, entered_at=entered_at)
    author = author or store.user
    with store.write() as db:
        incident = _find_incident(db, ref)
        if entry_id is not None:
            logged = db.execute(
                "SELECT seq, kind, key, occurred_at, id, author, text, link, detail, struck, change_number"
                " FROM event WHERE incident_id = ? AND entry_id = ?",
                (incident.id, entry_id),
            ).fetchone()
            if logged is not None:
                return _logged(logged)
        if given is None:
            occurred_at = rules.when_given(store, entered_at)
        else:
            occurred_at = rules.when_given(store, given, allow_future=True)
            if not confirmed:
                now = entered_at if entered_at is not None else store.now()
                found = rules.concerns(store, occurred_at, now=now, start=_start_of(db, incident))
                if found:
                    raise rules.needs_confirmation(store, occurred_at, found)
        logged_at = store.now()
        _check_lengths(author, parsed.text, parsed.link)
        last = db.execute("SELECT max(seq) FROM event WHERE incident_id = ?", (incident.id,)).fetchone()[0]
        seq = (last or 0) + 1
        change_number = incident.change_count + 1
        db.execute(
            "UPDATE incident SET updated_at = ?, change_count = ? WHERE id = ?",
            (to_stored(logged_at), change_number, incident.id),
        )
        inserted = db.execute(
            "INSERT INTO event (incident_id, seq, occurred_at, logged_at, author, kind, text, link, key, detail,"
            " struck, revision, entry_id, change_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?)",
            (
                incident.id,
                seq,
                to_stored(occurred_at),
                to_stored(logged_at),
                author,
                parsed.kind,
                parsed.text,
                parsed.link,
                int(parsed.key),
                parsed.detail,
                entry_id,
                change_number,
            ),
        )
        assert inserted.lastrowid is not None
        return LoggedEvent(seq, parsed.kind, parsed.key, occurred_at, inserted.lastrowid, author, parsed.text,
                           parsed.link, parsed.detail, False, change_number)


def timeline_rows(store: LiteStore, ref: str) -> list[TimelineRow]:
    """Every event of the incident in the timeline's order (time, then number)."""
    with store.read() as db:
        incident = _find_incident(db, ref)
        return [
            TimelineRow(seq, from_stored(occurred_at), bool(key), kind, author, text, bool(struck))
            for seq, occurred_at, key, kind, author, text, struck in db.execute(
                "SELECT seq, occurred_at, key, kind, author, text, struck FROM event"
                " WHERE incident_id = ? ORDER BY occurred_at, seq",
                (incident.id,),
            )
        ]


def incident_rows(store: LiteStore, *, open_only: bool = False) -> list[IncidentRow]:
    """Incidents, most recently active first (only unresolved ones when `open_only`), each
    with its Incident Commander if one holds the role."""
    with store.read() as db:
        incidents = db.execute(
            "SELECT id, ref, functionality, state, audience, severity, status, declared_at, updated_at, primary_ref"
            " FROM incident WHERE ? = 0 OR status != 'resolved' ORDER BY updated_at DESC, id DESC",
            (int(open_only),),
        ).fetchall()
        commanders = dict(
            db.execute(
                "SELECT role_assignment.incident_id, person.name FROM role_assignment"
                " JOIN person ON person.id = role_assignment.person_id"
                " WHERE role_assignment.role = 'ic' AND role_assignment.ended_at IS NULL"
            ).fetchall()
        )
    return [
        IncidentRow(
            ref=ref,
            title=store.policy.title(functionality, state, audience),
            severity=severity,
            status=status,
            declared_at=from_stored(declared_at),
            updated_at=from_stored(updated_at),
            commander=commanders.get(incident_id),
            primary_ref=primary_ref,
        )
        for incident_id, ref, functionality, state, audience, severity, status, declared_at, updated_at, primary_ref
        in incidents
    ]
