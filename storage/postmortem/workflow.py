"""The post-mortem's status: Draft -> In Review -> Reviewed -> Closed, one step at a time
(one step back is allowed), and the external message it needs posted before Closed.

In Review and later need an owner. Closed needs the latest status-page update marked
posted (`mark_posted`) and, when the External Message section has text, that message
published as a status-page post (`record_external_message`, then `mark_posted`).
"""

from __future__ import annotations

import re

from sqlmodel import Session

from storage import ops, render
from storage.db import Store
from storage.errors import InvalidInput, NotFound
from storage.models import POSTMORTEM_STATUSES, Incident, Postmortem, StatusUpdate
from storage.postmortem.load import (
    DETAIL_PREFIX,
    postmortem_row,
    status_page_updates,
)
from storage.snapshot import Snapshot

STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "in_review": "In Review",
    "reviewed": "Reviewed",
    "closed": "Closed",
}
"""Display names of `POSTMORTEM_STATUSES`."""

EXTERNAL_MESSAGE_KIND = "postmortem"
"""Update kind of the external message published on the status page."""


def _status_key(status: str) -> str:
    """`status` as typed (any case, spaces or dashes) as a key of `POSTMORTEM_STATUSES`."""
    key = re.sub(r"[\s\-]+", "_", status.strip().casefold())
    if key not in POSTMORTEM_STATUSES:
        shown = ", ".join(STATUS_LABELS[s] for s in POSTMORTEM_STATUSES)
        raise InvalidInput(f"unknown post-mortem status {status.strip()!r}: use one of {shown}")
    return key


def _closing_blocker(session: Session, incident: Incident, sections: dict[str, str]) -> str | None:
    """Why the post-mortem cannot be Closed yet because of the external message, if it cannot."""
    updates = status_page_updates(session, incident)
    if updates and not updates[-1].posted:
        latest = updates[-1]
        return (
            f"the status-page message recorded at {render.utc_time(latest.sent_at)} UTC ({latest.kind}) is not marked "
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
        postmortem = postmortem_row(session, incident, lock=True)
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
            blocker = _closing_blocker(session, incident, Snapshot(session, incident).postmortem_sections)
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
            detail=f"{DETAIL_PREFIX}{target}",
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
        body = Snapshot(session, incident).postmortem_sections.get("external_message", "").strip()
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
        text = (
            "External message posted on the status page"
            if posted
            else "External message ready for the status page (not posted yet)"
        )
        ops.add_event(
            session,
            incident,
            kind="update",
            text=text,
            occurred_at=now,
            logged_at=now,
            author=author,
            detail="status_page",
        )
        session.flush()
        return update


def mark_posted(store: Store, ref: str, update_id: int | None = None, *, author: str | None = None) -> StatusUpdate:
    """Mark a status-page update as posted: the one with `update_id`, else the latest."""
    now = store.now()
    author = author or store.user
    with store.write() as session:
        incident = ops.find_incident(session, ref, lock=True)
        updates = status_page_updates(session, incident)
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
            raise InvalidInput(
                f"the status-page message of {render.utc_time(update.sent_at)} UTC is already marked posted"
            )
        update.posted = True
        session.add(update)
        what = "External message" if update.kind == EXTERNAL_MESSAGE_KIND else f"Status page message ({update.kind})"
        ops.add_event(
            session,
            incident,
            kind="update",
            text=f"{what} posted on the status page",
            occurred_at=now,
            logged_at=now,
            author=author,
            detail="status_page",
        )
        session.flush()
        return update
