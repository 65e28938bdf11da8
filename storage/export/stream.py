"""The JSON export written as it is read: the document's head, then each timeline event,
then its tail, so memory does not grow with the number of events.

The text is byte for byte what `to_json(build_document(...))` gives: the head and tail
are that function's output for the document without its events, and each event is
written as `json.dumps(..., indent=2, ensure_ascii=False)` would write it at its depth
(the same string encoder, the same separators), then passed through `json_escaped`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import IO, Any, Self

import sqlalchemy as sa
from sqlmodel import col

from storage import ops
from storage.db import Store
from storage.errors import WarroomError
from storage.export.json_text import to_json
from storage.export.load import _document
from storage.export.schema import utc_iso
from storage.models import Event, EventRevision
from storage.text import json_escaped

_EMPTY_TIMELINE = '\n  "timeline": [],\n'
"""The timeline of the head document: at the document's first level, so found only once
(a string in JSON text never holds a raw line break)."""

EVENTS_PER_CHUNK = 1000
"""Events read from the database and written at a time."""

_EVENT_COLUMNS: tuple[Any, ...] = (
    Event.id, Event.seq, Event.occurred_at, Event.logged_at, Event.kind, Event.text,
    Event.author, Event.link, Event.key, Event.detail, Event.struck,
)
_REVISION_COLUMNS: tuple[Any, ...] = (
    EventRevision.revision, EventRevision.occurred_at, EventRevision.kind, EventRevision.text,
    EventRevision.link, EventRevision.key, EventRevision.struck, EventRevision.replaced_at,
    EventRevision.replaced_by,
)


class JsonPieces:
    """The JSON export of one incident as pieces of text, in order (iterate once).

    The incident and everything but its events are read when this is made (an unknown
    ref raises then, before anything is written); the events are read, in one read
    session, as the pieces are taken. Use it in a `with` block: leaving it closes the
    read session even if not every piece was taken."""

    def __init__(self, store: Store, ref: str) -> None:
        self._rest = _pieces(store, ref)
        self._first = next(self._rest)

    def __iter__(self) -> Iterator[str]:
        yield self._first
        yield from self._rest

    def close(self) -> None:
        self._rest.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def json_chunks(store: Store, ref: str) -> JsonPieces:
    """The JSON export of incident `ref` as pieces of text (`JsonPieces`)."""
    return JsonPieces(store, ref)


def export_json(store: Store, ref: str) -> str:
    """Export one incident as JSON text."""
    with json_chunks(store, ref) as pieces:
        return "".join(pieces)


SPOOL_IN_MEMORY = 8_000_000
"""Characters of a document `spooled` keeps in memory before it goes on in a temporary file."""


@contextmanager
def spooled(pieces: Iterable[str], *, in_memory: int = SPOOL_IN_MEMORY) -> Iterator[Iterable[str]]:
    """All of `pieces` taken before any is given out, so that a failure while they are
    made (a damaged database) leaves nothing written, as when the document was built
    whole; kept in memory up to `in_memory` characters, beyond that in an anonymous
    temporary file (private, unnamed, gone when closed): memory stays flat."""
    held: list[str] = []
    size = 0
    with ExitStack() as stack:
        spill: IO[str] | None = None
        try:
            for piece in pieces:
                if spill is not None:
                    spill.write(piece)
                    continue
                held.append(piece)
                size += len(piece)
                if size > in_memory:
                    spill = stack.enter_context(
                        tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass", newline="")
                    )
                    spill.writelines(held)
                    held = []
            if spill is not None:
                spill.seek(0)
        except OSError as exc:  # a full or unwritable temporary folder: nothing is written yet
            raise WarroomError(
                f"cannot hold the document in a temporary file ({exc.strerror or exc}): nothing was written; "
                "free space in the temporary folder or set TMPDIR to another"
            ) from None
        yield held if spill is None else _read_back(spill)


def _read_back(spill: IO[str]) -> Iterator[str]:
    """A spooled document in pieces of about a million characters, never parting a CRLF
    (a terminal shows a lone CR differently)."""
    while piece := spill.read(1 << 20):
        if piece.endswith("\r"):
            piece += spill.read(1)
        yield piece


def _pieces(store: Store, ref: str) -> Generator[str, None, None]:
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        text = to_json(_document(session, store, incident, with_timeline=False))
        head, found, tail = text.partition(_EMPTY_TIMELINE)
        assert found, "the document has a timeline at its first level"
        query = (
            sa.select(*_EVENT_COLUMNS, *_REVISION_COLUMNS)
            .select_from(Event)
            .outerjoin(EventRevision, col(EventRevision.event_id) == col(Event.id))
            .where(col(Event.incident_id) == incident.id)
            .order_by(col(Event.occurred_at), col(Event.seq), col(EventRevision.revision))
            .execution_options(yield_per=EVENTS_PER_CHUNK)
        )
        rows = session.execute(query)
        yield head
        written = 0
        batch: list[str] = []
        for event in _events(rows):
            batch.append(event)
            if len(batch) == EVENTS_PER_CHUNK:
                yield json_escaped(("\n  \"timeline\": [\n" if not written else ",\n") + ",\n".join(batch))
                written += len(batch)
                batch = []
        if batch:
            yield json_escaped(("\n  \"timeline\": [\n" if not written else ",\n") + ",\n".join(batch))
            written += len(batch)
        yield ("\n  ],\n" if written else _EMPTY_TIMELINE) + tail


def _events(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each event's JSON text (revisions in it), from rows of an event joined with its
    revisions (one row per revision, or one with no revision), in timeline order."""
    current: Any = None
    revisions: list[str] = []
    for row in rows:
        if current is None or row[0] != current[0]:
            if current is not None:
                yield _event_text(current, revisions)
            current, revisions = row, []
        if row[11] is not None:  # the revision's number: None when the event has none
            revisions.append(_revision_text(row[11:]))
    if current is not None:
        yield _event_text(current, revisions)


def _time(value: datetime) -> str:
    """`utc_iso` quoted; a time already in UTC (as the database gives them) the quick way:
    `isoformat` also writes microseconds only when there are some."""
    if value.tzinfo is UTC:
        return f'"{value.isoformat()[:-6]}Z"'
    return f'"{utc_iso(value)}"'


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _event_text(row: Any, revisions: list[str]) -> str:
    """One event at depth 2 of the document (4 spaces), as `json.dumps` with `indent=2`."""
    _, seq, at, logged_at, kind, text, author, link, key, detail, struck = row[:11]
    listed = "[\n" + ",\n".join(revisions) + "\n      ]" if revisions else "[]"
    return (
        "    {\n"
        f'      "seq": {int(seq)!r},\n'
        f'      "at": {_time(at)},\n'
        f'      "logged_at": {_time(logged_at)},\n'
        f'      "kind": {encode_basestring(kind)},\n'
        f'      "text": {encode_basestring(text)},\n'
        f'      "author": {encode_basestring(author)},\n'
        f'      "link": {_text_or_null(link)},\n'
        f'      "key": {_flag(key)},\n'
        f'      "detail": {_text_or_null(detail)},\n'
        f'      "struck": {_flag(struck)},\n'
        f'      "revisions": {listed}\n'
        "    }"
    )


def _revision_text(row: Any) -> str:
    """One earlier version of an event at depth 4 (8 spaces), as `json.dumps` writes it."""
    number, at, kind, text, link, key, struck, replaced_at, replaced_by = row
    return (
        "        {\n"
        f'          "revision": {int(number)!r},\n'
        f'          "at": {_time(at)},\n'
        f'          "kind": {encode_basestring(kind)},\n'
        f'          "text": {encode_basestring(text)},\n'
        f'          "link": {_text_or_null(link)},\n'
        f'          "key": {_flag(key)},\n'
        f'          "struck": {_flag(struck)},\n'
        f'          "replaced_at": {_time(replaced_at)},\n'
        f'          "replaced_by": {encode_basestring(replaced_by)}\n'
        "        }"
    )
