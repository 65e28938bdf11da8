"""The post-mortem meeting: its deadline (that of the worst severity reached, counted
from resolution), a one-line warning about it and an iCalendar invitation.

Meeting times are shown in the policy's time zone with UTC alongside.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from storage import ops, render
from storage.db import Store
from storage.errors import InvalidInput
from storage.postmortem.load import (
    meeting_due,
    resolved_time,
    worst_level,
)
from storage.snapshot import Snapshot
from storage.text import BIDI_CONTROLS

MEETING_WARNING_WINDOW = timedelta(hours=24)
"""How close to its deadline an unscheduled meeting starts to draw a warning."""


def meeting_deadline(store: Store, ref: str) -> datetime | None:
    """When the post-mortem meeting must be held (UTC): the deadline of the worst severity
    reached, counted from resolution. None while unresolved or when that severity has none."""
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        resolved = resolved_time(session, incident, Snapshot(session, incident).milestones)
        return meeting_due(store, worst_level(session, incident), resolved)


def meeting_warning(
    store: Store, deadline: datetime | None, meeting_at: datetime | None, status: str
) -> str | None:
    """The warning `meeting_check` gives, from the deadline, the meeting time and the status."""
    if deadline is None or status in ("reviewed", "closed"):
        return None
    now = store.now()
    if meeting_at is None:
        if now > deadline:
            return (
                "The post-mortem meeting is not scheduled and its deadline passed "
                f"{render.format_duration(now - deadline)} ago "
                f"({render.local_with_utc(deadline, store.policy.tz)}): schedule it now"
            )
        if deadline - now <= MEETING_WARNING_WINDOW:
            return (
                f"The post-mortem meeting is not scheduled and is due within {render.format_duration(deadline - now)} "
                f"(by {render.local_with_utc(deadline, store.policy.tz)})"
            )
        return None
    if meeting_at > deadline:
        return (
            f"The post-mortem meeting ({render.local_with_utc(meeting_at, store.policy.tz)}) is after its deadline "
            f"({render.local_with_utc(deadline, store.policy.tz)}): move it earlier"
        )
    return None


def meeting_check(store: Store, ref: str) -> str | None:
    """A one-line warning about the meeting, or None when all is well.

    Warns when the meeting is not scheduled and the deadline has passed or is less than
    `MEETING_WARNING_WINDOW` away, or when it is scheduled after the deadline. Nothing
    once the post-mortem is Reviewed or Closed (the meeting is over).
    """
    with store.read() as session:
        record = Snapshot(session, ops.find_incident(session, ref))
        incident, postmortem = record.incident, record.postmortem
        resolved = resolved_time(session, incident, record.milestones)
        deadline = meeting_due(store, worst_level(session, incident), resolved)
    return meeting_warning(
        store,
        deadline,
        postmortem.meeting_at if postmortem else None,
        postmortem.status if postmortem else "draft",
    )


_ICS_FORBIDDEN = dict.fromkeys((*range(9), *range(11, 32), 127, *range(128, 160), *BIDI_CONTROLS))
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
        postmortem = Snapshot(session, incident).postmortem
        title = ops.title_of(store, incident)
    if postmortem is None or postmortem.meeting_at is None:
        raise InvalidInput(f"the post-mortem of {incident.ref} has no meeting time: set one first")
    start = postmortem.meeting_at.astimezone(UTC)
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
    meeting.add("dtstamp", store.now().astimezone(UTC))
    meeting.add("dtstart", start)
    meeting.add("dtend", start + duration)
    meeting.add("summary", _ics_text(f"Post-mortem: {incident.ref} {title}"))
    meeting.add("description", _ics_text("\n".join(description)))
    calendar.add_component(meeting)
    return calendar.to_ical(sorted=False).decode("utf-8")
