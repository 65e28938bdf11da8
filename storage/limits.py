"""The longest text each column of the record holds: one table, the same on every backend.

SQLite ignores a VARCHAR's length and PostgreSQL enforces it, so without this table a
SQLite record could hold what a PostgreSQL one refuses (and an export of it could not be
imported there). A column with a length in `storage.models` keeps it here; every other
text column gets a limit below. A flush that would store longer text is refused with
`InvalidInput` naming the field (see `refuse_overlong_text`), whichever way the row came:
the command line, a screen, the scribe line or an import.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import AutoString, Session

from storage.errors import InvalidInput
from storage.models import SQLModel

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


def _text_limits() -> dict[str, int]:
    """`table.column` -> most characters, for every text column of the record."""
    limits: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (AutoString, sa.String)):
                continue
            name = f"{table.name}.{column.name}"
            length = getattr(column.type, "length", None)
            limit = length if length is not None else _CHOSEN.get(name)
            if limit is None:
                raise AssertionError(f"the text column {name} has no length limit: add one to storage.limits")
            limits[name] = limit
    return limits


TEXT_LIMITS: dict[str, int] = _text_limits()
"""`table.column` -> the most characters it holds (documented in docs/export-format.md)."""

_COLUMNS_OF: dict[str, tuple[str, ...]] = {}
for _name in TEXT_LIMITS:
    _table, _column = _name.split(".")
    _COLUMNS_OF[_table] = (*_COLUMNS_OF.get(_table, ()), _column)

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


def too_long(length: int, limit: int) -> str:
    """The reason a text is refused, the same wherever it was given."""
    return f"too long: {length:,} characters, at most {limit:,}"


def check_text(name: str, value: str | None, *, label: str | None = None) -> str | None:
    """`value`, refused with InvalidInput when longer than column `name` (`table.column`) holds."""
    if value is not None and len(value) > TEXT_LIMITS[name]:
        raise InvalidInput(f"{label or label_of(name)} is {too_long(len(value), TEXT_LIMITS[name])}")
    return value


def refuse_overlong_text(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: refuse a new row, or a changed text, longer than its column holds.

    Only changed attributes of rows already stored are checked, so a row stored before
    these limits existed stays usable as long as the long text is left alone. With more
    than one text too long, the first column in `TEXT_LIMITS` order is named, so the
    message does not depend on the order rows were added in.
    """
    overlong: list[tuple[int, str, int]] = []
    for row, is_new in [(row, True) for row in session.new] + [(row, False) for row in session.dirty]:
        table = getattr(row, "__tablename__", "")
        columns = _COLUMNS_OF.get(table, ())
        state = None if is_new or not columns else sa.inspect(row)
        for column in columns:
            name = f"{table}.{column}"
            value = getattr(row, column, None)
            if value is None or len(value) <= TEXT_LIMITS[name]:
                continue
            if state is None or state.attrs[column].history.added:
                overlong.append((_ORDER[name], name, len(value)))
    if overlong:
        _, name, length = min(overlong)
        raise InvalidInput(f"{label_of(name)} is {too_long(length, TEXT_LIMITS[name])}")


_ORDER = {name: position for position, name in enumerate(TEXT_LIMITS)}


sa.event.listen(Session, "before_flush", refuse_overlong_text)
