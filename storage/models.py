"""The incident record as SQLModel tables.

Every time column is an aware UTC datetime (`UTCDateTime`). Timeline events are
append-only: an edit or a strike copies the earlier version into `EventRevision`
before the event row changes, so nothing once logged is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from storage.rows import MILESTONES as MILESTONES  # defined without SQLAlchemy, for storage.lite


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored: time must be aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name == "sqlite":
            # SQLite hands back the stored text: parse it directly, much faster than the
            # generic DATETIME processor (this is on the path that loads 100k events).
            return parse_sqlite_utc
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def parse_sqlite_utc(value: str | None) -> datetime | None:
    """A UTC time as SQLite stores it (`2026-11-23 14:40:00.000000`), made aware."""
    # Appending the offset is several times faster than `.replace(tzinfo=...)`.
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def utc_field(*, nullable: bool = False, index: bool = False) -> datetime:
    """A UTC time column."""
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index),
    )



STATUSES: tuple[str, ...] = ("investigating", "identified", "mitigated", "resolved")
"""An incident's phase; `resolved` closes it."""

QUANTITIES: tuple[str, ...] = ("Unknown", "All", "Some", "Few")
"""How many customers are impacted, as the initial message asks."""

TYPED_KINDS: tuple[str, ...] = ("note", "action", "decision", "todo", "query", "comms")
"""Event kinds a person types."""

RECORD_KINDS: tuple[str, ...] = (
    "declared", "severity", "status", "role", "milestone", "update", "link", "checklist", "facts", "reminder",
)
"""Event kinds written by the record itself when something changes."""

EVENT_KINDS: tuple[str, ...] = TYPED_KINDS + RECORD_KINDS

POSTMORTEM_STATUSES: tuple[str, ...] = ("draft", "in_review", "reviewed", "closed")

ACTION_ITEM_STATES: tuple[str, ...] = ("open", "in_progress", "done", "wont_do")

PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3", "P4")


class Incident(SQLModel, table=True):
    """One incident: its name parts, current severity and status, and impact."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=64, unique=True, index=True)
    functionality: str
    state: str
    audience: str
    severity: int
    status: str = Field(default="investigating", max_length=20)
    customer_impact: str = ""
    quantity_impacted: str = Field(default="Unknown", max_length=10)
    known_impacted_customers: str = ""
    full_outage: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    primary_ref: str | None = Field(default=None, max_length=64, index=True)
    declared_at: datetime = utc_field()
    updated_at: datetime = utc_field(index=True)
    change_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Bumped by every change to the incident or its timeline, with the incident's row locked
    (so the counts commit in order): what live views poll."""


class Milestone(SQLModel, table=True):
    """The time one milestone of an incident was reached (settable after the fact)."""

    __tablename__ = "milestone"
    __table_args__ = (sa.UniqueConstraint("incident_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(max_length=32)
    at: datetime = utc_field()
    set_at: datetime = utc_field()
    set_by: str = ""


class SeverityChange(SQLModel, table=True):
    """One entry of an incident's severity history."""

    __tablename__ = "severity_change"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    severity: int
    at: datetime = utc_field()
    logged_at: datetime = utc_field()
    author: str = ""


class Event(SQLModel, table=True):
    """A timeline entry: what happened (occurred_at) and when it was written down."""

    __tablename__ = "event"
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "seq"),
        sa.UniqueConstraint("incident_id", "entry_id", name="uq_event_incident_entry"),
        sa.Index("ix_event_incident_occurred", "incident_id", "occurred_at", "seq"),
        sa.Index("ix_event_incident_change", "incident_id", "change_number"),
        sa.Index(
            "ix_event_incident_reminder", "incident_id", "seq",
            sqlite_where=sa.text("kind = 'reminder'"), postgresql_where=sa.text("kind = 'reminder'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    seq: int
    occurred_at: datetime = utc_field()
    logged_at: datetime = utc_field()
    author: str = ""
    kind: str = Field(default="note", max_length=16)
    text: str
    link: str | None = None
    key: bool = False
    detail: str | None = Field(default=None, max_length=64)
    struck: bool = False
    revision: int = 1
    entry_id: str | None = Field(default=None, max_length=64)
    """The id a scribe line got when it was entered: writing it again finds this event."""
    change_number: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The incident's `change_count` after the change that last wrote this event (logged,
    edited or struck): a live view asks for the events changed after the count it has seen."""


class EventRevision(SQLModel, table=True):
    """An earlier version of an event, kept when it was edited or struck."""

    __tablename__ = "event_revision"
    __table_args__ = (sa.UniqueConstraint("event_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    revision: int
    occurred_at: datetime = utc_field()
    kind: str = Field(max_length=16)
    text: str
    link: str | None = None
    key: bool = False
    struck: bool = False
    replaced_at: datetime = utc_field()
    replaced_by: str = ""


class Person(SQLModel, table=True):
    """Someone who can hold a role."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    contact: str = ""


class RoleAssignment(SQLModel, table=True):
    """A person holding a role from `started_at` until `ended_at` (open while None)."""

    __tablename__ = "role_assignment"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    role: str = Field(max_length=32)
    person_id: int = Field(foreign_key="person.id")
    note: str = ""
    started_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True)


class StatusUpdate(SQLModel, table=True):
    """A communication sent (or posted) about the incident."""

    __tablename__ = "status_update"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    subject: str = ""
    body: str = ""
    sent_at: datetime = utc_field()
    author: str = ""
    posted: bool = True


class ActionItem(SQLModel, table=True):
    """A follow-up ticket from the incident or its post-mortem."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    title: str
    owner: str = ""
    priority: str = Field(default="P1", max_length=4)
    tags: str = ""
    due_date: date | None = None
    ticket_url: str = ""
    state: str = Field(default="open", max_length=16)
    category: str = ""
    created_at: datetime = utc_field()


class Postmortem(SQLModel, table=True):
    """The post-mortem of one incident: owner, status, meeting and impact numbers."""

    __tablename__ = "postmortem"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    owner: str = ""
    status: str = Field(default="draft", max_length=16)
    meeting_at: datetime | None = utc_field(nullable=True)
    recording_url: str = ""
    notifications_out_of_sla: int | None = None
    events_dropped: int | None = None
    accounts_affected: int | None = None
    users_affected: int | None = None
    support_requests: str = ""
    updated_at: datetime = utc_field()


class PostmortemSection(SQLModel, table=True):
    """The text of one template section of a post-mortem."""

    __tablename__ = "postmortem_section"
    __table_args__ = (sa.UniqueConstraint("postmortem_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    key: str = Field(max_length=40)
    body: str = ""
    updated_at: datetime = utc_field()


class ServiceOwner(SQLModel, table=True):
    """Who owns a piece of functionality (or a vendor relationship), and whom to page."""

    __tablename__ = "service_owner"

    id: int | None = Field(default=None, primary_key=True)
    functionality: str = Field(index=True)
    service: str = ""
    team: str = ""
    paging_url: str = ""
    vendor: str = ""
    relationship_owner: str = ""
    support_url: str = ""
    status_url: str = ""


class ChecklistItem(SQLModel, table=True):
    """One item of an incident's checklists, ticked (done_at set) or not.

    `list` is "process" (the response steps, IC sign-off; person and role empty) or
    "followup" (one row per step per person per role held, made at resolution).
    """

    __tablename__ = "checklist_item"
    __table_args__ = (sa.UniqueConstraint("incident_id", "list", "key", "person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    list: str = Field(max_length=16)
    key: str = Field(max_length=40)
    person: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=32)
    label: str
    position: int = 0
    done_at: datetime | None = utc_field(nullable=True)
    done_by: str = ""


POSTMORTEM_SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("what_happened", "What Happened"),
    ("root_causes", "Root Causes"),
    ("resolution", "Resolution"),
    ("impact", "Impact"),
    ("responders", "Responders"),
    ("timeline", "Timeline"),
    ("went_well", "What Went Well"),
    ("went_badly", "What Didn't Go Well"),
    ("got_lucky", "Where We Got Lucky"),
    ("were_wrong", "What We Were Wrong About"),
    ("internal_email", "Internal Email"),
    ("external_message", "External Message"),
)
"""Post-mortem template sections, keyed, in document order."""
