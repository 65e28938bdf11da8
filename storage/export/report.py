"""The export document as a readable Markdown report, post-mortem sections in template
order. Record text, durations and times are written by `storage.render`."""

from __future__ import annotations

from datetime import datetime

from storage import render
from storage.db import Store
from storage.export.load import build_document
from storage.export.schema import IncidentDocument
from storage.models import POSTMORTEM_SECTIONS


def _utc_or_unknown(value: datetime | None) -> str:
    """`2026-11-23 13:42:00 UTC`, or `—` when there is no time."""
    return f"{render.utc_stamp(value)} UTC" if value else render.UNKNOWN


def to_markdown(document: IncidentDocument) -> str:
    """A readable report of the incident, post-mortem sections in template order."""
    inc = document.incident
    pm = document.postmortem
    lines: list[str] = [f"# {render.inline(f'{inc.ref} {inc.title}')}", ""]
    lines += [
        "| | |",
        "| --- | --- |",
        f"| Severity | SEV{inc.severity} |",
        f"| Status | {inc.status} |",
        f"| Declared | {_utc_or_unknown(inc.declared_at)} |",
        f"| Customer impact | {render.cell(inc.customer_impact) or '—'} |",
        f"| Quantity impacted | {inc.quantity_impacted} |",
        f"| Known impacted customers | {render.cell(inc.known_impacted_customers) or '—'} |",
    ]
    if inc.primary:
        lines.append(f"| Grouped under | {render.cell(inc.primary)} |")
    lines += ["", "## Post-mortem", "", f"- Owner: {render.inline(pm.owner) or '—'}", f"- Status: {pm.status}"]
    lines += [
        f"- Meeting: {_utc_or_unknown(pm.meeting_at)}",
        f"- Call recording: {render.inline(pm.recording_url) or '—'}",
        "",
    ]
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
            lines += [f"### {render.inline(key)}", "", body.strip() or "—", ""]
    lines += ["## Action items", ""]
    if document.action_items:
        lines += [
            "| Priority | Item | Owner | Due | State | Tags | Ticket |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in document.action_items:
            due = item.due_date.isoformat() if item.due_date else "—"
            lines.append(
                f"| {item.priority} | {render.cell(item.title)} | {render.cell(item.owner) or '—'} | {due} "
                f"| {item.state} "
                f"| {render.cell(', '.join(item.tags))} | {render.cell(item.ticket_url) or '—'} |"
            )
    else:
        lines.append("None yet.")
    lines += ["", "## Status updates", ""]
    if document.status_updates:
        for update in document.status_updates:
            subject = f": {render.inline(update.subject)}" if update.subject.strip() else ""
            lines.append(f"- {_utc_or_unknown(update.sent_at)} — {update.channel} ({update.kind}){subject}")
    else:
        lines.append("None sent.")
    return "\n".join(lines).rstrip() + "\n"


def _impact_lines(document: IncidentDocument) -> list[str]:
    """The Impact section's table: time at each severity, response times, counts."""
    impact = document.postmortem.impact
    metrics = document.metrics
    lines = ["| Measure | Value |", "| --- | --- |"]
    for key, seconds in impact.time_in_sev.items():
        lines.append(f"| Time in {key} | {render.format_duration(seconds)} |")
    for label, value in (
        ("Time to detect", metrics.time_to_detect_s),
        ("Time to acknowledge", metrics.time_to_acknowledge_s),
        ("Time to mitigate", metrics.time_to_mitigate_s),
        ("Time to resolve", metrics.time_to_resolve_s),
    ):
        lines.append(f"| {label} | {render.format_duration(value)} |")
    for label, count in (
        ("Notifications out of SLA", impact.notifications_out_of_sla),
        ("Events dropped", impact.events_dropped),
        ("Accounts affected", impact.accounts_affected),
        ("Users affected", impact.users_affected),
    ):
        lines.append(f"| {label} | {'—' if count is None else count} |")
    lines.append(f"| Support requests | {render.cell(impact.support_requests) or '—'} |")
    return [*lines, ""]


def _responder_lines(document: IncidentDocument) -> list[str]:
    """Who held which role, and when."""
    if not document.roles:
        return ["No roles recorded.", ""]
    lines = []
    for holding in document.roles:
        until = _utc_or_unknown(holding.until) if holding.until else "now"
        note = f" ({render.inline(holding.note)})" if holding.note.strip() else ""
        lines.append(
            f"- {render.inline(holding.role)}: {render.inline(holding.person)}{note}, "
            f"{_utc_or_unknown(holding.from_)} – {until}"
        )
    return [*lines, ""]


def _timeline_lines(document: IncidentDocument) -> list[str]:
    """Every event as a table row (UTC), struck ones struck through and marked `(struck)`
    in words (a viewer may not draw the strike), key ones in bold."""
    lines = ["| Time (UTC) | Event | Data |", "| --- | --- | --- |"]
    for event in document.timeline:
        marker = ""
        if event.kind == "milestone" and event.detail == "started":
            marker = "🔴 "
        elif event.kind == "milestone" and event.detail == "resolved":
            marker = "🟢 "
        text = render.cell(event.text)
        if event.struck:
            text = f"~~{text}~~ (struck)"
        elif event.key:
            text = f"**{text}**"
        lines.append(f"| {render.utc_stamp(event.at)} | {marker}{text} | {render.cell(event.link) or ''} |")
    return [*lines, ""]


def export_markdown(store: Store, ref: str) -> str:
    """Export one incident as a Markdown report."""
    return to_markdown(build_document(store, ref))
