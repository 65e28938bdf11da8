"""The post-mortem: drafted from the record, moved through its statuses, shared.

After a SEV1 or SEV2 the post-mortem owner writes up what happened, holds a meeting
before the policy's deadline and files follow-up tickets. This module does the parts
the record already knows:

- **Prefill** (`prefill`, `apply_prefill`): the Responders, Timeline and Impact
  sections drafted from the role history, the key events, milestones, severity and
  status changes and the updates sent. `apply_prefill` only fills empty sections
  unless told to overwrite, so nothing the owner wrote is lost. TODO events become
  draft action items with `import_todos`.
- **Status** (`set_status`): Draft -> In Review -> Reviewed -> Closed, one step at a
  time (one step back is allowed). In Review and later need an owner. Closed needs
  the external message posted: the latest status-page update must be marked posted
  (`mark_posted`), and an External Message section must have been published as a
  status-page post (`record_external_message`, then `mark_posted`).
- **Meeting** (`meeting_deadline`, `meeting_check`, `meeting_ics`): the deadline of
  the worst severity reached, counted from resolution; a one-line warning; an
  iCalendar invitation.
- **Action items** (`action_item_warnings`, `action_items_csv`): too many, or too
  many below P1; a CSV for Jira's importer.
- **Documents** (`postmortem_markdown`, `blameless_hints`): the whole post-mortem in
  template order, and names that appear in the Root Causes text.
- **Overview** (`needing_postmortem`): resolved incidents still owing a post-mortem.

Times in the timeline table are UTC (as the template asks); meeting times are shown
in the policy's time zone with UTC alongside.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, col, select

from storage import markdown as md
from storage import ops
from storage.db import Store
from storage.errors import InvalidInput, NotFound
from storage.metrics import METRIC_SPANS, response_metrics, time_in_severity
from storage.models import (
    POSTMORTEM_SECTIONS,
    POSTMORTEM_STATUSES,
    ActionItem,
    Event,
    Incident,
    Postmortem,
    PostmortemSection,
    SeverityChange,
    StatusUpdate,
)
from storage.text import BIDI_CONTROLS, csv_cell

__all__ = [
    "EXTERNAL_MESSAGE_KIND",
    "MEETING_WARNING_WINDOW",
    "PREFILLED_SECTIONS",
    "PostmortemView",
    "read_postmortem",
    "STATUS_LABELS",
    "TODO_CATEGORY",
    "PostmortemDue",
    "action_item_warnings",
    "action_items_csv",
    "apply_prefill",
    "blameless_hints",
    "import_todos",
    "mark_posted",
    "meeting_check",
    "meeting_deadline",
    "meeting_ics",
    "needing_postmortem",
    "postmortem_markdown",
    "prefill",
    "record_external_message",
    "set_status",
    "todo_candidates",
    "worst_severity",
]

STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "in_review": "In Review",
    "reviewed": "Reviewed",
    "closed": "Closed",
}
"""Display names of `POSTMORTEM_STATUSES`."""

PREFILLED_SECTIONS: tuple[str, ...] = ("impact", "responders", "timeline")
"""Sections `prefill` drafts from the record, in template order."""

TODO_CATEGORY = "from the timeline"
"""Category of the action items `import_todos` adds."""

EXTERNAL_MESSAGE_KIND = "postmortem"
"""Update kind of the external message published on the status page."""

MEETING_WARNING_WINDOW = timedelta(hours=24)
"""How close to its deadline an unscheduled meeting starts to draw a warning."""

TOO_MANY_ACTION_ITEMS = 10
"""More open action items than this draws a warning."""

JIRA_PRIORITIES: dict[str, str] = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low", "P4": "Lowest"}

_DETAIL_PREFIX = "postmortem:"
"""Timeline events about the post-mortem itself carry a detail starting with this."""

_MILESTONE_LABELS: dict[str, str] = {
    "started": "Impact started",
    "detected": "Problem detected",
    "acknowledged": "Page acknowledged",
    "investigating": "Investigation started",
    "mitigated": "Impact mitigated",
    "resolved": "Resolved",
    "retrospective_prepared": "Retrospective prepared",
    "retrospective_done": "Retrospective held",
}

_METRIC_LABELS: dict[str, str] = {
    "time_to_detect_s": "Time to detect",
    "time_to_acknowledge_s": "Time to acknowledge",
    "time_to_mitigate_s": "Time to mitigate",
    "time_to_resolve_s": "Time to resolve",
}

_ITEM_STATES: dict[str, str] = {"open": "open", "in_progress": "in progress", "done": "done", "wont_do": "won't do"}

_TIMELINE_UPDATE_CHANNELS = frozenset({"internal", "status_page"})
"""Update events shown in the timeline (responder check-ins are left out)."""

_PLACEHOLDERS: dict[str, str] = {
    "overview": "A sentence or two: the root cause, how long it lasted and who was affected.",
    "what_happened": "A short account of what happened.",
    "root_causes": "The conditions that led to the incident, and anything done during the response that made it "
    "worse. Describe systems and processes, not people.",
    "resolution": "What fixed it: the temporary fix, if there was one, and the long-term solution.",
    "impact": "",
    "responders": "",
    "timeline": "",
    "went_well": "Anything that went well and deserves a mention (it is fine to list nothing).",
    "went_badly": "Anything that did not go well; each point should lead to a follow-up.",
    "got_lucky": "Where luck, rather than design, kept things from being worse.",
    "were_wrong": "What we believed about our systems that turned out to be wrong.",
    "internal_email": "A short paragraph for employees, sent after the meeting, with a link to this post-mortem.",
    "external_message": "What customers read on the status page: a summary, what happened and what we are doing "
    "about it, with a genuine apology.",
}
"""What each section is for, shown in the Markdown while it is still empty."""


# --- reading the record ----------------------------------------------------------------


def _postmortem(session: Session, incident: Incident, *, lock: bool = False) -> Postmortem | None:
    query = select(Postmortem).where(Postmortem.incident_id == incident.id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def _sections(session: Session, postmortem: Postmortem | None) -> dict[str, str]:
    if postmortem is None:
        return {}
    rows = session.exec(select(PostmortemSection).where(PostmortemSection.postmortem_id == postmortem.id)).all()
    return {row.key: row.body for row in rows}


@dataclass(frozen=True)
class PostmortemView:
    """A post-mortem as its editor shows it (defaults when none was started yet)."""

    title: str
    owner: str
    status: str
    meeting_at: datetime | None
    recording_url: str
    numbers: dict[str, int | None]
    support_requests: str
    sections: dict[str, str]


def read_postmortem(store: Store, ref: str) -> PostmortemView:
    """The post-mortem's fields and section texts, without reading the rest of the record."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        row = _postmortem(session, incident)
        return PostmortemView(
            title=ops.title_of(store, incident),
            owner=row.owner if row else "",
            status=row.status if row else "draft",
            meeting_at=row.meeting_at if row else None,
            recording_url=row.recording_url if row else "",
            numbers={key: getattr(row, key) if row else None for key in ops.POSTMORTEM_NUMBERS},
            support_requests=row.support_requests if row else "",
            sections=_sections(session, row),
        )


def _status_page_updates(session: Session, incident: Incident) -> list[StatusUpdate]:
    return list(
        session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.incident_id == incident.id, StatusUpdate.channel == "status_page")
            .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
        ).all()
    )


def _worst(session: Session, incident: Incident) -> int:
    levels = session.exec(select(SeverityChange.severity).where(SeverityChange.incident_id == incident.id)).all()
    return min([*levels, incident.severity])


def _resolved_at(session: Session, incident: Incident, reached: dict[str, datetime]) -> datetime | None:
    """The resolved milestone; for an incident resolved without one, its last move to resolved."""
    if "resolved" in reached:
        return reached["resolved"]
    if incident.status != "resolved":
        return None
    return session.exec(
        select(Event.occurred_at)
        .where(Event.incident_id == incident.id, Event.kind == "status", Event.detail == "resolved")
        .order_by(col(Event.occurred_at).desc(), col(Event.seq).desc())
    ).first()


def _deadline(store: Store, level: int, resolved: datetime | None) -> datetime | None:
    if resolved is None:
        return None
    rule = store.policy.severity(level).postmortem_deadline
    if rule is None:
        return None
    return rule.due(resolved, store.policy.tz).astimezone(timezone.utc)


def worst_severity(store: Store, ref: str) -> int:
    """The worst (lowest-numbered) severity the incident ever had."""
    with store.read() as session:
        return _worst(session, ops.find_incident(session, ref))


# --- formatting helpers ----------------------------------------------------------------


def _duration(delta: timedelta | int | None) -> str:
    """`58m`, `1h 02m`, `2d 3h 05m`, `4m 30s`; "—" when unknown."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds()) if isinstance(delta, timedelta) else int(delta)
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if days or hours:
        parts.append(f"{hours}h")
        parts.append(f"{minutes:02d}m")
    else:
        parts.append(f"{minutes}m")
    if secs:
        parts.append(f"{secs:02d}s")
    return sign + " ".join(parts)


def _utc(at: datetime) -> str:
    """`2026-11-23 13:42` in UTC (seconds only when there are some)."""
    value = at.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")


def _utc_clock(at: datetime) -> str:
    value = at.astimezone(timezone.utc)
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _span(start: datetime, end: datetime | None) -> str:
    """A UTC time span: `2026-11-23 13:54–14:40 UTC`, or `from 2026-11-23 13:54 UTC`."""
    if end is None:
        return f"from {_utc(start)} UTC"
    if start.astimezone(timezone.utc).date() == end.astimezone(timezone.utc).date():
        return f"{_utc(start)}–{_utc_clock(end)} UTC"
    return f"{_utc(start)} UTC – {_utc(end)} UTC"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _local(store: Store, at: datetime) -> str:
    """`Wed 25 Nov 2026 10:00 CET (09:00 UTC)`: the policy's zone, with UTC alongside."""
    local = at.astimezone(store.policy.tz)
    shown = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} {local.tzname()}"
    if local.utcoffset() == timedelta(0):
        return shown
    return f"{shown} ({_utc_clock(at)} UTC)"


def _role_name(store: Store, key: str) -> str:
    try:
        return store.policy.role(key).name
    except InvalidInput:  # a role no longer in the config: show its key
        return key


# --- prefill ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """What the prefill and the document read, loaded in one session."""

    incident: Incident
    title: str
    reached: dict[str, datetime]
    resolved_at: datetime | None
    history: list[SeverityChange]
    holdings: list[ops.RoleHolding]
    events: list[Event]
    postmortem: Postmortem | None
    sections: dict[str, str]
    updates: list[StatusUpdate]
    items: list[ActionItem]


def _load(store: Store, session: Session, ref: str) -> _Record:
    incident = ops.find_incident(session, ref)
    reached = ops._milestones(session, incident)
    postmortem = _postmortem(session, incident)
    return _Record(
        incident=incident,
        title=ops.title_of(store, incident),
        reached=reached,
        resolved_at=_resolved_at(session, incident, reached),
        history=ops._severity_history(session, incident),
        holdings=ops._role_history(session, incident),
        events=list(session.exec(ops._timeline_query(incident.id)).all()),
        postmortem=postmortem,
        sections=_sections(session, postmortem),
        updates=list(
            session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.incident_id == incident.id)
                .order_by(col(StatusUpdate.sent_at), col(StatusUpdate.id))
            ).all()
        ),
        items=list(
            session.exec(
                select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(col(ActionItem.id))
            ).all()
        ),
    )


def _read(store: Store, ref: str) -> _Record:
    with store.read() as session:
        return _load(store, session, ref)


def _responders_text(store: Store, record: _Record) -> str:
    end_of_incident = record.resolved_at

    def span(holding: ops.RoleHolding) -> str:
        return _span(holding.started_at, holding.ended_at or end_of_incident)

    lines: list[str] = []
    for key in ("ic", "scribe"):
        held = [h for h in record.holdings if h.role == key]
        name = md.inline(_role_name(store, key))
        if held:
            people = ", then ".join(f"{md.inline(h.person)} ({span(h)})" for h in held)
        else:
            people = "nobody recorded"
        lines.append(f"- **{name}:** {people}")
    others = [h for h in record.holdings if h.role not in ("ic", "scribe")]
    if others:
        lines.append("- **Also involved:**")
        for holding in others:
            what = md.inline(_role_name(store, holding.role)) + (f" ({md.inline(holding.note)})" if holding.note.strip() else "")
            lines.append(f"  - {md.inline(holding.person)}, {what}, {span(holding)}")
    return "\n".join(lines)


def _timeline_rows(record: _Record) -> list[tuple[datetime, int, str, str | None, str]]:
    """(time, seq, text, link, marker) for each row of the post-mortem timeline."""
    rows: list[tuple[datetime, int, str, str | None, str]] = []
    milestone_seq: dict[str, int] = {}
    for event in record.events:
        if event.kind == "milestone" and event.detail:
            milestone_seq[event.detail] = event.seq
    start_key = "started" if "started" in record.reached else None
    for name, at in record.reached.items():
        marker = "🔴" if name == start_key else "🟢" if name == "resolved" else ""
        rows.append((at, milestone_seq.get(name, 0), _MILESTONE_LABELS.get(name, name), None, marker))
    for event in record.events:
        if event.struck or (event.detail or "").startswith(_DETAIL_PREFIX):
            continue
        if event.kind == "milestone":
            continue  # one row per milestone, at its current time (above)
        if event.kind == "status" and event.detail in ops.MILESTONE_STATUS and event.detail in record.reached:
            continue  # the milestone row says it already
        if event.kind == "update" and event.detail not in _TIMELINE_UPDATE_CHANNELS:
            continue
        if not (event.key or event.kind in ("severity", "status", "update", "declared")):
            continue
        marker = "🔴" if event.kind == "declared" and start_key is None else ""
        rows.append((event.occurred_at, event.seq, _without_link(event.text, event.link), event.link, marker))
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _without_link(text: str, link: str | None) -> str:
    """The event text without its link (which goes in the Data column)."""
    if not link or link not in text:
        return text
    shorter = " ".join(text.replace(link, " ").split()).rstrip(" :-—")
    return shorter or text


def _timeline_text(record: _Record) -> str:
    lines = ["| Time (UTC) | Event | Data |", "| --- | --- | --- |"]
    for at, _seq, text, link, marker in _timeline_rows(record):
        shown = f"{marker} {md.cell(text)}" if marker else md.cell(text)
        data = md.link(link)
        lines.append(f"| {_utc(at)} | {shown} | {data} |")
    return "\n".join(lines)


def _time_in_severity(store: Store, record: _Record) -> dict[int, timedelta]:
    end = record.resolved_at or store.now()
    return time_in_severity(
        [(change.severity, change.at) for change in record.history], started=record.reached.get("started"), end=end
    )


def _impact_text(store: Store, record: _Record) -> str:
    incident = record.incident
    start = record.reached.get("started", incident.declared_at)
    spent = _time_in_severity(store, record)
    levels = ", ".join(f"{_duration(delta)} at SEV{level}" for level, delta in spent.items())
    if record.resolved_at is not None:
        opening = f"The impact lasted {_duration(record.resolved_at - start)} from start to resolution"
    else:
        opening = f"The incident is not resolved yet; so far it has lasted {_duration(store.now() - start)}"
    lines = [f"{opening} ({levels}).", ""]
    customers = [md.inline(c.strip(" *-\u2022")) for c in incident.known_impacted_customers.splitlines()]
    customers = [c for c in customers if c]
    lines += [
        f"- Customer impact: {md.inline(incident.customer_impact, line_break='<br>') or 'not recorded'}",
        f"- Customers impacted: {incident.quantity_impacted}",
        f"- Known impacted customers: {', '.join(customers) if customers else 'none recorded'}",
    ]
    if incident.full_outage:
        lines.append("- This was a full outage.")
    lines += ["", "| Response | Time | Between (UTC) |", "| --- | --- | --- |"]
    metrics = response_metrics(record.reached)

    def reached(name: str) -> str:
        at = record.reached.get(name)
        return f"{name} {_utc_clock(at)}" if at is not None else f"{name} (not set)"

    for key, seconds in metrics.items():
        begin, end = METRIC_SPANS[key]
        lines.append(f"| {_METRIC_LABELS[key]} | {_duration(seconds)} | {reached(begin)} → {reached(end)} |")
    return "\n".join(lines)


def _prefill(store: Store, record: _Record) -> dict[str, str]:
    return {
        "impact": _impact_text(store, record),
        "responders": _responders_text(store, record),
        "timeline": _timeline_text(record),
    }


def prefill(store: Store, ref: str) -> dict[str, str]:
    """Markdown drafts of the sections the record can write: `impact`, `responders`, `timeline`.

    - responders: the Incident Commander and the Scribe first (every holder, handovers
      included), then everyone else with their role and when they held it;
    - timeline: a `| Time (UTC) | Event | Data |` table of every key event that is not
      struck, plus milestones (one row each, at their current time), severity and status
      changes and internal or status-page updates; the start (the `started` milestone,
      else the declaration) is marked 🔴 and the resolution 🟢; an event's link goes
      in the Data column;
    - impact: how long the impact lasted and at which severity, the customer impact as
      recorded, and the response times between milestones.
    """
    return _prefill(store, _read(store, ref))


def todo_candidates(store: Store, ref: str) -> list[str]:
    """The text of each TODO event on the timeline (not struck), oldest first, once each."""
    found: list[str] = []
    seen: set[str] = set()
    for event in ops.timeline(store, ref):
        if event.kind == "todo" and not event.struck:
            norm = _normal_title(event.text)
            if norm and norm not in seen:
                seen.add(norm)
                found.append(event.text.strip())
    return found


def _normal_title(text: str) -> str:
    return " ".join(text.split()).casefold()


def apply_prefill(store: Store, ref: str, *, overwrite: bool = False, author: str | None = None) -> list[str]:
    """Write the `prefill` drafts into the post-mortem (created if need be).

    A section that already has text is left alone unless `overwrite` is true, so what
    the owner wrote is never replaced by accident. Returns the keys written, in
    template order; when any were, the timeline notes it.
    """
    drafts = prefill(store, ref)
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        existing = _sections(session, _postmortem(session, incident))
    chosen = {
        key: body for key, body in drafts.items() if overwrite or not existing.get(key, "").strip()
    }
    if not chosen:
        return []
    ops.update_postmortem(store, ref, sections=chosen)
    titles = dict(POSTMORTEM_SECTIONS)
    written = [key for key, _ in POSTMORTEM_SECTIONS if key in chosen]
    _log(
        store,
        ref,
        f"Post-mortem sections drafted from the record: {', '.join(titles[key] for key in written)}",
        detail=f"{_DETAIL_PREFIX}prefill",
        author=author,
    )
    return written


def _log(store: Store, ref: str, text: str, *, detail: str, author: str | None, kind: str = "status") -> None:
    now = store.now()
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        ops.add_event(
            session, incident, kind=kind, text=text, occurred_at=now, logged_at=now,
            author=author or store.user, detail=detail,
        )


def import_todos(store: Store, ref: str) -> int:
    """Add each TODO from the timeline as a draft action item (P1, "from the timeline").

    A TODO whose text is already the title of an action item (any case or spacing) is
    skipped, so running this again adds nothing twice. Returns how many were added.
    """
    have = {_normal_title(item.title) for item in ops.action_items(store, ref)}
    added = 0
    for text in todo_candidates(store, ref):
        if _normal_title(text) in have:
            continue
        ops.add_action_item(store, ref, text, priority="P1", category=TODO_CATEGORY)
        have.add(_normal_title(text))
        added += 1
    return added


# --- status ----------------------------------------------------------------------------


def _status_key(status: str) -> str:
    key = re.sub(r"[\s\-]+", "_", status.strip().casefold())
    if key not in POSTMORTEM_STATUSES:
        shown = ", ".join(STATUS_LABELS[s] for s in POSTMORTEM_STATUSES)
        raise InvalidInput(f"unknown post-mortem status {status.strip()!r}: use one of {shown}")
    return key


def _closing_blocker(session: Session, incident: Incident, sections: dict[str, str]) -> str | None:
    """Why the post-mortem cannot be Closed yet because of the external message, if it cannot."""
    updates = _status_page_updates(session, incident)
    if updates and not updates[-1].posted:
        latest = updates[-1]
        return (
            f"the status-page message recorded at {_utc(latest.sent_at)} UTC ({latest.kind}) is not marked "
            "posted yet: post it, mark it posted, then close"
        )
    if sections.get("external_message", "").strip() and not any(
        u.kind == EXTERNAL_MESSAGE_KIND and u.posted for u in updates
    ):
        return (
            "the External Message has not been posted on the status page: record it as a status-page "
            "post, mark it posted once it is live, then close"
        )
    return None


def set_status(store: Store, ref: str, status: str, *, author: str | None = None) -> Postmortem:
    """Move the post-mortem to `status` ("draft", "in_review"/"In Review", "reviewed", "closed").

    Statuses go Draft -> In Review -> Reviewed -> Closed one step at a time; going back
    one step is allowed, skipping is not. In Review and later need an owner. Closed also
    needs the external message posted: the latest status-page update marked posted
    and, when the External Message section has text, that message recorded as a
    status-page post (`record_external_message`) and marked posted. The move is logged
    on the timeline ("status" event, detail `postmortem:<status>`).
    """
    target = _status_key(status)
    now = store.now()
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        postmortem = _postmortem(session, incident, lock=True)
        current = postmortem.status if postmortem is not None else "draft"
        order = POSTMORTEM_STATUSES.index
        step = order(target) - order(current)
        label, was = STATUS_LABELS[target], STATUS_LABELS[current]
        if step == 0:
            raise InvalidInput(f"the post-mortem of {incident.ref} is already {label}")
        if step > 1:
            following = STATUS_LABELS[POSTMORTEM_STATUSES[order(current) + 1]]
            raise InvalidInput(
                f"the post-mortem of {incident.ref} is {was}: it cannot skip to {label}; move it to {following} first"
            )
        if step < -1:
            previous = STATUS_LABELS[POSTMORTEM_STATUSES[order(current) - 1]]
            raise InvalidInput(
                f"the post-mortem of {incident.ref} is {was}: it can only go back one step, to {previous}"
            )
        if step > 0 and target != "draft" and (postmortem is None or not postmortem.owner.strip()):
            raise InvalidInput(f"name the post-mortem owner before moving it to {label}")
        assert postmortem is not None  # a move other than to draft needs an owner, so a row
        if target == "closed":
            blocker = _closing_blocker(session, incident, _sections(session, postmortem))
            if blocker is not None:
                raise InvalidInput(f"the post-mortem of {incident.ref} cannot be Closed: {blocker}")
        postmortem.status = target
        postmortem.updated_at = now
        session.add(postmortem)
        ops.add_event(
            session,
            incident,
            kind="status",
            text=f"Post-mortem moved from {was} to {label}",
            occurred_at=now,
            logged_at=now,
            author=author or store.user,
            detail=f"{_DETAIL_PREFIX}{target}",
        )
        session.flush()
        return postmortem


def record_external_message(
    store: Store, ref: str, *, posted: bool = False, author: str | None = None
) -> StatusUpdate:
    """Record the External Message section as a status-page post (kind "postmortem").

    Not yet posted by default: whoever publishes it then calls `mark_posted`.
    """
    now = store.now()
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        body = _sections(session, _postmortem(session, incident)).get("external_message", "").strip()
        if not body:
            raise InvalidInput(f"the post-mortem of {incident.ref} has no External Message to publish: write it first")
        update = StatusUpdate(
            incident_id=incident.id,  # type: ignore[arg-type]
            channel="status_page",
            kind=EXTERNAL_MESSAGE_KIND,
            subject=f"Post-mortem: {ops.title_of(store, incident)}",
            body=body,
            sent_at=now,
            author=author,
            posted=posted,
        )
        session.add(update)
        text = "External message posted on the status page" if posted else "External message ready for the status page (not posted yet)"
        ops.add_event(
            session, incident, kind="update", text=text, occurred_at=now, logged_at=now,
            author=author, detail="status_page",
        )
        session.flush()
        return update


def mark_posted(store: Store, ref: str, update_id: int | None = None, *, author: str | None = None) -> StatusUpdate:
    """Mark a status-page update as posted: the one with `update_id`, else the latest."""
    now = store.now()
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        updates = _status_page_updates(session, incident)
        if update_id is None:
            if not updates:
                raise InvalidInput(f"{incident.ref} has no status-page message to mark posted")
            update = updates[-1]
        else:
            found = [u for u in updates if u.id == update_id]
            if not found:
                raise NotFound(f"{incident.ref} has no status-page message #{update_id}")
            update = found[0]
        if update.posted:
            raise InvalidInput(f"the status-page message of {_utc(update.sent_at)} UTC is already marked posted")
        update.posted = True
        session.add(update)
        what = "External message" if update.kind == EXTERNAL_MESSAGE_KIND else f"Status page message ({update.kind})"
        ops.add_event(
            session, incident, kind="update", text=f"{what} posted on the status page", occurred_at=now,
            logged_at=now, author=author, detail="status_page",
        )
        session.flush()
        return update


# --- meeting ---------------------------------------------------------------------------


def meeting_deadline(store: Store, ref: str) -> datetime | None:
    """When the post-mortem meeting must be held (UTC): the deadline of the worst severity
    reached, counted from resolution. None while unresolved or when that severity has none."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        resolved = _resolved_at(session, incident, ops._milestones(session, incident))
        return _deadline(store, _worst(session, incident), resolved)


def _meeting_warning(
    store: Store, deadline: datetime | None, meeting_at: datetime | None, status: str
) -> str | None:
    if deadline is None or status in ("reviewed", "closed"):
        return None
    now = store.now()
    if meeting_at is None:
        if now > deadline:
            return (
                f"The post-mortem meeting is not scheduled and its deadline passed {_duration(now - deadline)} ago "
                f"({_local(store, deadline)}): schedule it now"
            )
        if deadline - now <= MEETING_WARNING_WINDOW:
            return (
                f"The post-mortem meeting is not scheduled and is due within {_duration(deadline - now)} "
                f"(by {_local(store, deadline)})"
            )
        return None
    if meeting_at > deadline:
        return (
            f"The post-mortem meeting ({_local(store, meeting_at)}) is after its deadline "
            f"({_local(store, deadline)}): move it earlier"
        )
    return None


def meeting_check(store: Store, ref: str) -> str | None:
    """A one-line warning about the meeting, or None when all is well.

    Warns when the meeting is not scheduled and the deadline has passed or is less than
    `MEETING_WARNING_WINDOW` away, or when it is scheduled after the deadline. Nothing
    once the post-mortem is Reviewed or Closed (the meeting is over).
    """
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        postmortem = _postmortem(session, incident)
        resolved = _resolved_at(session, incident, ops._milestones(session, incident))
        deadline = _deadline(store, _worst(session, incident), resolved)
    return _meeting_warning(
        store,
        deadline,
        postmortem.meeting_at if postmortem else None,
        postmortem.status if postmortem else "draft",
    )


_ICS_FORBIDDEN = {
    code: None for code in (*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS)
}
"""What a TEXT value drops: the controls RFC 5545 forbids (all C0 but tab and newline, DEL),
the C1 controls and the bidi controls that could reorder what a calendar shows."""


def _ics_text(value: str) -> str:
    """`value` fit for an iCalendar TEXT value: line breaks as LF (written `\\n`), no
    control character RFC 5545 forbids. `icalendar` escapes the rest."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_ICS_FORBIDDEN)


def meeting_ics(store: Store, ref: str, *, duration: timedelta = timedelta(hours=1)) -> str:
    """The post-mortem meeting as an iCalendar file (RFC 5545) holding one VEVENT, built
    with `icalendar`.

    CRLF line endings, lines folded at 75 octets, times in UTC, a UID that stays the
    same for the incident (so a re-sent invitation updates the first), DTSTAMP from the
    store's clock, no control character in the text. InvalidInput when the meeting has
    no time yet.
    """
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    if duration <= timedelta(0):
        raise InvalidInput("the meeting must last longer than zero minutes")
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        postmortem = _postmortem(session, incident)
        title = ops.title_of(store, incident)
    if postmortem is None or postmortem.meeting_at is None:
        raise InvalidInput(f"the post-mortem of {incident.ref} has no meeting time: set one first")
    start = postmortem.meeting_at.astimezone(timezone.utc)
    description = [f"Post-mortem meeting for incident {incident.ref}: {title}.", f"Incident record: {incident.ref}"]
    if postmortem.owner:
        description.append(f"Post-mortem owner: {postmortem.owner}")
    description.append(f"Call recording: {postmortem.recording_url or 'none yet'}")
    uid_ref = re.sub(r"[^A-Za-z0-9._-]+", "-", incident.ref)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//warroom//post-mortem//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    meeting = CalendarEvent()
    meeting.add("uid", f"postmortem-{uid_ref}@warroom")
    meeting.add("dtstamp", store.now().astimezone(timezone.utc))
    meeting.add("dtstart", start)
    meeting.add("dtend", start + duration)
    meeting.add("summary", _ics_text(f"Post-mortem: {incident.ref} {title}"))
    meeting.add("description", _ics_text("\n".join(description)))
    calendar.add_component(meeting)
    return calendar.to_ical(sorted=False).decode("utf-8")


# --- action items ----------------------------------------------------------------------


def action_item_warnings(items: Sequence[ActionItem]) -> list[str]:
    """What to reconsider in a list of action items (items marked won't-do are not counted).

    - more than half are P2, P3 or P4: follow-ups should mostly be P0/P1 work that
      really must be done;
    - more than `TOO_MANY_ACTION_ITEMS`: a long list tends to get nothing done.
    """
    live = [item for item in items if item.state != "wont_do"]
    warnings: list[str] = []
    low = [item for item in live if item.priority not in ("P0", "P1")]
    if live and len(low) * 2 > len(live):
        warnings.append(
            f"{len(low)} of {len(live)} action items are below P1: keep the ones that must be done "
            "(P0/P1) and drop or defer the rest"
        )
    if len(live) > TOO_MANY_ACTION_ITEMS:
        warnings.append(
            f"{len(live)} action items is a lot (more than {TOO_MANY_ACTION_ITEMS}): "
            "create tickets only for what really has to happen"
        )
    return warnings


def action_items_csv(store: Store, ref: str) -> str:
    """The action items as a CSV file for Jira's CSV importer (won't-do items left out).

    Columns: Summary, Assignee, Priority, one `Labels` column per tag (Jira merges
    repeated Labels columns, so each tag becomes a label; short rows are padded), Due
    Date (YYYY-MM-DD) and Description (the incident reference and title, the category
    and the ticket link when there is one). Priorities map P0..P4 to Highest, High,
    Medium, Low, Lowest. A cell a spreadsheet would run as a formula (one starting with
    `=`, `+`, `-`, `@`, a tab or a carriage return) starts with `'` instead (`csv_cell`).
    """
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        title = ops.title_of(store, incident)
    items = [item for item in ops.action_items(store, ref) if item.state != "wont_do"]
    tag_lists = [[tag for tag in item.tags.split(",") if tag.strip()] for item in items]
    width = max([1, *(len(tags) for tags in tag_lists)])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Summary", "Assignee", "Priority", *(["Labels"] * width), "Due Date", "Description"])
    for item, tags in zip(items, tag_lists):
        description = [f"Follow-up from incident {incident.ref}: {title}."]
        if item.category:
            description.append(f"Category: {item.category}.")
        if item.ticket_url:
            description.append(f"Ticket: {item.ticket_url}")
        row = [
            item.title,
            item.owner,
            JIRA_PRIORITIES.get(item.priority, "Medium"),
            *[tag.strip() for tag in tags],
            *([""] * (width - len(tags))),
            item.due_date.isoformat() if item.due_date else "",
            "\n".join(description),
        ]
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


# --- documents -------------------------------------------------------------------------


def _impact_table(store: Store, record: _Record) -> list[str]:
    pm = record.postmortem
    lines = ["| Measure | Value |", "| --- | --- |"]
    spent = _time_in_severity(store, record)
    for level, delta in spent.items():
        lines.append(f"| Time in SEV{level} | {_duration(delta)} |")

    def number(value: int | None) -> str:
        return "not recorded" if value is None else f"{value:,}"

    for label, value in (
        ("Notifications delivered out of SLA", pm.notifications_out_of_sla if pm else None),
        ("Events dropped / not accepted", pm.events_dropped if pm else None),
        ("Accounts affected", pm.accounts_affected if pm else None),
        ("Users affected", pm.users_affected if pm else None),
    ):
        lines.append(f"| {label} | {number(value)} |")
    support = md.cell(pm.support_requests if pm else "")
    lines.append(f"| Support requests raised | {support or 'not recorded'} |")
    return lines


def _action_item_lines(record: _Record, todos: Iterable[str]) -> list[str]:
    lines: list[str] = []
    if record.items:
        lines += ["| Priority | Action item | Owner | Due | State | Ticket | Tags |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for item in record.items:
            due = item.due_date.isoformat() if item.due_date else "—"
            state = _ITEM_STATES.get(item.state, item.state)
            lines.append(
                f"| {item.priority} | {md.cell(item.title)} | {md.cell(item.owner) or '—'} | {due} | {state} "
                f"| {md.cell(item.ticket_url) or '—'} | {md.cell(item.tags.replace(',', ', '))} |"
            )
    else:
        lines.append("_None yet._")
    have = {_normal_title(item.title) for item in record.items}
    missing = [todo for todo in todos if _normal_title(todo) not in have]
    if missing:
        lines += ["", "TODOs from the timeline not yet tracked as action items:", ""]
        lines += [f"- {md.inline(todo)}" for todo in missing]
    return lines


def _messaging_lines(store: Store, record: _Record, key: str) -> list[str]:
    body = record.sections.get(key, "").strip()
    lines = [body] if body else [f"_Not written yet. {_PLACEHOLDERS[key]}_"]
    if key == "internal_email":
        sent = [u for u in record.updates if u.channel == "internal" and u.kind == "resolved"]
        if sent:
            email = sent[-1]
            lines += ["", f"Resolved email sent {_local(store, email.sent_at)} by {md.inline(email.author) or 'unknown'}:", ""]
            subject = [f"> **{md.inline(email.subject)}**", ">"] if email.subject.strip() else []
            lines += [*subject, *md.quoted(email.body.strip() or "(no body recorded)")]
        else:
            lines += ["", "No resolved email to the internal list has been recorded."]
    else:
        posts = [u for u in record.updates if u.channel == "status_page" and u.kind == EXTERNAL_MESSAGE_KIND]
        if posts:
            post = posts[-1]
            state = "posted" if post.posted else "not posted yet"
            lines += ["", f"Status page: recorded {_local(store, post.sent_at)}, {state}."]
        elif body:
            lines += ["", "Status page: not posted yet."]
    return lines


def postmortem_markdown(store: Store, ref: str) -> str:
    """The whole post-mortem as Markdown, in the template's order.

    Header (owner, status, meeting with its deadline, call recording), then Overview,
    What Happened, Root Causes, Resolution, Impact (a table of exact numbers, then the
    section text), Responders, Timeline, How'd We Do? (went well, didn't go well, got
    lucky, were wrong), Action Items, Messaging (internal email, external message).
    A section with no text uses its `prefill` draft when there is one, else says what
    belongs there.
    """
    record = _read(store, ref)
    todos = todo_candidates(store, ref)
    with store.read() as session:
        worst = _worst(session, ops.find_incident(session, ref))
    drafts = _prefill(store, record)
    incident, pm = record.incident, record.postmortem
    deadline = _deadline(store, worst, record.resolved_at)
    titles = dict(POSTMORTEM_SECTIONS)

    def text(key: str) -> str:
        body = record.sections.get(key, "").strip()
        if body:
            return body
        if key in drafts:
            return drafts[key]
        return f"_Not written yet. {_PLACEHOLDERS[key]}_"

    if pm is not None and pm.meeting_at is not None:
        meeting = _local(store, pm.meeting_at)
    else:
        meeting = "not scheduled"
    if deadline is not None:
        meeting += f"; deadline {_local(store, deadline)}"
    if record.resolved_at is not None:
        state = f"resolved {_local(store, record.resolved_at)}"
    else:
        state = f"not resolved ({incident.status})"
    warning = _meeting_warning(
        store, deadline, pm.meeting_at if pm else None, pm.status if pm else "draft"
    )
    status = STATUS_LABELS[pm.status] if pm is not None else "Not started"
    lines = [
        f"# Post-mortem: {md.inline(f'{incident.ref} {record.title}')}",
        "",
        f"- **Post-mortem owner:** {md.inline(pm.owner if pm else '') or 'not named yet'}",
        f"- **Status:** {status}",
        f"- **Meeting:** {meeting}",
        f"- **Call recording:** {md.inline(pm.recording_url if pm else '') or 'not recorded'}",
        f"- **Severity:** SEV{worst} at worst; {state}",
    ]
    if warning:
        lines += ["", f"> ⚠️ {warning}"]
    lines.append("")
    for key in ("overview", "what_happened", "root_causes", "resolution"):
        lines += [f"## {titles[key]}", "", text(key), ""]
    lines += ["## Impact", "", *_impact_table(store, record), "", text("impact"), ""]
    lines += ["## Responders", "", text("responders"), ""]
    lines += ["## Timeline", "", text("timeline"), ""]
    lines += ["## How'd We Do?", ""]
    for key in ("went_well", "went_badly", "got_lucky", "were_wrong"):
        lines += [f"### {titles[key]}", "", text(key), ""]
    lines += ["## Action Items", "", *_action_item_lines(record, todos), ""]
    lines += ["## Messaging", ""]
    for key in ("internal_email", "external_message"):
        lines += [f"### {titles[key]}", "", *_messaging_lines(store, record, key), ""]
    return "\n".join(lines).rstrip() + "\n"


def blameless_hints(store: Store, ref: str) -> list[str]:
    """People named in the Root Causes text: a nudge to describe systems, not people.

    Everyone who held a role or wrote an event is checked, by full name or first name
    (three letters or more), case-insensitive, as whole words. Names in order of the
    role history, then of the authors.
    """
    record = _read(store, ref)
    body = record.sections.get("root_causes", "")
    if not body.strip():
        return []
    people: list[str] = []
    for name in [h.person for h in record.holdings] + [e.author for e in record.events]:
        name = name.strip()
        if name and name not in people:
            people.append(name)
    found: list[str] = []
    for name in people:
        forms = {name}
        first = name.split()[0]
        if len(first) >= 3:
            forms.add(first)
        for form in forms:
            if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", body, re.IGNORECASE):
                found.append(name)
                break
    return found


# --- overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class PostmortemDue:
    """A resolved incident that still owes a post-mortem."""

    ref: str
    title: str
    severity: int
    """The worst severity the incident reached."""
    status: str
    """The post-mortem's status, or "none" when there is no post-mortem yet."""
    owner: str
    deadline: datetime
    """When the meeting must be held (UTC)."""
    meeting_at: datetime | None
    overdue: bool
    """The deadline has passed and no meeting was held (scheduled at or before it)."""


def needing_postmortem(store: Store) -> list[PostmortemDue]:
    """Resolved incidents whose worst severity needs a post-mortem meeting (SEV1 and SEV2
    by default) and whose post-mortem is not Closed, soonest deadline first.

    Incidents grouped under a primary are left out (the primary's post-mortem covers
    them). Overdue: the deadline has passed, the post-mortem is not yet Reviewed and no
    meeting was set for a time at or before the deadline.
    """
    now = store.now()
    due: list[PostmortemDue] = []
    with store.read() as session:
        incidents = session.exec(
            select(Incident).where(Incident.status == "resolved", col(Incident.primary_ref).is_(None))
        ).all()
        for incident in incidents:
            postmortem = _postmortem(session, incident)
            if postmortem is not None and postmortem.status == "closed":
                continue
            worst = _worst(session, incident)
            deadline = _deadline(store, worst, _resolved_at(session, incident, ops._milestones(session, incident)))
            if deadline is None:
                continue
            status = postmortem.status if postmortem is not None else "none"
            meeting_at = postmortem.meeting_at if postmortem is not None else None
            held_in_time = meeting_at is not None and meeting_at <= deadline
            due.append(
                PostmortemDue(
                    ref=incident.ref,
                    title=ops.title_of(store, incident),
                    severity=worst,
                    status=status,
                    owner=postmortem.owner if postmortem is not None else "",
                    deadline=deadline,
                    meeting_at=meeting_at,
                    overdue=now > deadline and status in ("none", "draft", "in_review") and not held_in_time,
                )
            )
    due.sort(key=lambda row: (row.deadline, row.ref))
    return due
