"""Messages the screens receive from their background threads and send to the app.

The writer (`screens.writer`) and the watcher (`screens.watcher`) report by these, never by
calling into a screen; the frequent ones can be replaced by a newer one of their kind still
queued, as Toolong's file watcher does. Screens ask the app for navigation by message too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from screens.declare import Declaration
    from storage import live
    from storage.errors import DatabaseError, WarroomError
    from storage.lite.index import RowReader, TimelineIndex
    from storage.outbox import Write
    from storage.timeline_filter import TimelineFilter


@dataclass
class LineWritten(Message, bubble=False):
    """A scribe line is in the record: `rows` are the timeline rows it wrote."""

    write: Write
    rows: list[live.EventRow]


@dataclass
class ChangeWritten(Message, bubble=False):
    """A change other than a line is in the record; `result` is what its write returned."""

    write: Write
    result: object


@dataclass
class WriteFailed(Message, bubble=False):
    """A write failed (busy, full, unreachable) and will be tried again."""

    write: Write
    error: DatabaseError

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WriteFailed)


@dataclass
class WriteRefused(Message, bubble=False):
    """The record refused a write: it is dropped (a line is for its screen to set aside)."""

    write: Write
    error: WarroomError


@dataclass
class IncidentChanged(Message, bubble=False):
    """The incident changed: its new `view`, and the events changed since the last one seen."""

    view: live.IncidentView
    rows: list[live.EventRow]
    mark: live.Watermark

    def can_replace(self, message: Message) -> bool:
        # A later poll reads from the same watermark until one is shown: it holds these rows too.
        return isinstance(message, IncidentChanged)


@dataclass
class TimelineLoaded(Message, bubble=False):
    """The whole timeline's index (a long one is read after the first frame), and on SQLite
    a reader of whole rows by id for the lines shown; `shown`: the filter it was read with
    (None: every event)."""

    index: TimelineIndex
    mark: live.Watermark
    reader: RowReader | None = None
    shown: TimelineFilter | None = None


@dataclass
class TimelineUnread(Message, bubble=False):
    """The timeline's index could not be read without a store (`load_index` given only a
    file): the screen reads it through the store instead. With a `reason`: a filtered
    view (`shown`) could not be read at all (the database is busy or unreachable)."""

    shown: TimelineFilter | None = None
    reason: str | None = None


@dataclass
class OpenIncident(Message):
    """Ask the app to show the command screen of incident `ref`."""

    ref: str


@dataclass
class DeclarationRefused(Message):
    """The record refused a declaration: ask again, filled in, with the `reason`."""

    declaration: Declaration
    reason: str


class ShowIncidentList(Message):
    """Ask the app for the incident list, over the current screen."""


@dataclass
class CannotContinue(Message):
    """Ask the app to leave with `reason` (the record cannot be read)."""

    reason: str
