"""Writing an exported incident into this database, all or nothing.

The timeline is validated a few thousand events at a time into plain rows and written
with bulk inserts (`EVENTS_PER_INSERT` a statement) in the import's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, col, select

from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.export.json_text import (
    import_context,
    invalid_export,
    no_cycle_collection,
    read_export,
    validate_document,
)
from storage.export.schema import EventDoc, ImpactDoc, IncidentDocument, PostmortemDoc, RevisionDoc
from storage.models import (
    MILESTONES,
    ActionItem,
    ChecklistItem,
    Event,
    EventRevision,
    Incident,
    Milestone,
    Postmortem,
    PostmortemSection,
    RoleAssignment,
    SeverityChange,
    StatusUpdate,
    UTCDateTime,
)
from storage.timeparse import quote_input

EVENTS_PER_INSERT = 1000
"""Timeline events validated, and written, at a time."""

_EVENTS = TypeAdapter(list[EventDoc])


class _EventRow(NamedTuple):
    """One validated timeline event, ready to insert."""

    seq: int
    at: datetime
    logged_at: datetime
    author: str
    kind: str
    text: str
    link: str | None
    key: bool
    detail: str | None
    struck: bool
    revisions: tuple[RevisionDoc, ...]


def _row(event: EventDoc) -> _EventRow:
    return _EventRow(
        event.seq, event.at, event.logged_at, event.author, event.kind, event.text, event.link,
        event.key, event.detail, event.struck, tuple(event.revisions),
    )


def import_json(store: Store, text: str | bytes) -> Incident:
    """Import one incident from export JSON text."""
    with no_cycle_collection():
        return _import_raw(store, read_export(text))


def _import_raw(store: Store, raw: dict[str, Any]) -> Incident:
    """`raw` (from `read_export`) validated, its timeline a batch at a time into rows
    (the raw values dropped before writing), and written."""
    now = store.now()
    events = raw.get("timeline")
    if not isinstance(events, list):  # the full validation names what is wrong
        document = validate_document(raw, now=now)
        return _import(store, document, [_row(event) for event in document.timeline])
    context = import_context(now)
    try:
        head = IncidentDocument.model_validate({**raw, "timeline": []}, context=context)
    except ValidationError as exc:
        validate_document(raw, now=now)  # the whole document: the message parse_document gives
        raise invalid_export(exc) from None
    del raw
    rows: list[_EventRow] = []
    for start in range(0, len(events), EVENTS_PER_INSERT):
        try:
            batch = _EVENTS.validate_python(events[start : start + EVENTS_PER_INSERT], context=context)
        except ValidationError as exc:
            raise _timeline_error(exc, events, start, context) from None
        rows.extend(_row(event) for event in batch)
        events[start : start + len(batch)] = [None] * len(batch)  # its raw values are no longer needed
    return _import(store, head, rows)


def _timeline_error(
    exc: ValidationError, events: list[Any], start: int, context: dict[str, datetime]
) -> InvalidInput:
    """The message the whole document's validation gives when everything before event
    `start` is valid (the events before it were, and everything else in the document):
    the first error of the batch from `start`, counted with those of every later event."""
    count = exc.error_count()
    for later in range(start + EVENTS_PER_INSERT, len(events), EVENTS_PER_INSERT):
        try:
            _EVENTS.validate_python(events[later : later + EVENTS_PER_INSERT], context=context)
        except ValidationError as more:
            count += more.error_count()
    return invalid_export(exc, within="timeline", offset=start, count=count)


def import_document(store: Store, document: IncidentDocument) -> Incident:
    """Write an exported incident into this database, all or nothing."""
    return _import(store, document, [_row(event) for event in document.timeline])


def _import(store: Store, document: IncidentDocument, timeline: Sequence[_EventRow]) -> Incident:
    """Write `document` with `timeline` as its events (its own timeline is not read)."""
    doc = document.incident
    store.policy.severity(doc.severity)
    for change in document.severity_history:
        store.policy.severity(change.severity)
    for holding in document.roles:
        store.policy.role(holding.role)
    unknown = set(doc.milestones) - set(MILESTONES)
    if unknown:
        raise InvalidInput(f"invalid export: unknown milestone {quote_input(min(unknown))}")
    if doc.ref != doc.ref.strip() or not doc.ref.isprintable():  # it could never be typed back
        raise InvalidInput(
            f"invalid export: incident.ref: {quote_input(doc.ref)} has spaces around it or control characters"
        )
    if len({entry.seq for entry in timeline}) != len(timeline):
        raise InvalidInput("invalid export: two timeline events share one seq number")
    for entry in timeline:
        numbers = [revision.revision for revision in entry.revisions]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput(f"invalid export: two revisions of timeline event #{entry.seq} share one number")
    steps = [(item.list, item.key, item.person) for item in document.checklists]
    if len(set(steps)) != len(steps):
        raise InvalidInput("invalid export: two checklist items share one list, key and person")
    if not document.severity_history:
        raise InvalidInput("invalid export: severity_history is empty")
    with store.write() as session:
        if session.exec(select(Incident.id).where(Incident.ref == doc.ref)).first() is not None:
            raise InvalidInput(f"incident {quote_input(doc.ref)} already exists in this database")
        latest = max([doc.declared_at, *(e.logged_at for e in timeline)])
        incident = Incident(
            ref=doc.ref,
            functionality=doc.functionality,
            state=doc.state,
            audience=doc.audience,
            severity=doc.severity,
            status=doc.status,
            customer_impact=doc.customer_impact,
            quantity_impacted=doc.quantity_impacted,
            known_impacted_customers=doc.known_impacted_customers,
            full_outage=doc.full_outage,
            primary_ref=doc.primary,
            declared_at=doc.declared_at,
            updated_at=latest,
        )
        session.add(incident)
        session.flush()
        incident_id = incident.id
        assert incident_id is not None
        for name, at in doc.milestones.items():
            session.add(Milestone(incident_id=incident_id, name=name, at=at, set_at=at, set_by=""))
        for change in document.severity_history:
            session.add(
                SeverityChange(
                    incident_id=incident_id,
                    severity=change.severity,
                    at=change.at,
                    logged_at=change.logged_at,
                    author=change.author,
                )
            )
        for holding in document.roles:
            person = ops.person_named(session, holding.person)
            session.add(
                RoleAssignment(
                    incident_id=incident_id,
                    role=store.policy.role(holding.role).key,
                    person_id=person.id,  # type: ignore[arg-type]
                    note=holding.note,
                    started_at=holding.from_,
                    ended_at=holding.until,
                )
            )
        _insert_events(session, incident_id, timeline)
        for update in document.status_updates:
            session.add(StatusUpdate(incident_id=incident_id, **update.model_dump()))
        for action in document.action_items:
            fields = action.model_dump()
            fields["tags"] = ",".join(action.tags)
            session.add(ActionItem(incident_id=incident_id, **fields))
        for step in document.checklists:
            session.add(ChecklistItem(incident_id=incident_id, **step.model_dump()))
        pm = document.postmortem
        if pm != PostmortemDoc(impact=ImpactDoc(time_in_sev=pm.impact.time_in_sev)):
            postmortem = Postmortem(
                incident_id=incident_id,
                owner=pm.owner,
                status=pm.status,
                meeting_at=pm.meeting_at,
                recording_url=pm.recording_url,
                notifications_out_of_sla=pm.impact.notifications_out_of_sla,
                events_dropped=pm.impact.events_dropped,
                accounts_affected=pm.impact.accounts_affected,
                users_affected=pm.impact.users_affected,
                support_requests=pm.impact.support_requests,
                updated_at=latest,
            )
            session.add(postmortem)
            session.flush()
            for key, body in pm.sections.items():
                session.add(
                    PostmortemSection(postmortem_id=postmortem.id, key=key, body=body, updated_at=latest)  # type: ignore[arg-type]
                )
        session.flush()
        return incident


def _insert_events(session: Session, incident_id: int, timeline: Sequence[_EventRow]) -> None:
    """The timeline and its revisions, `EVENTS_PER_INSERT` rows a statement."""
    event_insert = _BulkInsert(session, Event, _EVENT_COLUMNS)
    revision_insert = _BulkInsert(session, EventRevision, _REVISION_COLUMNS)
    time = event_insert.time
    for start in range(0, len(timeline), EVENTS_PER_INSERT):
        batch = timeline[start : start + EVENTS_PER_INSERT]
        event_insert.rows(
            (incident_id, e.seq, time(e.at), time(e.logged_at), e.author, e.kind, e.text, e.link, e.key,
             e.detail, e.struck, len(e.revisions) + 1, None, 0)
            for e in batch
        )
        revised = {entry.seq: entry.revisions for entry in batch if entry.revisions}
        if not revised:
            continue
        numbers = list(revised)
        ids = [
            row
            for part in range(0, len(numbers), _NUMBERS_PER_LOOKUP)
            for row in session.execute(
                sa.select(col(Event.seq), col(Event.id)).where(
                    col(Event.incident_id) == incident_id,
                    col(Event.seq).in_(numbers[part : part + _NUMBERS_PER_LOOKUP]),
                )
            ).all()
        ]
        revision_insert.rows(
            (event_id, r.revision, time(r.at), r.kind, r.text, r.link, r.key, r.struck, time(r.replaced_at),
             r.replaced_by)
            for seq, event_id in ids
            for r in revised[seq]
        )


_NUMBERS_PER_LOOKUP = 500
"""Event numbers looked up a statement: within the 999 values SQLite before 3.32 takes."""

_EVENT_COLUMNS = (
    "incident_id", "seq", "occurred_at", "logged_at", "author", "kind", "text", "link", "key", "detail",
    "struck", "revision", "entry_id", "change_number",
)
_REVISION_COLUMNS = (
    "event_id", "revision", "occurred_at", "kind", "text", "link", "key", "struck", "replaced_at", "replaced_by",
)


class _BulkInsert:
    """Rows of `model`'s table, given as tuples of `columns`, handed to the driver's
    `executemany` in the session's transaction: no per-value work in SQLAlchemy. Times
    go through `time`, which stores them as `UTCDateTime` does."""

    def __init__(self, session: Session, model: type[Any], columns: Sequence[str]) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        mark = "?" if dialect.paramstyle == "qmark" else "%s"  # sqlite3; psycopg takes %s
        table = model.__table__
        self.sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(dialect.identifier_preparer.quote(name) for name in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )
        self.time = stored_time(dialect)

    def rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        values = list(rows)
        if values:
            self.connection.exec_driver_sql(self.sql, values)


def stored_time(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """A time as the driver is given it for a `UTCDateTime` column (`models.UTCDateTime`
    and the dialect's own processing); on SQLite, a UTC time the quick way, as the same
    text (`2026-11-23 14:40:00.000000`)."""
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
    if dialect.name != "sqlite":
        return process

    def sqlite_text(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:-6]
        return process(value)

    return sqlite_text
