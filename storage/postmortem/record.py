"""Writing an incident's post-mortem (its fields, impact numbers and sections).

`storage.ops` re-exports `update_postmortem` and `POSTMORTEM_NUMBERS` for the callers
that still reach them there.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from storage.db import Store
from storage.errors import InvalidInput
from storage.models import (
    POSTMORTEM_SECTIONS,
    POSTMORTEM_STATUSES,
    Postmortem,
    PostmortemSection,
)
from storage.ops.record import STORED_INT_MAX, choice, in_range, touch, writing

POSTMORTEM_NUMBERS: tuple[str, ...] = (
    "notifications_out_of_sla",
    "events_dropped",
    "accounts_affected",
    "users_affected",
)


def update_postmortem(
    store: Store,
    ref: str,
    *,
    owner: str | None = None,
    status: str | None = None,
    meeting_at: datetime | None = None,
    recording_url: str | None = None,
    support_requests: str | None = None,
    numbers: dict[str, int | None] | None = None,
    sections: dict[str, str] | None = None,
) -> Postmortem:
    """Create or update an incident's post-mortem; only the fields given change."""
    if status is not None:
        status = choice(status, POSTMORTEM_STATUSES, "post-mortem status")
    known_sections = {key for key, _ in POSTMORTEM_SECTIONS}
    for key in sections or {}:
        if key not in known_sections:
            raise InvalidInput(f"unknown post-mortem section {key!r}: use one of {', '.join(sorted(known_sections))}")
    for key, value in (numbers or {}).items():
        if key not in POSTMORTEM_NUMBERS:
            raise InvalidInput(f"unknown impact number {key!r}: use one of {', '.join(POSTMORTEM_NUMBERS)}")
        if value is not None and value < 0:
            raise InvalidInput(f"{key.replace('_', ' ')} cannot be negative")
        if value is not None and value > STORED_INT_MAX:
            raise InvalidInput(f"{key.replace('_', ' ')} is too large: at most {STORED_INT_MAX:,}")
    now = store.now()
    if meeting_at is not None:
        in_range(meeting_at, now)
    with writing(store, ref) as w:
        session = w.session
        postmortem = w.record.postmortem
        if postmortem is None:
            postmortem = Postmortem(incident_id=w.incident.id, updated_at=now)  # type: ignore[arg-type]
        if owner is not None:
            postmortem.owner = owner.strip()
        if status is not None:
            postmortem.status = status
        if meeting_at is not None:
            postmortem.meeting_at = meeting_at
        if recording_url is not None:
            postmortem.recording_url = recording_url.strip()
        if support_requests is not None:
            postmortem.support_requests = support_requests
        for key, value in (numbers or {}).items():
            setattr(postmortem, key, value)
        postmortem.updated_at = now
        session.add(postmortem)
        session.flush()
        for key, body in (sections or {}).items():
            section = session.exec(
                select(PostmortemSection).where(
                    PostmortemSection.postmortem_id == postmortem.id, PostmortemSection.key == key
                )
            ).first()
            if section is None:
                section = PostmortemSection(postmortem_id=postmortem.id, key=key, updated_at=now)  # type: ignore[arg-type]
            section.body = body
            section.updated_at = now
            session.add(section)
        touch(session, w.incident, now)
        session.flush()
        return postmortem
