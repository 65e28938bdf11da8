"""Action items: the follow-up work an incident leaves behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlmodel import select

from storage.db import Store
from storage.errors import InvalidInput, NotFound
from storage.models import ACTION_ITEM_STATES, PRIORITIES, ActionItem, SeverityChange
from storage.ops.record import (
    Writing,
    choice,
    find_incident,
    number_shown,
    required,
    storable,
    stored_number,
    writing,
)
from storage.snapshot import Snapshot
from storage.timeparse import due_date_problem, quote_input


def _sev_tags(w: Writing) -> list[str]:
    """The incident's `sevN_YYYYMMDD` and `sevN` tags (N: the worst severity it had)."""
    worst = w.session.exec(
        select(sa.func.min(SeverityChange.severity)).where(SeverityChange.incident_id == w.incident.id)
    ).one()
    level = worst or w.incident.severity
    day = w.incident.declared_at.astimezone(w.store.policy.tz).strftime("%Y%m%d")
    return [f"sev{level}_{day}", f"sev{level}"]


def _due(store: Store, due: date | None) -> date | None:
    """`due`, refused when outside the range of times warroom accepts (`due_date_problem`)."""
    if due is not None and (problem := due_date_problem(due, now=store.now())) is not None:
        raise InvalidInput(problem)
    return due


def add_action_item(
    store: Store,
    ref: str,
    title: str,
    *,
    owner: str = "",
    priority: str = "P1",
    due_date: date | None = None,
    ticket_url: str = "",
    category: str = "",
    tags: Sequence[str] = (),
    state: str = "open",
) -> ActionItem:
    """Add a follow-up; the incident's `sevN_YYYYMMDD` and `sevN` tags are added for you."""
    title = required(title, "an action item's title")
    priority = choice(priority, PRIORITIES, "priority")
    state = choice(state, ACTION_ITEM_STATES, "action item state")
    with writing(store, ref) as w:
        all_tags: list[str] = []
        for tag in [*_sev_tags(w), *tags]:
            tag = tag.strip()
            if "," in tag:  # tags are kept comma-separated: it would come back as two
                raise InvalidInput(f"a tag cannot hold a comma: {quote_input(tag)} (give each tag on its own)")
            if tag and tag not in all_tags:
                all_tags.append(tag)
        item = ActionItem(
            incident_id=w.incident.id,  # type: ignore[arg-type]
            title=title,
            owner=owner.strip(),
            priority=priority,
            tags=",".join(all_tags),
            due_date=_due(store, due_date),
            ticket_url=ticket_url.strip(),
            state=state,
            category=category.strip(),
            created_at=store.now(),
        )
        w.session.add(item)
        w.session.flush()
        return item


def action_items(store: Store, ref: str) -> list[ActionItem]:
    """An incident's action items in the order they were added."""
    with store.read() as session:
        return Snapshot(session, find_incident(session, ref)).action_items


def update_action_item(
    store: Store,
    ref: str,
    item_id: int,
    *,
    title: str | None = None,
    owner: str | None = None,
    priority: str | None = None,
    due_date: date | str | None = "",
    ticket_url: str | None = None,
    state: str | None = None,
) -> ActionItem:
    """Change an action item of `ref`; only the fields given change (`due_date=None` clears it)."""
    with writing(store, ref) as w:
        item = w.session.get(ActionItem, item_id) if stored_number(item_id) else None
        if item is None or item.incident_id != w.incident.id:
            raise NotFound(f"{w.incident.ref} has no action item {number_shown(item_id)}")
        if title is not None:
            item.title = required(title, "an action item's title")
        if owner is not None:
            item.owner = storable(owner, "the owner").strip()
        if priority is not None:
            item.priority = choice(priority, PRIORITIES, "priority")
        if due_date != "":
            item.due_date = _due(store, due_date)  # type: ignore[arg-type]
        if ticket_url is not None:
            item.ticket_url = storable(ticket_url, "the ticket link").strip()
        if state is not None:
            item.state = choice(state, ACTION_ITEM_STATES, "action item state")
        w.session.add(item)
        w.touch()
        w.session.flush()
        return item
