"""The export document's schema: one pydantic model per part, validating on import and
serialising on export, so export -> import -> export gives the same document.

The document is described in docs/export-format.md.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from storage.limits import TEXT_LIMITS, too_long
from storage.models import (
    ACTION_ITEM_STATES,
    EVENT_KINDS,
    POSTMORTEM_STATUSES,
    PRIORITIES,
    QUANTITIES,
    STATUSES,
)
from storage.render import utc_iso
from storage.timeparse import (
    BEFORE_EARLIEST,
    EARLIEST,
    TOO_FAR_AHEAD,
    due_date_problem,
    out_of_range,
    quote_input,
)

FORMAT_NAME = "warroom.incident"
FORMAT_VERSION = 1


def _in_utc(value: datetime, info: ValidationInfo) -> datetime:
    """`value` in UTC; on import (`now` in the context), also within the range of times
    warroom accepts anywhere (`storage.timeparse.out_of_range`)."""
    now: datetime | None = (info.context or {}).get("now")
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the last representable year
        edge = BEFORE_EARLIEST if value.year < EARLIEST.year else TOO_FAR_AHEAD
        raise PydanticCustomError(
            "time_out_of_range", "{time} is {problem}", {"time": value.isoformat(), "problem": edge}
        ) from None
    problem = out_of_range(value, now=now) if now is not None else None
    if problem is not None:
        raise PydanticCustomError(
            "time_out_of_range", "{time} is {problem}", {"time": utc_iso(value), "problem": problem}
        )
    return value


def _time_text(value: object) -> object:
    """A time in the document is ISO 8601 text (a number would be taken as Unix seconds)."""
    if isinstance(value, (int, float)):
        raise PydanticCustomError("time_type", "a time is ISO 8601 text, e.g. 2026-11-23T14:32:00Z, not a number")
    return value


UTCTime = Annotated[
    AwareDatetime, BeforeValidator(_time_text), AfterValidator(_in_utc), PlainSerializer(utc_iso, when_used="json")
]
"""An aware time, held in UTC and written as `2026-11-23T14:32:00Z`."""

StoredInt = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]
"""A number kept in an INTEGER column (32 bits on PostgreSQL)."""
Count = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
"""A count kept in an INTEGER column: never negative (as `postmortem.update_postmortem` holds)."""


def _due_in_range(value: date | None, info: ValidationInfo) -> date | None:
    """A due date within the range of times warroom accepts (`storage.timeparse.out_of_range`)."""
    now: datetime | None = (info.context or {}).get("now")
    if value is not None and now is not None and (problem := due_date_problem(value, now=now)) is not None:
        raise PydanticCustomError("date_out_of_range", "{problem}", {"problem": problem})
    return value


def _max(name: str) -> StringConstraints:
    """At most as many characters as column `name` (`table.column`) holds (`storage.limits`)."""
    return StringConstraints(max_length=TEXT_LIMITS[name])


Name = Annotated[str, _max("person.name")]
TitlePart = Annotated[str, _max("incident.functionality")]
Paragraph = Annotated[str, _max("incident.customer_impact")]
EventText = Annotated[str, _max("event.text")]
Label = Annotated[str, _max("action_item.title")]
Url = Annotated[str, _max("action_item.ticket_url")]
Section = Annotated[str, _max("postmortem_section.body")]


class _Doc(BaseModel):
    """Base of every part of the document: unknown keys are refused; numbers and booleans
    must be JSON numbers and booleans (`true` is no severity, `1` no boolean)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _choice_validator(choices: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"{quote_input(value)} is not one of {', '.join(choices)}")
        return value

    return AfterValidator(check)


Status = Annotated[str, _choice_validator(STATUSES)]
Quantity = Annotated[str, _choice_validator(QUANTITIES)]
Kind = Annotated[str, _choice_validator(EVENT_KINDS)]
Priority = Annotated[str, _choice_validator(PRIORITIES)]
ItemState = Annotated[str, _choice_validator(ACTION_ITEM_STATES)]
PmStatus = Annotated[str, _choice_validator(POSTMORTEM_STATUSES)]


class IncidentDoc(_Doc):
    ref: str = Field(min_length=1, max_length=TEXT_LIMITS["incident.ref"])
    title: str = ""
    functionality: TitlePart
    state: TitlePart
    audience: TitlePart
    severity: StrictInt
    status: Status
    customer_impact: Paragraph = ""
    quantity_impacted: Quantity = "Unknown"
    known_impacted_customers: Paragraph = ""
    full_outage: StrictBool = False
    primary: Annotated[str, _max("incident.primary_ref")] | None = None
    declared_at: UTCTime
    milestones: dict[str, UTCTime] = {}


class SeverityDoc(_Doc):
    severity: StrictInt
    at: UTCTime
    logged_at: UTCTime
    author: Name = ""


class RoleDoc(_Doc):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    role: str
    person: Name = Field(min_length=1)
    from_: UTCTime = Field(alias="from")
    until: UTCTime | None = None
    note: Annotated[str, _max("role_assignment.note")] = ""


class RevisionDoc(_Doc):
    revision: StrictInt = Field(ge=1, le=2**31 - 1)
    at: UTCTime
    kind: Kind
    text: EventText
    link: EventText | None = None
    key: StrictBool = False
    struck: StrictBool = False
    replaced_at: UTCTime
    replaced_by: Name = ""


class EventDoc(_Doc):
    seq: StrictInt = Field(ge=1, le=2**31 - 1)
    at: UTCTime
    logged_at: UTCTime
    kind: Kind
    text: EventText
    author: Name = ""
    link: EventText | None = None
    key: StrictBool = False
    detail: Annotated[str, _max("event.detail")] | None = None
    struck: StrictBool = False
    revisions: list[RevisionDoc] = []


class UpdateDoc(_Doc):
    channel: Annotated[str, _max("status_update.channel")]
    kind: Annotated[str, _max("status_update.kind")]
    subject: Annotated[str, _max("status_update.subject")] = ""
    body: Annotated[str, _max("status_update.body")] = ""
    sent_at: UTCTime
    author: Name = ""
    posted: StrictBool = True


def _no_comma(tag: str) -> str:
    if "," in tag:  # tags are kept comma-separated: it would come back as two
        raise ValueError(f"a tag cannot hold a comma: {quote_input(tag)}")
    return tag


def _tags_fit(tags: list[str]) -> list[str]:
    """Tags whose comma-separated form fits the column that keeps them."""
    joined, limit = len(",".join(tags)), TEXT_LIMITS["action_item.tags"]
    if joined > limit:
        raise PydanticCustomError("string_too_long", "together {problem}", {"problem": too_long(joined, limit)})
    return tags


class ActionItemDoc(_Doc):
    title: Label = Field(min_length=1)
    owner: Name = ""
    priority: Priority = "P1"
    tags: Annotated[list[Annotated[str, AfterValidator(_no_comma)]], AfterValidator(_tags_fit)] = []
    due_date: Annotated[date | None, AfterValidator(_due_in_range)] = None
    ticket_url: Url = ""
    state: ItemState = "open"
    category: Annotated[str, _max("action_item.category")] = ""
    created_at: UTCTime


class ImpactDoc(_Doc):
    time_in_sev: dict[str, Count] = {}
    notifications_out_of_sla: Count | None = None
    events_dropped: Count | None = None
    accounts_affected: Count | None = None
    users_affected: Count | None = None
    support_requests: Annotated[str, _max("postmortem.support_requests")] = ""


class PostmortemDoc(_Doc):
    owner: Name = ""
    status: PmStatus = "draft"
    meeting_at: UTCTime | None = None
    recording_url: Url = ""
    sections: dict[Annotated[str, _max("postmortem_section.key")], Section] = {}
    impact: ImpactDoc = ImpactDoc()


class ChecklistDoc(_Doc):
    list: Annotated[str, _max("checklist_item.list")]
    key: Annotated[str, _max("checklist_item.key")]
    person: Name = ""
    role: Annotated[str, _max("checklist_item.role")] = ""
    label: Annotated[str, _max("checklist_item.label")]
    position: StoredInt = 0
    done_at: UTCTime | None = None
    done_by: Name = ""


class MetricsDoc(_Doc):
    time_to_detect_s: StrictInt | None = None
    time_to_acknowledge_s: StrictInt | None = None
    time_to_mitigate_s: StrictInt | None = None
    time_to_resolve_s: StrictInt | None = None


class IncidentDocument(_Doc):
    """The whole exported incident."""

    format: str = FORMAT_NAME
    version: StrictInt = FORMAT_VERSION
    incident: IncidentDoc
    severity_history: list[SeverityDoc]
    roles: list[RoleDoc] = []
    timeline: list[EventDoc] = []
    status_updates: list[UpdateDoc] = []
    action_items: list[ActionItemDoc] = []
    postmortem: PostmortemDoc = PostmortemDoc()
    checklists: list[ChecklistDoc] = []
    metrics: MetricsDoc = MetricsDoc()
