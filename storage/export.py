"""Export an incident as JSON or Markdown, and import the JSON back.

The JSON document is described in docs/export-format.md. One pydantic schema serves
both directions, so export -> import -> export gives the same document.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Annotated, Any

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
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError
from sqlmodel import Session, col, select

from storage import markdown as md
from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.limits import TEXT_LIMITS, too_long
from storage.metrics import response_metrics, time_in_severity
from storage.models import (
    ACTION_ITEM_STATES,
    EVENT_KINDS,
    MILESTONES,
    POSTMORTEM_SECTIONS,
    POSTMORTEM_STATUSES,
    PRIORITIES,
    QUANTITIES,
    STATUSES,
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
)
from storage.text import json_escaped
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


def utc_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, seconds always, microseconds only when present."""
    value = value.astimezone(timezone.utc)
    spec = "microseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _in_utc(value: datetime, info: ValidationInfo) -> datetime:
    """`value` in UTC; on import (`now` in the context), also within the range of times
    warroom accepts anywhere (`storage.timeparse.out_of_range`)."""
    now: datetime | None = (info.context or {}).get("now")
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the last representable year
        edge = BEFORE_EARLIEST if value.year < EARLIEST.year else TOO_FAR_AHEAD
        raise PydanticCustomError(
            "time_out_of_range", "{time} is {problem}", {"time": value.isoformat(), "problem": edge}
        ) from None
    problem = out_of_range(value, now=now) if now is not None else None
    if problem is not None:
        raise PydanticCustomError("time_out_of_range", "{time} is {problem}", {"time": utc_iso(value), "problem": problem})
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
"""A count kept in an INTEGER column: never negative (as `ops.update_postmortem` holds)."""


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


# --- export ----------------------------------------------------------------------------


def build_document(store: Store, ref: str) -> IncidentDocument:
    """Read one incident completely into an export document."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        return _document(session, store, incident)


def _document(session: Session, store: Store, incident: Incident) -> IncidentDocument:
    milestones = ops._milestones(session, incident)
    history = ops._severity_history(session, incident)
    events = session.exec(ops._timeline_query(incident.id)).all()
    revisions: dict[int, list[EventRevision]] = {}
    for revision in session.exec(
        select(EventRevision)
        .join(Event, col(Event.id) == EventRevision.event_id)
        .where(Event.incident_id == incident.id)
        .order_by(col(EventRevision.revision))
    ).all():
        revisions.setdefault(revision.event_id, []).append(revision)
    updates = session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.incident_id == incident.id)
        .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
    ).all()
    items = session.exec(
        select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(col(ActionItem.id))
    ).all()
    checklist_items = session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.incident_id == incident.id)
        .order_by(col(ChecklistItem.list), col(ChecklistItem.position), col(ChecklistItem.id))
    ).all()
    postmortem = session.exec(select(Postmortem).where(Postmortem.incident_id == incident.id)).first()
    sections: dict[str, str] = {}
    if postmortem is not None:
        stored = {
            s.key: s.body
            for s in session.exec(
                select(PostmortemSection).where(PostmortemSection.postmortem_id == postmortem.id)
            ).all()
        }
        order = [key for key, _ in POSTMORTEM_SECTIONS] + sorted(set(stored) - {k for k, _ in POSTMORTEM_SECTIONS})
        sections = {key: stored[key] for key in order if key in stored}
    end = milestones.get("resolved") or store.now()
    spent = time_in_severity(
        [(change.severity, change.at) for change in history], started=milestones.get("started"), end=end
    )
    impact = ImpactDoc(
        time_in_sev={f"SEV{level}": int(delta.total_seconds()) for level, delta in spent.items()},
        notifications_out_of_sla=postmortem.notifications_out_of_sla if postmortem else None,
        events_dropped=postmortem.events_dropped if postmortem else None,
        accounts_affected=postmortem.accounts_affected if postmortem else None,
        users_affected=postmortem.users_affected if postmortem else None,
        support_requests=postmortem.support_requests if postmortem else "",
    )
    return IncidentDocument(
        incident=IncidentDoc(
            ref=incident.ref,
            title=ops.title_of(store, incident),
            functionality=incident.functionality,
            state=incident.state,
            audience=incident.audience,
            severity=incident.severity,
            status=incident.status,
            customer_impact=incident.customer_impact,
            quantity_impacted=incident.quantity_impacted,
            known_impacted_customers=incident.known_impacted_customers,
            full_outage=incident.full_outage,
            primary=incident.primary_ref,
            declared_at=incident.declared_at,
            milestones=milestones,
        ),
        severity_history=[
            SeverityDoc(severity=c.severity, at=c.at, logged_at=c.logged_at, author=c.author) for c in history
        ],
        roles=[
            RoleDoc(role=h.role, person=h.person, from_=h.started_at, until=h.ended_at, note=h.note)
            for h in ops._role_history(session, incident)
        ],
        timeline=[
            EventDoc(
                seq=e.seq,
                at=e.occurred_at,
                logged_at=e.logged_at,
                kind=e.kind,
                text=e.text,
                author=e.author,
                link=e.link,
                key=e.key,
                detail=e.detail,
                struck=e.struck,
                revisions=[
                    RevisionDoc(
                        revision=r.revision,
                        at=r.occurred_at,
                        kind=r.kind,
                        text=r.text,
                        link=r.link,
                        key=r.key,
                        struck=r.struck,
                        replaced_at=r.replaced_at,
                        replaced_by=r.replaced_by,
                    )
                    for r in revisions.get(e.id or 0, [])
                ],
            )
            for e in events
        ],
        status_updates=[
            UpdateDoc(
                channel=u.channel,
                kind=u.kind,
                subject=u.subject,
                body=u.body,
                sent_at=u.sent_at,
                author=u.author,
                posted=u.posted,
            )
            for u in updates
        ],
        action_items=[
            ActionItemDoc(
                title=i.title,
                owner=i.owner,
                priority=i.priority,
                tags=[t for t in i.tags.split(",") if t],
                due_date=i.due_date,
                ticket_url=i.ticket_url,
                state=i.state,
                category=i.category,
                created_at=i.created_at,
            )
            for i in items
        ],
        postmortem=PostmortemDoc(
            owner=postmortem.owner if postmortem else "",
            status=postmortem.status if postmortem else "draft",
            meeting_at=postmortem.meeting_at if postmortem else None,
            recording_url=postmortem.recording_url if postmortem else "",
            sections=sections,
            impact=impact,
        ),
        checklists=[
            ChecklistDoc(
                list=c.list, key=c.key, person=c.person, role=c.role, label=c.label,
                position=c.position, done_at=c.done_at, done_by=c.done_by,
            )
            for c in checklist_items
        ],
        metrics=MetricsDoc(**response_metrics(milestones)),
    )


def to_json(document: IncidentDocument) -> str:
    """The document as indented JSON text (UTF-8, keys in schema order); control and bidi
    characters in its strings are written as `\\uXXXX` escapes (`json_escaped`)."""
    text = json.dumps(document.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)
    return json_escaped(text) + "\n"


def export_json(store: Store, ref: str) -> str:
    """Export one incident as JSON text."""
    return to_json(build_document(store, ref))


# --- import ----------------------------------------------------------------------------


def parse_document(text: str | bytes, *, now: datetime | None = None) -> IncidentDocument:
    """Validate JSON text as an export document; errors name the field at fault.

    Every time must lie in the range warroom accepts as of `now` (default: the system
    clock), see `storage.timeparse.out_of_range`.
    """
    try:
        if isinstance(text, bytes):  # UTF-8 only (json.loads would guess UTF-16 and UTF-32 too)
            text = text.decode("utf-8-sig")
        raw = json.loads(text, object_pairs_hook=_object, parse_int=_integer)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not a warroom export: invalid JSON ({exc})") from None
    except RecursionError:
        raise InvalidInput("not a warroom export: the JSON is nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise InvalidInput(f"not a warroom export: the document has no \"format\": \"{FORMAT_NAME}\"")
    _refuse_unreadable_values(raw)
    version = raw.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # `true` equals 1 in Python
        raise InvalidInput(
            f"export format version {_path_part(json.dumps(version, ensure_ascii=False))} is not supported "
            f"(this warroom reads {FORMAT_VERSION})"
        )
    context = {"now": now if now is not None else datetime.now(timezone.utc)}
    try:
        return IncidentDocument.model_validate(raw, context=context)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(_path_part(part) for part in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        reason = first["msg"]
        limit = (first.get("ctx") or {}).get("max_length")
        if first["type"] == "string_too_long" and isinstance(first["input"], str) and limit is not None:
            reason = too_long(len(first["input"]), limit)
        raise InvalidInput(f"invalid export: {where}: {reason}{more}") from None


class _RepeatedKey(dict[str, Any]):
    """A JSON object that names a key twice (`json` keeps the last): refused, with where."""

    repeated: str = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, marked when a key comes twice."""
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _RepeatedKey(found)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.repeated = key
            break
        seen.add(key)
    return marked


_LONGEST_NUMBER = 40
"""More digits than any number of the document has (the largest is 64 bits: 20 digits)."""


class _HugeNumber:
    """A JSON integer too long for any field (Python refuses to read past 4,300 digits)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _integer(text: str) -> int | _HugeNumber:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= _LONGEST_NUMBER else _HugeNumber(digits)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _path_part(part: object) -> str:
    """One step of a path into the document, for a one-line message (odd keys quoted)."""
    text = str(part)
    return text if text.isprintable() and len(text) <= 40 and "." not in text else quote_input(text)


def _refuse_unreadable_values(raw: object) -> None:
    """Refuse what no field can hold, naming where: a key given twice in one object, a
    number too long to read, texts with a NUL (PostgreSQL refuses it, and so does every
    other way into the record) or a lone surrogate (not Unicode: no UTF-8 encoding)."""
    stack: list[tuple[object, str]] = [(raw, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _RepeatedKey):
            raise InvalidInput(
                f"invalid export: {where or 'the document'}: the key {quote_input(value.repeated)} is given twice"
            )
        if isinstance(value, dict):
            items: list[tuple[object, object]] = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        for key, item in items:
            path = f"{where}.{_path_part(key)}" if where else _path_part(key)
            if isinstance(item, _HugeNumber):
                raise InvalidInput(
                    f"invalid export: {path}: a number {item.digits:,} digits long, larger than any field holds"
                )
            for text in (key, item):
                if not isinstance(text, str):
                    continue
                if "\x00" in text:
                    raise InvalidInput(f"invalid export: {path}: holds a NUL character (\\0), which cannot be stored")
                if _LONE_SURROGATE.search(text):
                    raise InvalidInput(f"invalid export: {path}: holds a lone surrogate, which is not valid Unicode")
            stack.append((item, path))


def import_document(store: Store, document: IncidentDocument) -> Incident:
    """Write an exported incident into this database, all or nothing."""
    doc = document.incident
    store.policy.severity(doc.severity)
    for change in document.severity_history:
        store.policy.severity(change.severity)
    for holding in document.roles:
        store.policy.role(holding.role)
    unknown = set(doc.milestones) - set(MILESTONES)
    if unknown:
        raise InvalidInput(f"invalid export: unknown milestone {quote_input(sorted(unknown)[0])}")
    if doc.ref != doc.ref.strip() or not doc.ref.isprintable():  # it could never be typed back
        raise InvalidInput(
            f"invalid export: incident.ref: {quote_input(doc.ref)} has spaces around it or control characters"
        )
    seqs = [e.seq for e in document.timeline]
    if len(set(seqs)) != len(seqs):
        raise InvalidInput("invalid export: two timeline events share one seq number")
    for event in document.timeline:
        numbers = [revision.revision for revision in event.revisions]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput(f"invalid export: two revisions of timeline event #{event.seq} share one number")
    steps = [(item.list, item.key, item.person) for item in document.checklists]
    if len(set(steps)) != len(steps):
        raise InvalidInput("invalid export: two checklist items share one list, key and person")
    if not document.severity_history:
        raise InvalidInput("invalid export: severity_history is empty")
    with store.write() as session:
        if session.exec(select(Incident.id).where(Incident.ref == doc.ref)).first() is not None:
            raise InvalidInput(f"incident {quote_input(doc.ref)} already exists in this database")
        latest = max([doc.declared_at, *(e.logged_at for e in document.timeline)])
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
        for item in document.timeline:
            event = Event(
                incident_id=incident_id,
                seq=item.seq,
                occurred_at=item.at,
                logged_at=item.logged_at,
                author=item.author,
                kind=item.kind,
                text=item.text,
                link=item.link,
                key=item.key,
                detail=item.detail,
                struck=item.struck,
                revision=len(item.revisions) + 1,
            )
            session.add(event)
            session.flush()
            for revision in item.revisions:
                session.add(
                    EventRevision(
                        event_id=event.id,  # type: ignore[arg-type]
                        revision=revision.revision,
                        occurred_at=revision.at,
                        kind=revision.kind,
                        text=revision.text,
                        link=revision.link,
                        key=revision.key,
                        struck=revision.struck,
                        replaced_at=revision.replaced_at,
                        replaced_by=revision.replaced_by,
                    )
                )
        for update in document.status_updates:
            session.add(StatusUpdate(incident_id=incident_id, **update.model_dump()))
        for action in document.action_items:
            fields = action.model_dump()
            fields["tags"] = ",".join(action.tags)
            session.add(ActionItem(incident_id=incident_id, **fields))
        for item in document.checklists:
            session.add(ChecklistItem(incident_id=incident_id, **item.model_dump()))
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


def import_json(store: Store, text: str | bytes) -> Incident:
    """Import one incident from export JSON text."""
    return import_document(store, parse_document(text, now=store.now()))


# --- Markdown --------------------------------------------------------------------------


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def _md_time(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def to_markdown(document: IncidentDocument) -> str:
    """A readable report of the incident, post-mortem sections in template order."""
    inc = document.incident
    pm = document.postmortem
    lines: list[str] = [f"# {md.inline(f'{inc.ref} {inc.title}')}", ""]
    lines += [
        "| | |",
        "| --- | --- |",
        f"| Severity | SEV{inc.severity} |",
        f"| Status | {inc.status} |",
        f"| Declared | {_md_time(inc.declared_at)} |",
        f"| Customer impact | {md.cell(inc.customer_impact) or '—'} |",
        f"| Quantity impacted | {inc.quantity_impacted} |",
        f"| Known impacted customers | {md.cell(inc.known_impacted_customers) or '—'} |",
    ]
    if inc.primary:
        lines.append(f"| Grouped under | {md.cell(inc.primary)} |")
    lines += ["", "## Post-mortem", "", f"- Owner: {md.inline(pm.owner) or '—'}", f"- Status: {pm.status}"]
    lines += [f"- Meeting: {_md_time(pm.meeting_at)}", f"- Call recording: {md.inline(pm.recording_url) or '—'}", ""]
    titles = dict(POSTMORTEM_SECTIONS)
    for key, title in POSTMORTEM_SECTIONS:
        lines += [f"### {title}", ""]
        if key == "impact":
            lines += _impact_lines(document)
        elif key == "responders":
            lines += _responder_lines(document)
        elif key == "timeline":
            lines += _timeline_lines(document)
        body = pm.sections.get(key, "").strip()
        lines += [body, ""] if body else ([] if key in ("impact", "responders", "timeline") else ["—", ""])
    for key, body in pm.sections.items():
        if key not in titles:
            lines += [f"### {md.inline(key)}", "", body.strip() or "—", ""]
    lines += ["## Action items", ""]
    if document.action_items:
        lines += ["| Priority | Item | Owner | Due | State | Tags | Ticket |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for item in document.action_items:
            due = item.due_date.isoformat() if item.due_date else "—"
            lines.append(
                f"| {item.priority} | {md.cell(item.title)} | {md.cell(item.owner) or '—'} | {due} | {item.state} "
                f"| {md.cell(', '.join(item.tags))} | {md.cell(item.ticket_url) or '—'} |"
            )
    else:
        lines.append("None yet.")
    lines += ["", "## Status updates", ""]
    if document.status_updates:
        for update in document.status_updates:
            subject = f": {md.inline(update.subject)}" if update.subject.strip() else ""
            lines.append(f"- {_md_time(update.sent_at)} — {update.channel} ({update.kind}){subject}")
    else:
        lines.append("None sent.")
    return "\n".join(lines).rstrip() + "\n"


def _impact_lines(document: IncidentDocument) -> list[str]:
    impact = document.postmortem.impact
    metrics = document.metrics
    lines = ["| Measure | Value |", "| --- | --- |"]
    for key, seconds in impact.time_in_sev.items():
        lines.append(f"| Time in {key} | {_duration(seconds)} |")
    for label, value in (
        ("Time to detect", metrics.time_to_detect_s),
        ("Time to acknowledge", metrics.time_to_acknowledge_s),
        ("Time to mitigate", metrics.time_to_mitigate_s),
        ("Time to resolve", metrics.time_to_resolve_s),
    ):
        lines.append(f"| {label} | {_duration(value)} |")
    for label, count in (
        ("Notifications out of SLA", impact.notifications_out_of_sla),
        ("Events dropped", impact.events_dropped),
        ("Accounts affected", impact.accounts_affected),
        ("Users affected", impact.users_affected),
    ):
        lines.append(f"| {label} | {'—' if count is None else count} |")
    lines.append(f"| Support requests | {md.cell(impact.support_requests) or '—'} |")
    return [*lines, ""]


def _responder_lines(document: IncidentDocument) -> list[str]:
    if not document.roles:
        return ["No roles recorded.", ""]
    lines = []
    for holding in document.roles:
        until = _md_time(holding.until) if holding.until else "now"
        note = f" ({md.inline(holding.note)})" if holding.note.strip() else ""
        lines.append(f"- {md.inline(holding.role)}: {md.inline(holding.person)}{note}, {_md_time(holding.from_)} – {until}")
    return [*lines, ""]


def _timeline_lines(document: IncidentDocument) -> list[str]:
    lines = ["| Time (UTC) | Event | Data |", "| --- | --- | --- |"]
    for event in document.timeline:
        marker = ""
        if event.kind == "milestone" and event.detail == "started":
            marker = "🔴 "
        elif event.kind == "milestone" and event.detail == "resolved":
            marker = "🟢 "
        text = md.cell(event.text)
        if event.struck:
            text = f"~~{text}~~"
        elif event.key:
            text = f"**{text}**"
        lines.append(
            f"| {event.at.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S')} | {marker}{text} "
            f"| {md.cell(event.link) or ''} |"
        )
    return [*lines, ""]


def export_markdown(store: Store, ref: str) -> str:
    """Export one incident as a Markdown report."""
    return to_markdown(build_document(store, ref))
