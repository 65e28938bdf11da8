"""What a live view of one incident reads: a snapshot, the timeline, and what changed since.

Reads are cheap enough to poll: `change_count` is one indexed row, and
`events_since` fetches only events added or revised after a watermark: the incident's
change count a view has seen. Every change bumps the count with the incident's row locked
and stamps the events it writes with the new count, so counts commit in order and a view
that has seen count N has seen every event written by changes up to N. (Ids cannot serve:
PostgreSQL hands them out at insert, so a lower id can commit after a higher one is seen.)
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import col, select

from storage import ops
from storage.db import Store
from storage.models import Event, Incident, Milestone
from storage.rows import EventRow, IncidentView, Watermark
from storage.snapshot import Snapshot
from storage.timeline_filter import TimelineFilter, glob_pattern, like_pattern, regex_pattern

if TYPE_CHECKING:
    from storage.lite.index import TimelineIndex


def _event_columns(declared_is_start: bool) -> tuple[sa.ColumnElement[object], ...]:
    marker = sa.case(
        (sa.and_(col(Event.kind) == "milestone", col(Event.detail) == "resolved", sa.not_(col(Event.struck))),
         sa.literal("resolved")),
        (sa.and_(col(Event.kind) == "milestone", col(Event.detail) == "started", sa.not_(col(Event.struck))),
         sa.literal("start")),
        (sa.and_(col(Event.kind) == "declared", sa.literal(declared_is_start)), sa.literal("start")),
        else_=sa.null(),
    )
    return (
        Event.id,
        Event.seq,
        Event.occurred_at,
        Event.kind,
        Event.author,
        Event.text,  # type: ignore[return-value]
        Event.key,
        Event.struck,
        Event.link,
        marker.label("marker"),
        Event.detail,
    )


def _declared_is_start(session: sa.orm.Session, incident_id: int) -> bool:
    """The declaration marks the start until a `started` milestone is set."""
    started = session.execute(
        sa.select(col(Milestone.id)).where(col(Milestone.incident_id) == incident_id, col(Milestone.name) == "started")
    ).first()
    return started is None


def incident_view(store: Store, ref: str) -> IncidentView:
    """A consistent snapshot of the incident's header, roles and updates."""
    with store.read() as session:
        record = Snapshot(session, ops.find_incident(session, ref))
        incident = record.incident
        return IncidentView(
            ref=incident.ref,
            title=ops.title_of(store, incident),
            severity=incident.severity,
            status=incident.status,
            declared_at=incident.declared_at,
            milestones=record.milestones,
            roles=record.current_roles,
            updates=record.update_times,
            change_count=incident.change_count,
            customer_impact=incident.customer_impact,
            reminders=ops.read_reminders(session, incident),
        )


def change_count(store: Store, ref: str) -> int | None:
    """The incident's change counter (None if it no longer exists)."""
    with store.read() as session:
        return session.exec(select(Incident.change_count).where(Incident.ref == ref)).first()


def last_seq(store: Store, ref: str) -> int:
    """The incident's highest event number (0 before its first event): an event numbered
    above it is one logged since."""
    from storage.ops.record import last_seq as highest

    with store.read() as session:
        return highest(session, ops.find_incident(session, ref))


def _watermark(incident: Incident) -> Watermark:
    # The incident row was read in the same snapshot as the events: they agree.
    return Watermark(incident.change_count)


_SQLITE_TIMELINE = (
    "SELECT id, seq, occurred_at, kind, author, text, key, struck, link,"
    " CASE WHEN kind = 'milestone' AND detail = 'resolved' AND NOT struck THEN 'resolved'"
    " WHEN kind = 'milestone' AND detail = 'started' AND NOT struck THEN 'start'"
    " WHEN kind = 'declared' AND ? THEN 'start' END, detail"
    " FROM event WHERE incident_id = ? ORDER BY occurred_at, seq"
)
_SQLITE_INDEX = "SELECT id, seq, occurred_at FROM event WHERE incident_id = ? ORDER BY occurred_at, seq"
"""The whole-timeline reads on SQLite, run on the driver's cursor (constant statements)."""


def event_rows(store: Store, ref: str, *, newest: int | None = None) -> tuple[list[EventRow], Watermark]:
    """The timeline in time order (only the `newest` events when given), and the
    watermark to poll from. A view can show the newest at once and load the rest after."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        connection = session.connection()
        declared_is_start = _declared_is_start(session, incident.id)  # type: ignore[arg-type]
        if newest is None and connection.dialect.name == "sqlite":
            # 100k rows: skipping SQLAlchemy's per-row processing halves the load time.
            cursor = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                _SQLITE_TIMELINE, (declared_is_start, incident.id)
            )
            parse = datetime.fromisoformat  # inlined parse_sqlite_utc: 100k calls
            new = tuple.__new__  # EventRow(...) without the Python-level __new__ per row
            rows = [
                new(
                    EventRow,
                    (id_, seq, parse(at + "+00:00"), kind, author, text, key == 1, struck == 1, link, mark, detail),
                )
                for id_, seq, at, kind, author, text, key, struck, link, mark, detail in cursor.fetchall()
            ]
            return rows, _watermark(incident)
        query = sa.select(*_event_columns(declared_is_start)).where(col(Event.incident_id) == incident.id)
        if newest is None:
            query = query.order_by(col(Event.occurred_at), col(Event.seq))
        else:
            query = query.order_by(col(Event.occurred_at).desc(), col(Event.seq).desc()).limit(newest)
        rows = list(map(EventRow._make, connection.execute(query).all()))  # Core, not the ORM
        if newest is not None:
            rows.reverse()
        return rows, _watermark(incident)


def events_since(store: Store, ref: str, mark: Watermark) -> tuple[list[EventRow], Watermark]:
    """Events added or revised (edited, struck) after `mark`, and the new watermark."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        if incident.change_count == mark.change_count:
            return [], mark
        connection = session.connection()
        columns = _event_columns(_declared_is_start(session, incident.id))  # type: ignore[arg-type]
        changed = connection.execute(  # one look-up in the (incident, change number) index
            sa.select(*columns).where(
                col(Event.incident_id) == incident.id, col(Event.change_number) > mark.change_count
            )
        ).all()
        rows = list(map(EventRow._make, changed))
        if any(row.kind == "milestone" and row.detail == "started" for row in rows):
            # The declaration's start marker depends on the `started` milestone: send it again.
            seen = {row.id for row in rows}
            declared = connection.execute(
                sa.select(*columns).where(col(Event.incident_id) == incident.id, col(Event.kind) == "declared")
            ).all()
            rows += [row for row in map(EventRow._make, declared) if row.id not in seen]
        rows.sort(key=lambda row: (row.at, row.seq))
        return rows, _watermark(incident)


def timeline_index(
    store: Store, ref: str, zone: tzinfo, *, driver: bool = True, shown: TimelineFilter | None = None
) -> TimelineIndex:
    """Every event's place in the timeline (of those `shown` keeps, when given) and where its
    days start in `zone` and in UTC (`storage.lite.index`), read in one snapshot; on SQLite
    with the driver's cursor (unless `driver` is False: SQLAlchemy's statements, those
    PostgreSQL runs but for the search's operator)."""
    from storage.lite.index import index_in

    with store.read() as session:
        connection = session.connection()
        if driver and connection.dialect.name == "sqlite":
            return index_in(connection.connection.driver_connection, ref, zone, shown)  # type: ignore[arg-type]
        incident = ops.find_incident(session, ref)
        if shown is not None and shown.active:
            return _core_filtered(connection, incident, zone, shown)
        return _core_index(connection, incident, zone)


def _search_condition(column: Mapped[str], search: str, dialect: str) -> sa.ColumnElement[bool]:
    """`column` holds `search` in any case of each character (`storage.timeline_filter`):
    on SQLite `LIKE` narrows and `GLOB` decides, on PostgreSQL a regular expression."""
    if dialect == "sqlite":
        return sa.and_(column.like(like_pattern(search), escape="\\"), column.op("GLOB")(glob_pattern(search)))
    return column.regexp_match(regex_pattern(search))


def _core_filtered(connection: sa.Connection, incident: Incident, zone: tzinfo, shown: TimelineFilter) -> TimelineIndex:
    """`timeline_index` of the events `shown` keeps, with SQLAlchemy Core: the meaning of
    `storage.lite.filter`."""
    from storage.lite.filter import index_from_times

    conditions: list[sa.ColumnElement[bool]] = [col(Event.incident_id) == incident.id]
    if shown.show == "key":
        conditions.append(col(Event.key).is_(True))
    if shown.kinds is not None:
        conditions.append(col(Event.kind).in_(shown.kinds))
    if shown.author is not None:
        conditions.append(col(Event.author) == shown.author)
    if shown.search:
        dialect = connection.dialect.name
        text, author = _search_condition(col(Event.text), shown.search, dialect), _search_condition(
            col(Event.author), shown.search, dialect)
        conditions.append(sa.or_(text, author))
    query = sa.select(col(Event.id), col(Event.occurred_at)).where(*conditions)
    query = query.order_by(col(Event.occurred_at), col(Event.seq))
    rows: list[tuple[int, datetime]] = connection.execute(query).all()  # type: ignore[assignment]
    ids = array("q", [row[0] for row in rows])
    seconds = [math.floor(row[1].timestamp()) for row in rows]
    mine = col(Event.incident_id) == incident.id
    max_seq = connection.execute(sa.select(sa.func.max(col(Event.seq))).where(mine)).scalar() or 0
    return index_from_times(ids, seconds, zone, max_seq, incident.change_count)


def authors(store: Store, ref: str) -> list[str]:
    """Everyone who wrote an event of incident `ref`, sorted."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        query = sa.select(col(Event.author)).where(col(Event.incident_id) == incident.id).distinct()
        return sorted(session.connection().execute(query).scalars())


def _core_index(connection: sa.Connection, incident: Incident, zone: tzinfo) -> TimelineIndex:
    """`timeline_index` with SQLAlchemy Core: the same statements as `storage.lite.index`."""
    from storage.lite.index import TimelineIndex, day_starts

    mine = col(Event.incident_id) == incident.id
    query = sa.select(col(Event.id)).where(mine).order_by(col(Event.occurred_at), col(Event.seq))
    ids: array[int] = array("q", connection.execute(query).scalars())  # type: ignore[arg-type]

    def count_between(start: datetime, end: datetime) -> int:
        query = sa.select(sa.func.count()).select_from(Event).where(
            mine, col(Event.occurred_at) >= start, col(Event.occurred_at) < end
        )
        return int(connection.execute(query).scalar_one())

    def first_from(at: datetime) -> datetime | None:
        query = sa.select(col(Event.occurred_at)).where(mine, col(Event.occurred_at) >= at)
        return connection.execute(query.order_by(col(Event.occurred_at)).limit(1)).scalar()

    first = first_from(datetime(1, 1, 1, tzinfo=UTC)) if ids else None
    max_seq = connection.execute(sa.select(sa.func.max(col(Event.seq))).where(mine)).scalar() or 0
    local_days, utc_days = day_starts(first, (zone, UTC), count_between, first_from)
    return TimelineIndex(ids, local_days, utc_days, max_seq, max(ids, default=0), incident.change_count)


def events_by_id(store: Store, ref: str, ids: Sequence[int]) -> dict[int, EventRow]:
    """Whole events of incident `ref` by id (those a view is about to show)."""
    if not ids:
        return {}
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        columns = _event_columns(_declared_is_start(session, incident.id))  # type: ignore[arg-type]
        # By id alone, then the incident checked here: with the incident in the statement,
        # SQLite walks the incident's whole (incident, time) index instead of looking ids up.
        result = session.connection().execute(
            sa.select(*columns, col(Event.incident_id)).where(col(Event.id).in_(list(ids)))
        )
        rows = (EventRow._make(found[:-1]) for found in result.all() if found[-1] == incident.id)
        return {row.id: row for row in rows}


def lines_not_logged(store: Store, ref: str, lines: Sequence[tuple[str, datetime]]) -> list[int]:
    """Which of `lines` (scribe line, when entered) are not in the timeline: the positions
    of those with no event of the same kind and text logged since they were entered.

    Used after a crash, for lines that were being written when the process stopped: the
    write either committed whole or not at all, and this tells which.
    """
    from storage.errors import InvalidInput
    from storage.grammar import parse_scribe_line

    missing: list[int] = []
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        for position, (line, entered_at) in enumerate(lines):
            try:
                parsed = parse_scribe_line(line, now=entered_at, tz=store.policy.tz)
            except InvalidInput:
                missing.append(position)
                continue
            found = session.exec(
                select(Event.id).where(
                    col(Event.incident_id) == incident.id,
                    col(Event.kind) == parsed.kind,
                    Event.text == parsed.text,
                    Event.logged_at >= entered_at,
                )
            ).first()
            if found is None:
                missing.append(position)
    return missing
