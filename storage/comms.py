"""Incident messages: fill the configured templates from the record, check them, send them.

The six message kinds (`MESSAGE_KINDS`) go to two channels: the internal distribution
list (initial, update, resolved) and the public status page (investigating, update,
resolved). Their subjects and bodies are `[templates.<kind>]` in the policy; every
placeholder they may use is computed by `message_values` from the record alone, so a
draft is reproducible. `lint` points out what a human should look at before sending,
and `send_message` records the message as sent, which restarts that channel's
countdown (see `storage.countdowns`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import ops, render
from storage.countdowns import due_times
from storage.db import Store
from storage.errors import InvalidInput
from storage.models import StatusUpdate
from storage.policy import MESSAGE_KINDS, MESSAGE_PLACEHOLDERS, MessageKind
from storage.snapshot import Snapshot
from storage.templates import render_template, template_pattern
from storage.timeparse import quote_input

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_PLACEHOLDERS",
    "Draft",
    "LintContext",
    "MessageKind",
    "draft_message",
    "duration_in_words",
    "lint",
    "lint_context",
    "message_kind",
    "message_values",
    "send_message",
]

PUBLIC_CHANNELS: frozenset[str] = frozenset({"status_page"})
"""Channels whose messages the public reads."""

_CADENCE_KEYS = {"checkin": "checkin", "internal": "internal_update", "status_page": "status_page"}

_PHASE_SENTENCES = {
    "investigating": "The team is investigating the issue.",
    "identified": "The team has identified the issue and is working on a fix.",
    "mitigated": "The team has mitigated the issue and is watching to make sure it stays fixed.",
    "resolved": "The issue has been resolved.",
}


@dataclass(frozen=True)
class Draft:
    """A filled-in message, ready to be checked by `lint` and sent by `send_message`."""

    kind: str
    channel: str
    update_kind: str
    subject: str
    body: str


# --- kinds -----------------------------------------------------------------------------


def message_kind(name: str) -> MessageKind:
    """The message kind named `name`: "internal_initial", "internal-initial",
    "Status update", "status-page-resolved"...; InvalidInput listing the kinds if unknown."""
    key = re.sub(r"[\s\-]+", "_", name.strip().casefold())
    if key.startswith("status_page_"):
        key = "status_" + key.removeprefix("status_page_")
    if key in MESSAGE_KINDS:
        return MESSAGE_KINDS[key]
    raise InvalidInput(f"unknown message kind {quote_input(name)}: use one of {', '.join(MESSAGE_KINDS)}")


# --- values ----------------------------------------------------------------------------


def duration_in_words(delta: timedelta) -> str:
    """A duration in words, to the minute: "30 minutes", "1 hour", "2 hours 50 minutes"."""
    minutes = round(delta.total_seconds() / 60)
    if minutes <= 0:
        return "less than a minute" if delta > timedelta(0) else "0 minutes"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{amount} {unit}{'' if amount == 1 else 's'}"
        for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if amount
    ]
    return " ".join(parts)


def _local_clock(store: Store, at: datetime) -> str:
    """`10:00 CET`: the time of day in the policy's zone, with the zone's name."""
    local = at.astimezone(store.policy.tz)
    return f"{local:%H:%M} {local.tzname()}"


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _sentence_part(text: str) -> str:
    """Text to be followed by punctuation: one trailing full stop is dropped."""
    text = text.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return text


def _bullets(text: str) -> str:
    lines = [re.sub(r"^[*\-\u2022]\s*", "", line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    return "\n".join(f"* {line}" for line in lines) if lines else "None known"


def message_values(store: Store, ref: str, *, author: str | None = None, channel: str = "internal") -> dict[str, str]:
    """Every placeholder of `MESSAGE_PLACEHOLDERS`, filled from the record of `ref`.

    `author` is the sender ({responder}); `channel` ("internal" or "status_page") is the
    one the message goes to, which decides {next_update} and {next_update_in}: when the
    channel's next message falls due if this one is sent now, and its cadence. Both are
    empty when the severity has no cadence for the channel or the incident is resolved.
    Times are local to the policy's time zone, like "14:32 CET".
    """
    if channel not in _CADENCE_KEYS:
        raise InvalidInput(f"unknown update channel {quote_input(channel)}: use one of {', '.join(_CADENCE_KEYS)}")
    policy = store.policy
    now = store.now()
    with store.read() as session:
        record = Snapshot(session, ops.find_incident(session, ref))
        incident = record.incident
        reached = record.milestones
        holdings = record.roles
        updates = record.update_times
        meeting_at = record.postmortem.meeting_at if record.postmortem is not None else None

    severity = policy.severity(incident.severity)
    due = due_times(
        policy,
        severity=incident.severity,
        status=incident.status,
        declared_at=incident.declared_at,
        milestones=reached,
        updates=[*updates, (channel, now)],
    )
    next_due = due.get(channel)
    cadence = policy.cadences(incident.severity)[_CADENCE_KEYS[channel]]

    responders: list[str] = []
    for holding in holdings:
        if holding.person not in responders:
            responders.append(holding.person)

    started = reached.get("started", incident.declared_at)
    resolved = reached.get("resolved", now)
    resolved_time = _local_clock(store, resolved)
    if render.local_date(resolved, store.policy.tz) != render.local_date(started, store.policy.tz):
        resolved_time += f" on {render.local_date(resolved, store.policy.tz)}"

    values = {
        "sev": str(severity.level),
        "severity_name": severity.name,
        "ref": incident.ref,
        "title": ops.title_of(store, incident),
        "functionality": incident.functionality,
        "state": incident.state,
        "audience": incident.audience,
        "identified_time": _local_clock(store, reached.get("detected", incident.declared_at)),
        "customer_impact": _sentence_part(incident.customer_impact) or "Unknown",
        "quantity_impacted": incident.quantity_impacted,
        "known_customers": _bullets(incident.known_impacted_customers),
        "phase": incident.status,
        "phase_sentence": _PHASE_SENTENCES.get(incident.status, f"The incident is {incident.status}."),
        "next_update": _local_clock(store, next_due) if next_due is not None else "",
        "next_update_in": duration_in_words(cadence) if next_due is not None and cadence is not None else "",
        "responder": author or store.user,
        "responders": _names(responders) or "all responders",
        "retrospective": (
            f"{render.local_date(meeting_at, store.policy.tz)} at {_local_clock(store, meeting_at)}"
            if meeting_at is not None
            else "to be scheduled"
        ),
        "started_time": _local_clock(store, started),
        "started_date": render.local_date(started, store.policy.tz),
        "resolved_time": resolved_time,
        "duration": duration_in_words(max(resolved - started, timedelta(0))),
    }
    return values


# --- drafting --------------------------------------------------------------------------


def draft_message(store: Store, ref: str, kind: str, *, author: str | None = None) -> Draft:
    """The message of `kind` for incident `ref`, filled from its configured template."""
    spec = message_kind(kind)
    template = store.policy.templates[spec.kind]
    values = message_values(store, ref, author=author, channel=spec.channel)
    return Draft(
        kind=spec.kind,
        channel=spec.channel,
        update_kind=spec.update_kind,
        subject=" ".join(render_template(template.subject, values).split()),
        body=render_template(template.body, values).strip("\n").rstrip(),
    )


# --- checks ----------------------------------------------------------------------------

_OUTAGE = re.compile(r"\boutages?\b", re.IGNORECASE)
_LEFTOVERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}"), "unfilled placeholder"),
    (re.compile(r"<[^<>\n]{1,80}>"), "unfilled placeholder"),
    (re.compile(r"\b(?:TBD|TODO|FIXME)\b", re.IGNORECASE), "unfinished marker"),
    (re.compile(r"\b(?:[0-9]{1,2}|xx?):xx\b", re.IGNORECASE), "unfilled time"),
    (re.compile(r"\bxx/xx(?:/(?:20)?xx)?\b", re.IGNORECASE), "unfilled date"),
)
_UPDATE_WORD = re.compile(r"\bupdates?\b", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_CLOCK_TIME = re.compile(r"\b(?:[01]?[0-9]|2[0-3]):[0-5][0-9]\b")
_RELATIVE_TIME = re.compile(
    r"\bin\s+(?:[0-9]+|an?|one|two|three|half\s+an)\s*(?:minutes?|mins?|hours?|hrs?|h|m)\b", re.IGNORECASE
)


def _mentions_next_update_time(body: str) -> bool:
    """Whether the paragraph that last mentions an update says when it comes.

    The text after the last "update"/"updates" in the body, up to the end of that
    paragraph (a blank line), must hold a clock time ("15:10") or a relative one
    ("in 30 minutes", "in 1 hour"). An empty {next_update} leaves neither behind.
    """
    found = list(_UPDATE_WORD.finditer(body))
    if not found:
        return False
    rest = body[found[-1].end() :]
    end = _PARAGRAPH_END.search(rest)
    if end is not None:
        rest = rest[: end.start()]
    return bool(_CLOCK_TIME.search(rest) or _RELATIVE_TIME.search(rest))


@dataclass(frozen=True)
class LintContext:
    """What `lint` checks a draft against besides its own text: whether the incident is a
    full outage, who responded (their names must stay out of public text) and what an
    internal reference looks like."""

    full_outage: bool = False
    names: tuple[str, ...] = ()
    reference: str = r"\binc-[0-9A-Za-z-]+"


_SEVERITY_LABEL = re.compile(r"\bsev(?:erity)?[\s_-]*[0-9]+\b", re.IGNORECASE)


def lint_context(store: Store, ref: str) -> LintContext:
    """The `LintContext` of incident `ref`: its full-outage mark, the names of everyone who
    held a role or logged an event, and references as the naming policy makes them."""
    from sqlmodel import select

    from storage.models import Event, Person, RoleAssignment

    with store.read() as session:
        incident = ops.find_incident(session, ref)
        holders = session.exec(
            select(Person.name).join(RoleAssignment).where(RoleAssignment.incident_id == incident.id)
        ).all()
        authors = session.exec(select(Event.author).where(Event.incident_id == incident.id).distinct()).all()
        full_outage = incident.full_outage
    names = sorted({name.strip() for name in (*holders, *authors) if name.strip()}, key=str.casefold)
    ours = template_pattern(store.policy.naming.reference)
    return LintContext(full_outage, tuple(names), rf"(?:\binc-[0-9A-Za-z-]+|{ours}|{re.escape(ref)})")


def _public_leaks(text: str, where: str, context: LintContext) -> list[str]:
    """Responders' names, internal references and severity labels in public text."""
    found = [
        f"the public {where} names {name!r}, who responded: keep people's names out of public text"
        for name in context.names
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
    ]
    reference = re.search(context.reference, text, re.IGNORECASE)
    if reference is not None:
        found.append(f"the public {where} gives the internal reference {reference[0]!r}: leave it out")
    label = _SEVERITY_LABEL.search(re.sub(context.reference, " ", text, flags=re.IGNORECASE))  # not in a reference
    if label is not None:
        found.append(f"the public {where} gives the severity {label[0]!r}: describe the impact instead")
    return found


def lint(draft: Draft, context: LintContext | None = None, *, full_outage: bool = False) -> list[str]:
    """What to check before sending `draft`, one line each (empty: nothing found).

    - public (status-page) text that says "outage"/"outages" (any case, whole word),
      unless the incident was a full outage (`context.full_outage`, or `full_outage`);
    - public text that names a responder (`context.names`), gives an internal reference
      (`inc-...` or as the naming policy makes them) or a severity label (`SEV1`);
    - leftovers in the subject or body: `{name}` placeholders, `<...>` markers,
      TBD/TODO/FIXME, and unfilled times or dates such as XX:XX, 14:xx or xx/xx;
    - for every kind but the resolved ones: no next-update time, that is the
      paragraph that last mentions an update has no "15:10"-like time and no
      "in 30 minutes"-like one (which is what an empty {next_update} leaves);
    - an internal message with an empty subject.
    """
    context = context or LintContext(full_outage=full_outage)
    warnings: list[str] = []
    parts = (("subject", draft.subject), ("body", draft.body))
    if draft.channel in PUBLIC_CHANNELS:
        for where, text in parts:
            warnings += _public_leaks(text, where, context)
    if draft.channel in PUBLIC_CHANNELS and not context.full_outage:
        for where, text in parts:
            match = _OUTAGE.search(text)
            if match is not None:
                warnings.append(
                    f"the public {where} says {match[0]!r}: use it only for a full outage "
                    "(describe what customers notice instead)"
                )
    for where, text in parts:
        seen: set[str] = set()
        for pattern, what in _LEFTOVERS:
            for match in pattern.finditer(text):
                if match[0] not in seen:
                    seen.add(match[0])
                    warnings.append(f"{what} {match[0]} in the {where}: fill it in or remove it")
    if draft.update_kind != "resolved" and not _mentions_next_update_time(draft.body):
        warnings.append('no next-update time: say when the next update comes, e.g. "by 15:10" or "in 30 minutes"')
    if draft.channel not in PUBLIC_CHANNELS and not draft.subject.strip():
        warnings.append("the subject is empty: internal messages need one")
    return warnings


# --- sending ---------------------------------------------------------------------------


def send_message(
    store: Store, ref: str, draft: Draft, *, author: str | None = None, at: datetime | None = None
) -> StatusUpdate:
    """Record `draft` as sent (now, or at `at`): subject and body are kept, the timeline
    gets an event and the countdown of the draft's channel starts again."""
    return ops.record_status_update(
        store,
        ref,
        channel=draft.channel,
        kind=draft.update_kind,
        subject=draft.subject,
        body=draft.body,
        at=at,
        author=author,
        posted=True,
    )
