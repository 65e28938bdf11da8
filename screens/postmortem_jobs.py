"""What the post-mortem editor's writer does for it, off the UI thread and in order: a
section saved, the sections filled or rebuilt from the record, the preview and the export
read after what was saved before them. Each returns what the screen shows next, so the
screen reads nothing again. Also what a detail field's text means. No Textual here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from storage import ops, postmortem
from storage.db import Store
from storage.drafts import Drafts, write_outbox
from storage.errors import WarroomError
from storage.models import ActionItem
from storage.timeparse import parse_when

NUMBERS = ("notifications_out_of_sla", "events_dropped", "accounts_affected", "users_affected")
"""The post-mortem's counted numbers, each a field of the details."""


def detail_change(store: Store, key: str, value: str) -> dict[str, Any] | None:
    """`postmortem.update_postmortem`'s keyword arguments for detail field `key` set to `value`
    (None: nothing to write); raises `WarroomError` or `ValueError` for a value it refuses."""
    if key == "owner":
        return {"owner": value}
    if key == "recording":
        return {"recording_url": value}
    if key == "support_requests":
        return {"support_requests": value}
    if key in NUMBERS:
        return {"numbers": {key: int(value) if value else None}}
    if key == "meeting" and value:
        return {"meeting_at": parse_when(value, now=store.now(), tz=store.policy.tz, allow_future=True)}
    return None


def save_section(store: Store, ref: str, key: str, text: str, drafts: Drafts, draft_key: str) -> None:
    """Save section `key` as `text`; then forget its draft, unless more was typed since."""
    postmortem.update_postmortem(store, ref, sections={key: text})
    if drafts.load(draft_key) == text:
        drafts.clear(draft_key)


class DeadlineNotice(NamedTuple):
    """What the editor says under its title: the meeting's deadline, a warning about it,
    and the sections drafted from the record that now read differently (`stale_drafts`)."""

    deadline: datetime | None
    warning: str | None
    stale: list[str]


def deadline_notice(store: Store, ref: str) -> DeadlineNotice:
    deadline, warning = postmortem.meeting_deadline(store, ref), postmortem.meeting_check(store, ref)
    return DeadlineNotice(deadline, warning, postmortem.stale_drafts(store, ref))


class Filled(NamedTuple):
    """The post-mortem after a fill from the record: what was filled and added, and what
    the editor shows next."""

    filled: list[str]
    todos: int
    sections: dict[str, str]
    items: list[ActionItem]


def prefill(store: Store, ref: str) -> Filled:
    """Fill the empty sections from the record (and draft again those drafted before the
    record changed that nobody edited since), and import the timeline's TODOs."""
    filled = postmortem.apply_prefill(store, ref, stale=True)
    todos = postmortem.import_todos(store, ref)
    return Filled(filled, todos, postmortem.read_postmortem(store, ref).sections, ops.action_items(store, ref))


def rebuild(store: Store, ref: str) -> Filled:
    """Write the record-derived sections again, over what is there."""
    filled = postmortem.apply_prefill(store, ref, overwrite=True)
    return Filled(filled, 0, postmortem.read_postmortem(store, ref).sections, ops.action_items(store, ref))


class Exported(NamedTuple):
    """The files written, or why they were not (`reason`)."""

    paths: list[Path]
    reason: str | None = None


def export(store: Store, ref: str) -> Exported:
    """Write the Markdown, the action items CSV and (once scheduled) the meeting .ics."""
    url = store.url
    try:
        written = [write_outbox(f"{ref}-postmortem.md", postmortem.postmortem_markdown(store, ref), url)]
        written.append(write_outbox(f"{ref}-action-items.csv", postmortem.action_items_csv(store, ref), url))
    except OSError as exc:
        return Exported([], exc.strerror or str(exc))
    try:
        written.append(write_outbox(f"{ref}-meeting.ics", postmortem.meeting_ics(store, ref), url))
    except WarroomError:  # no meeting yet
        pass
    except OSError as exc:
        return Exported(written, exc.strerror or str(exc))
    return Exported(written)
