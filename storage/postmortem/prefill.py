"""The sections the record can write: Impact, Responders and Timeline drafted as Markdown,
and the TODO events of the timeline as draft action items.

`apply_prefill` only fills empty sections unless told to overwrite, so nothing the owner
wrote is lost. Times in the timeline table are UTC (as the template asks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from storage import ops, render
from storage.db import Store
from storage.errors import InvalidInput
from storage.metrics import METRIC_LABELS, METRIC_SPANS, response_metrics, time_in_severity
from storage.models import POSTMORTEM_SECTIONS, Event, Postmortem, PostmortemSection
from storage.postmortem.load import (
    DETAIL_PREFIX,
    Record,
    read_record,
)
from storage.postmortem.record import update_postmortem
from storage.snapshot import RoleHolding, Snapshot

PREFILLED_SECTIONS: tuple[str, ...] = ("impact", "responders", "timeline")
"""Sections `prefill` drafts from the record, in template order."""

TODO_CATEGORY = "from the timeline"
"""Category of the action items `import_todos` adds."""

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

_TIMELINE_UPDATE_CHANNELS = frozenset({"internal", "status_page"})
"""Update events shown in the timeline (responder check-ins are left out)."""


def _role_name(store: Store, key: str) -> str:
    try:
        return store.policy.role(key).name
    except InvalidInput:  # a role no longer in the config: show its key
        return key


def _responders_text(store: Store, record: Record) -> str:
    end_of_incident = record.resolved_at

    def span(holding: RoleHolding) -> str:
        return render.utc_span(holding.started_at, holding.ended_at or end_of_incident)

    lines: list[str] = []
    for key in ("ic", "scribe"):
        held = [h for h in record.holdings if h.role == key]
        name = render.inline(_role_name(store, key))
        if held:
            people = ", then ".join(f"{render.inline(h.person)} ({span(h)})" for h in held)
        else:
            people = "nobody recorded"
        lines.append(f"- **{name}:** {people}")
    others = [h for h in record.holdings if h.role not in ("ic", "scribe")]
    if others:
        lines.append("- **Also involved:**")
        for holding in others:
            what = render.inline(_role_name(store, holding.role)) + (
                f" ({render.inline(holding.note)})" if holding.note.strip() else ""
            )
            lines.append(f"  - {render.inline(holding.person)}, {what}, {span(holding)}")
    return "\n".join(lines)


def _timeline_rows(record: Record) -> list[tuple[datetime, int, str, str | None, str]]:
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
        if event.struck or (event.detail or "").startswith(DETAIL_PREFIX):
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


def _timeline_text(record: Record) -> str:
    lines = ["| Time (UTC) | Event | Data |", "| --- | --- | --- |"]
    for at, _seq, text, link, marker in _timeline_rows(record):
        shown = f"{marker} {render.cell(text)}" if marker else render.cell(text)
        data = render.link(link)
        lines.append(f"| {render.utc_time(at)} | {shown} | {data} |")
    return "\n".join(lines)


def severity_times(store: Store, record: Record) -> dict[int, timedelta]:
    """Time spent at each severity, until resolution (or now)."""
    end = record.resolved_at or store.now()
    return time_in_severity(
        [(change.severity, change.at) for change in record.history], started=record.reached.get("started"), end=end
    )


def _impact_text(store: Store, record: Record) -> str:
    incident = record.incident
    start = record.reached.get("started", incident.declared_at)
    spent = severity_times(store, record)
    levels = ", ".join(f"{render.format_duration(delta)} at SEV{level}" for level, delta in spent.items())
    if record.resolved_at is not None:
        opening = f"The impact lasted {render.format_duration(record.resolved_at - start)} from start to resolution"
    else:
        opening = (
            f"The incident is not resolved yet; so far it has lasted {render.format_duration(store.now() - start)}"
        )
    lines = [f"{opening} ({levels}).", ""]
    customers = [render.inline(c.strip(" *-\u2022")) for c in incident.known_impacted_customers.splitlines()]
    customers = [c for c in customers if c]
    lines += [
        f"- Customer impact: {render.inline(incident.customer_impact, line_break='<br>') or 'not recorded'}",
        f"- Customers impacted: {incident.quantity_impacted}",
        f"- Known impacted customers: {', '.join(customers) if customers else 'none recorded'}",
    ]
    if incident.full_outage:
        lines.append("- This was a full outage.")
    lines += ["", "| Response | Time | Between (UTC) |", "| --- | --- | --- |"]
    metrics = response_metrics(record.reached)

    def reached(name: str) -> str:
        at = record.reached.get(name)
        return f"{name} {render.utc_clock(at)}" if at is not None else f"{name} (not set)"

    for key, seconds in metrics.items():
        begin, end = METRIC_SPANS[key]
        lines.append(
            f"| {METRIC_LABELS[key]} | {render.format_duration(seconds)} | {reached(begin)} → {reached(end)} |"
        )
    return "\n".join(lines)


def section_drafts(store: Store, record: Record) -> dict[str, str]:
    """The `prefill` drafts from a record already read."""
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
    return section_drafts(store, read_record(store, ref))


def todo_candidates(store: Store, ref: str) -> list[str]:
    """The text of each TODO event on the timeline (not struck), oldest first, once each."""
    found: list[str] = []
    seen: set[str] = set()
    for event in ops.timeline(store, ref):
        if event.kind == "todo" and not event.struck:
            norm = normal_title(event.text)
            if norm and norm not in seen:
                seen.add(norm)
                found.append(event.text.strip())
    return found


def normal_title(text: str) -> str:
    """A title as compared with others: spacing and case ignored."""
    return " ".join(text.split()).casefold()


DRAFTED_TEXT = "Post-mortem sections drafted from the record: "
"""How the timeline notes a draft, followed by the sections' titles."""


def apply_prefill(
    store: Store, ref: str, *, overwrite: bool = False, stale: bool = False, author: str | None = None
) -> list[str]:
    """Write the `prefill` drafts into the post-mortem (created if need be).

    A section that already has text is left alone unless `overwrite` is true, so what
    the owner wrote is never replaced by accident; with `stale`, the sections drafted
    before the record changed and not edited since (`stale_drafts`) are drafted again.
    Returns the keys written, in template order; when any were, the timeline notes it.
    """
    drafts = prefill(store, ref)
    with store.read() as session:
        existing = Snapshot(session, ops.find_incident(session, ref)).postmortem_sections
    again = set(stale_drafts(store, ref, drafts)) if stale and not overwrite else set()
    chosen = {
        key: body for key, body in drafts.items() if overwrite or not existing.get(key, "").strip() or key in again
    }
    if not chosen:
        return []
    update_postmortem(store, ref, sections=chosen)
    titles = dict(POSTMORTEM_SECTIONS)
    written = [key for key, _ in POSTMORTEM_SECTIONS if key in chosen]
    _log(
        store,
        ref,
        DRAFTED_TEXT + ", ".join(titles[key] for key in written),
        detail=f"{DETAIL_PREFIX}prefill",
        author=author,
    )
    return written


def stale_drafts(store: Store, ref: str, drafts: dict[str, str] | None = None) -> list[str]:
    """The sections drafted from the record (`prefill`) and not edited since whose draft
    would now read differently (the incident was resolved, an event was added or
    corrected after the draft), in template order. Drafting them again loses nobody's
    words. A section counts as not edited when it was last written no later than the
    latest timeline note of a draft that names it. `drafts`: `prefill`'s, when already made."""
    keys_by_title = {title: key for key, title in POSTMORTEM_SECTIONS}
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        notes = session.exec(
            select(Event.text, Event.logged_at).where(
                Event.incident_id == incident.id, Event.detail == f"{DETAIL_PREFIX}prefill"
            )
        ).all()
        written = {
            row.key: row
            for row in session.exec(
                select(PostmortemSection)
                .join(Postmortem, col(Postmortem.id) == col(PostmortemSection.postmortem_id))
                .where(Postmortem.incident_id == incident.id)
            ).all()
        }
    drafted: dict[str, datetime] = {}
    for text, logged_at in notes:
        if text.startswith(DRAFTED_TEXT):
            for title in text.removeprefix(DRAFTED_TEXT).split(", "):
                key = keys_by_title.get(title)
                if key is not None:
                    drafted[key] = max(logged_at, drafted.get(key, logged_at))
    unedited = [
        key
        for key in PREFILLED_SECTIONS
        if key in drafted and key in written and written[key].updated_at <= drafted[key] and written[key].body.strip()
    ]
    if not unedited:
        return []
    fresh = drafts if drafts is not None else prefill(store, ref)
    return [key for key in unedited if written[key].body != fresh[key]]


def _log(store: Store, ref: str, text: str, *, detail: str, author: str | None, kind: str = "status") -> None:
    """Note `text` on the incident's timeline, now."""
    now = store.now()
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        ops.add_event(
            session,
            incident,
            kind=kind,
            text=text,
            occurred_at=now,
            logged_at=now,
            author=author or store.user,
            detail=detail,
        )


def import_todos(store: Store, ref: str) -> int:
    """Add each TODO from the timeline as a draft action item (P1, "from the timeline").

    A TODO whose text is already the title of an action item (any case or spacing) is
    skipped, so running this again adds nothing twice. Returns how many were added.
    """
    have = {normal_title(item.title) for item in ops.action_items(store, ref)}
    added = 0
    for text in todo_candidates(store, ref):
        if normal_title(text) in have:
            continue
        ops.add_action_item(store, ref, text, priority="P1", category=TODO_CATEGORY)
        have.add(normal_title(text))
        added += 1
    return added
