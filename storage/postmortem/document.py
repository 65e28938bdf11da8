"""The whole post-mortem as one Markdown document, in the template's order, and the
people its Root Causes text names (a nudge to stay blameless)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from storage import ops, render
from storage.db import Store
from storage.models import POSTMORTEM_SECTIONS
from storage.postmortem.load import Record, meeting_due, read_record, worst_level
from storage.postmortem.meeting import meeting_warning
from storage.postmortem.prefill import (
    normal_title,
    section_drafts,
    severity_times,
    todo_candidates,
)
from storage.postmortem.workflow import EXTERNAL_MESSAGE_KIND, STATUS_LABELS

_ITEM_STATES: dict[str, str] = {"open": "open", "in_progress": "in progress", "done": "done", "wont_do": "won't do"}

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


def _impact_table(store: Store, record: Record) -> list[str]:
    """The Impact section's table of exact numbers."""
    pm = record.postmortem
    lines = ["| Measure | Value |", "| --- | --- |"]
    spent = severity_times(store, record)
    for level, delta in spent.items():
        lines.append(f"| Time in SEV{level} | {render.format_duration(delta)} |")

    def number(value: int | None) -> str:
        return "not recorded" if value is None else f"{value:,}"

    for label, value in (
        ("Notifications delivered out of SLA", pm.notifications_out_of_sla if pm else None),
        ("Events dropped / not accepted", pm.events_dropped if pm else None),
        ("Accounts affected", pm.accounts_affected if pm else None),
        ("Users affected", pm.users_affected if pm else None),
    ):
        lines.append(f"| {label} | {number(value)} |")
    support = render.cell(pm.support_requests if pm else "")
    lines.append(f"| Support requests raised | {support or 'not recorded'} |")
    return lines


def _action_item_lines(record: Record, todos: Iterable[str]) -> list[str]:
    """The action items as a table, then the TODOs not tracked as one."""
    lines: list[str] = []
    if record.items:
        lines += [
            "| Priority | Action item | Owner | Due | State | Ticket | Tags |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in record.items:
            due = item.due_date.isoformat() if item.due_date else "—"
            state = _ITEM_STATES.get(item.state, item.state)
            lines.append(
                f"| {item.priority} | {render.cell(item.title)} | {render.cell(item.owner) or '—'} | {due} | {state} "
                f"| {render.cell(item.ticket_url) or '—'} | {render.cell(item.tags.replace(',', ', '))} |"
            )
    else:
        lines.append("_None yet._")
    have = {normal_title(item.title) for item in record.items}
    missing = [todo for todo in todos if normal_title(todo) not in have]
    if missing:
        lines += ["", "TODOs from the timeline not yet tracked as action items:", ""]
        lines += [f"- {render.inline(todo)}" for todo in missing]
    return lines


def _messaging_lines(store: Store, record: Record, key: str) -> list[str]:
    """A Messaging section (`key`): its text, then what was sent or posted of it."""
    body = record.sections.get(key, "").strip()
    lines = [body] if body else [f"_Not written yet. {_PLACEHOLDERS[key]}_"]
    if key == "internal_email":
        sent = [u for u in record.updates if u.channel == "internal" and u.kind == "resolved"]
        if sent:
            email = sent[-1]
            lines += [
                "",
                (
                    f"Resolved email sent {render.local_with_utc(email.sent_at, store.policy.tz)}"
                    f" by {render.inline(email.author) or 'unknown'}:"
                ),
                "",
            ]
            subject = [f"> **{render.inline(email.subject)}**", ">"] if email.subject.strip() else []
            lines += [*subject, *render.quoted(email.body.strip() or "(no body recorded)")]
        else:
            lines += ["", "No resolved email to the internal list has been recorded."]
    else:
        posts = [u for u in record.updates if u.channel == "status_page" and u.kind == EXTERNAL_MESSAGE_KIND]
        if posts:
            post = posts[-1]
            state = "posted" if post.posted else "not posted yet"
            lines += ["", f"Status page: recorded {render.local_with_utc(post.sent_at, store.policy.tz)}, {state}."]
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
    record = read_record(store, ref)
    todos = todo_candidates(store, ref)
    with store.read() as session:
        worst = worst_level(session, ops.find_incident(session, ref))
    drafts = section_drafts(store, record)
    incident, pm = record.incident, record.postmortem
    deadline = meeting_due(store, worst, record.resolved_at)
    titles = dict(POSTMORTEM_SECTIONS)

    def text(key: str) -> str:
        body = record.sections.get(key, "").strip()
        if body:
            return body
        if key in drafts:
            return drafts[key]
        return f"_Not written yet. {_PLACEHOLDERS[key]}_"

    if pm is not None and pm.meeting_at is not None:
        meeting = render.local_with_utc(pm.meeting_at, store.policy.tz)
    else:
        meeting = "not scheduled"
    if deadline is not None:
        meeting += f"; deadline {render.local_with_utc(deadline, store.policy.tz)}"
    if record.resolved_at is not None:
        state = f"resolved {render.local_with_utc(record.resolved_at, store.policy.tz)}"
    else:
        state = f"not resolved ({incident.status})"
    warning = meeting_warning(store, deadline, pm.meeting_at if pm else None, pm.status if pm else "draft")
    status = STATUS_LABELS[pm.status] if pm is not None else "Not started"
    lines = [
        f"# Post-mortem: {render.inline(f'{incident.ref} {record.title}')}",
        "",
        f"- **Post-mortem owner:** {render.inline(pm.owner if pm else '') or 'not named yet'}",
        f"- **Status:** {status}",
        f"- **Meeting:** {meeting}",
        f"- **Call recording:** {render.inline(pm.recording_url if pm else '') or 'not recorded'}",
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
    record = read_record(store, ref)
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
