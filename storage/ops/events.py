"""Timeline events: logging scribe lines, editing and striking them, and their history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.db import Store
from storage.errors import EditConflict, InvalidInput, NotFound
from storage.grammar import ScribeLine, parse_scribe_line
from storage.limits import check_text
from storage.models import TYPED_KINDS, Event, EventRevision, Incident
from storage.ops.record import (
    START_MILESTONES,
    concerns,
    find_incident,
    last_seq,
    needs_confirmation,
    number_shown,
    start_of,
    stored_number,
    touch,
    when_given,
    writing,
)
from storage.rules import entry_id as checked_entry_id
from storage.rules import scribe_line

# --- scribe lines ----------------------------------------------------------------------


def parse_line(store: Store, line: str) -> ScribeLine:
    """Parse a scribe line with the store's clock and timezone."""
    return parse_scribe_line(line, now=store.now(), tz=store.policy.tz)


def line_concerns(
    store: Store, line: str, *, start: datetime | None, entered_at: datetime | None = None
) -> tuple[ScribeLine, list[str]]:
    """Parse a scribe line and say why its `@time` needs a confirmation (empty: it does not).

    For a screen to ask before it queues the line: `start` is the incident's
    `incident_start(declared_at, milestones)`; `entered_at` is when the line was entered
    (default: now). Raises ScribeLineError as `parse_line` does. `log(..., confirmed=True)`
    then writes it; without `confirmed` the same rule refuses it with NeedsConfirmation.
    """
    now = entered_at if entered_at is not None else store.now()
    parsed = parse_scribe_line(line, now=now, tz=store.policy.tz)
    if parsed.occurred_at is None:
        return parsed, []
    return parsed, concerns(store, parsed.occurred_at, now=now, start=start)


def time_concerns_for(
    store: Store, ref: str, at: datetime, *, now: datetime | None = None, milestone: str | None = None
) -> list[str]:
    """Why a time given for incident `ref` (a `--at`) needs a confirmation; empty: it does not.

    The rule of `storage.timeparse.time_concerns` with the incident's own start and the
    policy's `confirm_times_older_than`. For the `started` and `detected` milestones,
    which move the start, a time before it is no concern.
    """
    with store.read() as session:
        incident = find_incident(session, ref)
        start = None if milestone in START_MILESTONES else start_of(session, incident)
    return concerns(store, at, now=now if now is not None else store.now(), start=start)


def log(
    store: Store,
    ref: str,
    line: str,
    *,
    author: str | None = None,
    at: datetime | None = None,
    entered_at: datetime | None = None,
    entry_id: str | None = None,
    confirmed: bool = False,
) -> Event:
    """Log one scribe line (see storage.grammar) to the incident's timeline.

    `entered_at` is when the line was entered, if it is written later (a line that waited
    for a busy database): its relative times count from then and it happened then.
    `entry_id` is the id the line got when it was entered: a line written again (a retry,
    a replay after a crash, a second process replaying it) returns the event already
    logged with that id instead of logging it twice.
    A time given (the line's `@time` or `at`) that is in the future, before the incident
    started or further back than the policy's `confirm_times_older_than` is refused with
    NeedsConfirmation unless `confirmed` (see `line_concerns`, which asks the same first).
    """
    if entry_id is not None:
        entry_id = checked_entry_id(entry_id)
    parsed, given = scribe_line(store, line, at=at, entered_at=entered_at)
    with writing(store, ref, author=author) as w:
        if entry_id is not None:
            logged_id = w.session.execute(
                _EVENT_WITH_ENTRY, {"incident_id": w.incident.id, "entry_id": entry_id}
            ).scalar_one_or_none()
            if logged_id is not None:
                logged = w.session.get(Event, logged_id)
                assert logged is not None
                return logged
        if given is None:
            occurred_at = when_given(store, entered_at)
        else:
            occurred_at = when_given(store, given, allow_future=True)
            if not confirmed:
                now = entered_at if entered_at is not None else store.now()
                found = concerns(store, occurred_at, now=now, start=start_of(w.session, w.incident))
                if found:
                    raise needs_confirmation(store, occurred_at, found)
        return w.event(
            parsed.kind, parsed.text, occurred_at=occurred_at, link=parsed.link, key=parsed.key, entry_id=entry_id,
            detail=parsed.detail,
        )


_EVENT_WITH_ENTRY = sa.select(col(Event.id)).where(
    col(Event.incident_id) == sa.bindparam("incident_id"), col(Event.entry_id) == sa.bindparam("entry_id")
)
"""The event logged with an entry id, if any: one look-up in the (incident, entry id) index
(built once: the Enter path runs it for every line)."""

def logged_entries(store: Store, ref: str, entry_ids: Sequence[str]) -> set[str]:
    """Which of `entry_ids` are already events of incident `ref`."""
    if not entry_ids:
        return set()
    with store.read() as session:
        incident = find_incident(session, ref)
        found: set[str] = set()
        for start in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[start : start + 500])
            found.update(
                entry
                for entry in session.exec(
                    select(Event.entry_id).where(Event.incident_id == incident.id, col(Event.entry_id).in_(chunk))
                ).all()
                if entry is not None
            )
        return found


def log_many(
    store: Store,
    ref: str,
    lines: Sequence[tuple[str, datetime | None]],
    *,
    author: str | None = None,
) -> int:
    """Log many scribe lines, each with an optional time, in one transaction (all or none).

    For pasting a batch of notes or loading a large incident; every line goes through
    the same grammar as `log`. Returns how many events were written.
    """
    author = check_text("event.author", author or store.user) or ""
    logged_at = store.now()
    parsed = []
    for number, (line, at) in enumerate(lines, start=1):
        try:
            item = parse_line(store, line)
            parsed.append((item, when_given(store, item.occurred_at or at)))
        except InvalidInput as exc:
            raise InvalidInput(f"line {number}: {exc}") from None
    with writing(store, ref, author=author) as w:
        last = last_seq(w.session, w.incident)
        change_number = touch(w.session, w.incident, logged_at)
        rows = [
            {
                "incident_id": w.incident.id,
                "seq": last + offset,
                "occurred_at": occurred_at,
                "logged_at": logged_at,
                "author": author,
                "kind": item.kind,
                "text": item.text,
                "link": item.link,
                "key": item.key,
                "detail": item.detail,
                "struck": False,
                "revision": 1,
                "change_number": change_number,
            }
            for offset, (item, occurred_at) in enumerate(parsed, start=1)
        ]
        for start in range(0, len(rows), 5000):
            w.session.execute(sa.insert(Event), rows[start : start + 5000])
        return len(rows)


@dataclass(frozen=True)
class ImportedEntry:
    """An event brought in from elsewhere (a chat's history): who said what and when, as
    a note; `entry_id` names it for good, so that importing it again adds nothing."""

    entry_id: str
    occurred_at: datetime
    author: str
    text: str
    link: str | None = None
    key: bool = False


def log_imported(
    store: Store, ref: str, entries: Sequence[ImportedEntry], *, author: str | None = None
) -> tuple[list[ImportedEntry], int]:
    """Add `entries` to incident `ref`'s timeline as notes, in one transaction (all or none),
    leaving out those whose entry id it already holds (and repeats). Returns those added,
    oldest first, and how many were there already. Each keeps its own author and time (`author`,
    the store's user by default, is who imports: it takes the incident's write lock)."""
    for entry in entries:
        checked_entry_id(entry.entry_id)
        check_text("event.author", entry.author)
        check_text("event.text", entry.text)
        check_text("event.link", entry.link)
    logged_at = store.now()
    with writing(store, ref, author=author) as w:
        there = {
            found
            for start in range(0, len(entries), 500)
            for found in w.session.exec(
                select(Event.entry_id).where(
                    Event.incident_id == w.incident.id,
                    col(Event.entry_id).in_([entry.entry_id for entry in entries[start : start + 500]]),
                )
            ).all()
        }
        new: dict[str, ImportedEntry] = {}
        for entry in sorted(entries, key=lambda entry: entry.occurred_at):
            if entry.entry_id not in there:
                new.setdefault(entry.entry_id, entry)
        if not new:
            return [], len(there)
        last = last_seq(w.session, w.incident)
        change_number = touch(w.session, w.incident, logged_at)
        rows = [
            {
                "incident_id": w.incident.id, "seq": last + offset, "occurred_at": entry.occurred_at,
                "logged_at": logged_at, "author": entry.author, "kind": "note", "text": entry.text,
                "link": entry.link, "key": entry.key, "detail": None, "struck": False, "revision": 1,
                "change_number": change_number, "entry_id": entry.entry_id,
            }
            for offset, entry in enumerate(new.values(), start=1)
        ]
        for start in range(0, len(rows), 5000):
            w.session.execute(sa.insert(Event), rows[start : start + 5000])
        return list(new.values()), len(there)


# --- corrections -----------------------------------------------------------------------


def get_event(store: Store, ref: str, seq: int) -> Event:
    """Event `seq` of incident `ref` (one look-up, whatever the timeline's length)."""
    with store.read() as session:
        return _find_event(session, find_incident(session, ref), seq)


def _find_event(session: Session, incident: Incident, seq: int) -> Event:
    if not stored_number(seq):
        raise NotFound(f"{incident.ref} has no event {number_shown(seq)}: events are numbered from 1")
    event = session.exec(select(Event).where(Event.incident_id == incident.id, Event.seq == seq)).first()
    if event is None:
        raise NotFound(f"{incident.ref} has no event #{seq}")
    return event


def keep_revision(session: Session, event: Event, *, replaced_at: datetime, replaced_by: str) -> None:
    """Keep `event` as it stands as its next `EventRevision` (before an edit, strike or restore)."""
    session.add(
        EventRevision(
            event_id=event.id,  # type: ignore[arg-type]
            revision=event.revision,
            occurred_at=event.occurred_at,
            kind=event.kind,
            text=event.text,
            link=event.link,
            key=event.key,
            struck=event.struck,
            replaced_at=replaced_at,
            replaced_by=replaced_by,
        )
    )
    event.revision += 1


def as_line(kind: str, text: str, *, key: bool) -> str:
    """An event's content as the scribe line that would log it (`!/decision roll back`)."""
    return ("!" if key else "") + (f"/{kind} " if kind != "note" else "") + text


def _check_revision(session: Session, event: Event, expected: int | None, yours: str | None) -> None:
    """Refuse a change made from revision `expected` when the event is at a later one
    (inside the write transaction, with the incident locked: no change slips between)."""
    if expected is None or event.revision == expected:
        return
    by = session.exec(
        select(EventRevision.replaced_by).where(
            EventRevision.event_id == event.id, EventRevision.revision == event.revision - 1
        )
    ).first()
    theirs = as_line(event.kind, event.text, key=event.key)
    state = " (struck)" if event.struck else ""
    raise EditConflict(
        f"event #{event.seq} changed since you opened it (revision {expected}; now {event.revision}, "
        f"by {by or event.author}): {theirs}{state}",
        seq=event.seq,
        expected=expected,
        revision=event.revision,
        theirs=theirs,
        struck=event.struck,
        by=by or event.author,
        yours=yours,
    )


def edit_event(
    store: Store, ref: str, seq: int, line: str, *, author: str | None = None, expected_revision: int | None = None
) -> Event:
    """Replace an event's content with a new scribe line; the earlier version is kept.

    `expected_revision`: the revision the edit was made from; a later one saved meanwhile
    refuses it with EditConflict (nothing written) instead of overwriting it."""
    parsed = parse_line(store, line)
    with writing(store, ref, author=author) as w:
        event = _find_event(w.session, w.incident, seq)
        if event.kind not in TYPED_KINDS:
            raise InvalidInput(f"event #{seq} was written by the record ({event.kind}) and cannot be edited")
        if parsed.kind not in TYPED_KINDS:
            raise InvalidInput(f"an edit cannot make event #{seq} a {parsed.kind}: log that as a new line")
        _check_revision(w.session, event, expected_revision, line)
        keep_revision(w.session, event, replaced_at=store.now(), replaced_by=w.author)
        event.text = parsed.text
        event.kind = parsed.kind
        event.key = parsed.key
        event.link = parsed.link
        if parsed.occurred_at is not None:
            event.occurred_at = when_given(store, parsed.occurred_at)
        event.change_number = w.touch()
        w.session.add(event)
        w.session.flush()
        return event


def strike_event(
    store: Store, ref: str, seq: int, *, author: str | None = None, expected_revision: int | None = None
) -> Event:
    """Strike an event through (it stays in the record, marked struck); the version before
    is kept, credited to `author` (the store's user by default), not to the event's author."""
    return _set_struck(store, ref, seq, True, author=author, expected_revision=expected_revision)


def restore_event(
    store: Store, ref: str, seq: int, *, author: str | None = None, expected_revision: int | None = None
) -> Event:
    """Take a strike back: the event counts again. The struck version is kept too, so the
    history shows the strike and its revert, each with who made it."""
    return _set_struck(store, ref, seq, False, author=author, expected_revision=expected_revision)


def strike_refusal(store: Store, ref: str, seq: int) -> str | None:
    """Why event `seq` cannot be struck (or, struck, restored), None when it can: the
    rules of a milestone's marks, so that a screen says so before asking."""
    with store.read() as session:
        incident = find_incident(session, ref)
        return _mark_refusal(session, incident, _find_event(session, incident, seq))


def _mark_refusal(session: Session, incident: Incident, event: Event) -> str | None:
    """Why striking (restoring, when struck) milestone mark `event` is refused: the
    resolution is taken back by reopening and given again through the resolution criteria;
    an earlier mark, marked again since, does not come back."""
    if event.kind != "milestone":
        return None
    if not event.struck:
        if event.detail == "resolved" and incident.status == "resolved" and not _marked_since(session, event):
            return (
                f"event #{event.seq} marks {incident.ref} resolved: reopen the incident (set its status) "
                "to take the resolution back"
            )
        return None
    if _marked_since(session, event):
        return (
            f"event #{event.seq} is an earlier mark of milestone {event.detail}, marked again since: "
            "mark the milestone again to change its time"
        )
    if event.detail == "resolved":
        return f"{incident.ref} is resolved again through its resolution criteria, which are checked first"
    return None


def _marked_since(session: Session, mark: Event) -> bool:
    """Whether another standing event marks the same milestone as `mark` (a correction):
    restoring `mark` would show the milestone twice; striking `mark` leaves it reached."""
    query = select(Event.id).where(
        Event.incident_id == mark.incident_id,
        Event.kind == "milestone",
        Event.detail == mark.detail,
        Event.id != mark.id,
        sa.not_(col(Event.struck)),
    )
    return session.exec(query).first() is not None


def _set_struck(
    store: Store, ref: str, seq: int, struck: bool, *, author: str | None, expected_revision: int | None
) -> Event:
    with writing(store, ref, author=author) as w:
        event = _find_event(w.session, w.incident, seq)
        if event.struck == struck:
            raise InvalidInput(f"event #{seq} is {'already struck' if struck else 'not struck'}")
        _check_revision(w.session, event, expected_revision, None)
        refusal = _mark_refusal(w.session, w.incident, event)
        if refusal is not None:
            raise InvalidInput(refusal)
        standing_mark = event.kind == "milestone" and not _marked_since(w.session, event)
        if standing_mark:  # the milestone is reached, or no longer, with its mark
            from storage.ops.incident import restore_standing_mark, strike_standing_mark

            (strike_standing_mark if struck else restore_standing_mark)(w, event)
        keep_revision(w.session, event, replaced_at=store.now(), replaced_by=w.author)
        event.struck = struck
        event.change_number = w.touch()
        w.session.add(event)
        w.session.flush()
        return event


def set_key(store: Store, ref: str, seq: int, key: bool, *, author: str | None = None) -> Event:
    """Mark an event as a key event (`key` True) or no longer one; the earlier version is kept."""
    with writing(store, ref, author=author) as w:
        event = _find_event(w.session, w.incident, seq)
        if event.key == key:
            raise InvalidInput(f"event #{seq} is {'already' if key else 'not'} a key event")
        keep_revision(w.session, event, replaced_at=store.now(), replaced_by=w.author)
        event.key = key
        event.change_number = w.touch()
        w.session.add(event)
        w.session.flush()
        return event


def event_history(store: Store, ref: str, seq: int) -> list[EventRevision]:
    """Every earlier version of an event, oldest first (the current one is the event)."""
    with store.read() as session:
        incident = find_incident(session, ref)
        event = _find_event(session, incident, seq)
        return list(
            session.exec(
                select(EventRevision).where(EventRevision.event_id == event.id).order_by(col(EventRevision.revision))
            ).all()
        )
