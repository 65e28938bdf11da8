"""The longest text each column of the record holds, as plain numbers (no SQLAlchemy).

`storage.limits` checks rows against them on every flush; the scribe-line grammar and the
SQLite fast path (`storage.lite`) use them without loading the ORM.
"""

from __future__ import annotations

NAME = 200
"""A person's name (`person.name`), and every other column that holds who did something."""
TITLE_PART = 200
"""One part of an incident's title: its functionality, state or audience."""
LABEL = 1_000
"""A one-line label: an action item's title, a checklist step, a role's note, a subject."""
URL = 2_000
"""A link typed or pasted by itself (a ticket, a recording, a paging page)."""
PARAGRAPH = 10_000
"""A free-text description: the customer impact, the known impacted customers."""
DOCUMENT = 200_000
"""A long text written in an editor: a post-mortem section, a message body."""
EVENT_TEXT = 1_000_000
"""One timeline event: a scribe line, which may be a long block pasted from a log."""

_CHOSEN: dict[str, int] = {
    "incident.functionality": TITLE_PART,
    "incident.state": TITLE_PART,
    "incident.audience": TITLE_PART,
    "incident.customer_impact": PARAGRAPH,
    "incident.known_impacted_customers": PARAGRAPH,
    "milestone.set_by": NAME,
    "severity_change.author": NAME,
    "event.author": NAME,
    "event.text": EVENT_TEXT,
    "event.link": EVENT_TEXT,  # the first URL of the text: as long as the text allows
    "event_revision.text": EVENT_TEXT,
    "event_revision.link": EVENT_TEXT,
    "event_revision.replaced_by": NAME,
    "person.contact": LABEL,
    "role_assignment.note": LABEL,
    "status_update.subject": LABEL,
    "status_update.body": DOCUMENT,  # holds the External Message section once published
    "status_update.author": NAME,
    "action_item.title": LABEL,
    "action_item.owner": NAME,
    "action_item.tags": LABEL,
    "action_item.ticket_url": URL,
    "action_item.category": NAME,
    "postmortem.owner": NAME,
    "postmortem.recording_url": URL,
    "postmortem.support_requests": PARAGRAPH,
    "postmortem_section.body": DOCUMENT,
    "service_owner.functionality": TITLE_PART,
    "service_owner.service": NAME,
    "service_owner.team": NAME,
    "service_owner.paging_url": URL,
    "service_owner.vendor": NAME,
    "service_owner.relationship_owner": NAME,
    "service_owner.support_url": URL,
    "service_owner.status_url": URL,
    "checklist_item.label": LABEL,
    "checklist_item.done_by": NAME,
}


def too_long(length: int, limit: int) -> str:
    """The reason a text is refused, the same wherever it was given."""
    return f"too long: {length:,} characters, at most {limit:,}"


_LABELS: dict[str, str] = {
    "person.name": "a person's name",
    "postmortem_section.body": "a post-mortem section",
    "postmortem_section.key": "a post-mortem section's key",
    "checklist_item.done_by": "the name of who ticked the step",
    "milestone.set_by": "the name of who set the milestone",
    "event_revision.replaced_by": "the name of who changed the event",
}


def label_of(name: str) -> str:
    """How a message names column `name` (`table.column`): "the action item's ticket url"."""
    if name in _LABELS:
        return _LABELS[name]
    table, column = name.split(".")
    return f"the {table.replace('postmortem', 'post-mortem').replace('_', ' ')}'s {column.replace('_', ' ')}"
