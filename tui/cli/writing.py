"""The commands that write to an incident's record: declare, log, edit, strike, severity,
roles, updates, action items and links (its phase, `tui.cli.phase`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from storage.lengths import EVENT_TEXT
from tui.cli.common import (
    AUTHOR_HELP,
    checked_at,
    command,
    confirm_time,
    event_number,
    local_time,
    open_lite_store,
    open_store,
    parse_at,
    shown,
    unconfirmed,
    yes_option,
)
from tui.cli.launch import main

if TYPE_CHECKING:
    from storage.db import Store
    from storage.lite import LiteStore


@command(main)
@click.option("--sev", "severity", required=True, help="Severity: 1, 2, 3 (or SEV1...).")
@click.option("--functionality", required=True, help="What is failing, e.g. 'login'.")
@click.option("--state", required=True, help="How it fails, e.g. 'failing', 'slow'.")
@click.option("--audience", required=True, help="Who is affected, e.g. 'EU customers'.")
@click.option("--at", "at", default=None, help="When it was declared (14:32, -5m, ISO time). Default: now.")
@click.option("--ic", default=None, help="The Incident Commander.")
@click.option("--impact", default="", help="Description of the customer impact.")
@click.option("--quantity", default="Unknown", help="Customers impacted: Unknown, All, Some, Few.")
@click.option("--customers", default="", help="Known impacted customers.")
@click.option("--full-outage", is_flag=True, help="It is a full outage (public messages may say so).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def declare(
    severity: str,
    functionality: str,
    state: str,
    audience: str,
    at: str | None,
    ic: str | None,
    impact: str,
    quantity: str,
    customers: str,
    full_outage: bool,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Declare an incident; the last line starts with its reference."""
    from storage import ops
    from storage.timeparse import time_concerns

    store = open_store(db, config_path)
    declared_at = parse_at(store, at)
    if declared_at is not None:
        concerns = time_concerns(
            declared_at, now=store.now(), tz=store.policy.tz, older_than=store.policy.confirm_times_older_than
        )
        confirm_time(store, declared_at, concerns, yes=yes)
    incident = ops.declare(
        store,
        severity=severity,
        functionality=functionality,
        state=state,
        audience=audience,
        at=declared_at,
        ic=ic,
        customer_impact=impact,
        quantity_impacted=quantity,
        known_impacted_customers=customers,
        full_outage=full_outage,
        author=author,
    )
    click.echo(shown(f"{incident.ref} {ops.title_of(store, incident)}"))


@command(main)
@click.argument("ref")
@click.argument("text", nargs=-1, required=True)
@click.option("--at", "at", default=None, help="When it happened (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def log(
    ref: str,
    text: tuple[str, ...],
    at: str | None,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Log a scribe line to REF's timeline.

    TEXT follows the scribe grammar: a leading ! marks a key event; /action,
    /decision, /todo, /query, /comms set the kind; @14:32 or @-5m backdates;
    a URL becomes the event's data link; a leading backslash logs literally.
    A time in the future, before the incident started or long ago is asked about
    (or needs --yes when no one is at the terminal).

    With TEXT `-`, each line of standard input is logged as it arrives, one write
    and one printed line per line (blank lines skipped); a refused line is said on
    stderr, the rest go on, and the exit status is 1 if any was refused. A line that
    meets a busy database waits until it is free.
    """
    from storage.errors import InvalidInput, NeedsConfirmation

    store, write_line = _line_writer(db, config_path)
    if text == ("-",):
        if at is not None:
            raise InvalidInput("--at is not taken with `-`: give a line its own @time")
        if _log_standard_input(store, write_line, ref, author=author, yes=yes):
            sys.exit(1)
        return
    line = " ".join(text)
    entered_at = store.now()
    when = parse_at(store, at, allow_future=True)
    try:
        event = write_line(store, ref, line, author=author, at=when, confirmed=yes)
    except NeedsConfirmation as exc:
        confirm_time(store, exc.at, exc.concerns, yes=False)
        # relative times count from when the command started, not from the answer
        event = write_line(store, ref, line, author=author, at=when, entered_at=entered_at, confirmed=True)
    click.echo(_logged(store, event))


def _line_writer(db: str | None, config_path: Path | None) -> tuple[Store | LiteStore, Callable[..., Any]]:
    """The open record and the operation that logs a scribe line to it: `storage.lite` on a
    SQLite file it takes (no SQLAlchemy loaded), else `storage.ops.log`."""
    lite = open_lite_store(db, config_path)
    if lite is not None:
        from storage.lite import log_line

        return lite, log_line
    from storage import ops

    return open_store(db, config_path), ops.log


def _logged(store: Store | LiteStore, event: Any) -> str:
    """What `warroom log` prints for an event logged: its number, kind and time."""
    return f"#{event.seq} {event.kind}{' (key)' if event.key else ''} at {local_time(store, event.occurred_at)}"


LONGEST_INPUT_LINE = 4 * EVENT_TEXT + 4096
"""The most bytes `log -` reads as one line (the longest event text, four bytes a
character, and room for the grammar): a longer line is refused, read past in pieces,
never held whole."""


def _input_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Standard input's lines, numbered from 1, as they arrive; None for a line longer than
    `LONGEST_INPUT_LINE`, whose rest is skipped without being kept."""
    number = 0
    while True:
        raw = stream.readline(LONGEST_INPUT_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > LONGEST_INPUT_LINE and not raw.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, raw


def _log_standard_input(
    store: Store | LiteStore, write_line: Callable[..., Any], ref: str, *, author: str | None, yes: bool
) -> bool:
    """Log each line of standard input as it arrives (`warroom log REF -`); whether any was
    refused. A time that needs a confirmation is refused unless `yes`: the answers would
    come from the same input as the lines. An incident that does not exist stops it at the
    start, before any line is read (every line would be refused for it)."""
    from storage.errors import InvalidInput, NeedsConfirmation, NotFound, WarroomError

    if sys.stdin is None:  # started with its standard input closed (`<&-`)
        raise InvalidInput("standard input is closed: pipe or type the lines into `warroom log REF -`")
    _check_incident(store, ref)  # before any line: one that is refused would not say it
    refused = False
    for number, raw in _input_lines(sys.stdin.buffer):
        try:
            if raw is None:
                raise InvalidInput(f"it is longer than {LONGEST_INPUT_LINE:,} bytes: not read, not logged")
            line = raw.decode("utf-8", "surrogateescape").removesuffix("\n").removesuffix("\r")
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte order mark (a file from a Windows editor)
            if not line.strip():
                continue
            if any("\udc80" <= char <= "\udcff" for char in line):
                raise InvalidInput("it holds bytes that are not UTF-8 text: check the encoding of the input")
            try:
                event = _write_when_free(store, write_line, number, ref, line, author=author, confirmed=yes)
            except NeedsConfirmation as exc:
                raise unconfirmed(store, exc.at, exc.concerns) from None
        except NotFound:
            raise  # the incident: no line can be logged to it
        except WarroomError as exc:
            click.echo(shown(f"warroom: line {number}: {exc}"), err=True)
            refused = True
            continue
        click.echo(_logged(store, event))
    return refused


def _check_incident(store: Store | LiteStore, ref: str) -> None:
    """Refuse an incident that does not exist (`NotFound`), before standard input is read."""
    from storage.lite import LiteStore

    if isinstance(store, LiteStore):
        from storage.lite.record import check_incident

        check_incident(store, ref)
    else:
        from storage import ops

        ops.get_incident(store, ref)


def _write_when_free(
    store: Store | LiteStore, write_line: Callable[..., Any], number: int, ref: str, line: str, **options: Any
) -> Any:
    """Write line `number` of standard input, waiting as long as another writer holds the
    database (said once on stderr): a piped line is not dropped for being busy. A busy
    write wrote nothing, and the line happened when it arrived, not when it is written."""
    from storage.errors import Busy

    arrived = store.now()
    said = False
    while True:
        try:
            return write_line(store, ref, line, entered_at=arrived, **options)
        except Busy as exc:
            if not said:
                click.echo(shown(f"warroom: line {number}: {exc}; it is written once the database is free"), err=True)
                said = True


@command(main)
@click.argument("ref")
@click.argument("seq")
@click.argument("text", nargs=-1, required=True)
@click.option("--author", default=None, help=AUTHOR_HELP)
def edit(
    ref: str, seq: str, text: tuple[str, ...], author: str | None, db: str | None, config_path: Path | None
) -> None:
    """Replace event SEQ of REF with a new scribe line (the old text is kept)."""
    from storage import ops

    number = event_number(seq)
    store = open_store(db, config_path)
    event = ops.edit_event(store, ref, number, " ".join(text), author=author)
    click.echo(f"#{event.seq} edited (revision {event.revision})")


@command(main)
@click.argument("ref")
@click.argument("seq")
@click.option("--undo", is_flag=True, help="Take the strike back (the struck version is kept).")
@click.option("--author", default=None, help=AUTHOR_HELP)
def strike(ref: str, seq: str, undo: bool, author: str | None, db: str | None, config_path: Path | None) -> None:
    """Strike event SEQ of REF through (it stays in the record); --undo restores it."""
    from storage import ops

    number = event_number(seq)
    store = open_store(db, config_path)
    if undo:
        event = ops.restore_event(store, ref, number, author=author)
        click.echo(f"#{event.seq} restored")
    else:
        event = ops.strike_event(store, ref, number, author=author)
        click.echo(f"#{event.seq} struck")


@command(main)
@click.argument("ref")
@click.argument("seq")
@click.option("--off", is_flag=True, help="No longer a key event.")
@click.option("--author", default=None, help=AUTHOR_HELP)
def key(ref: str, seq: str, off: bool, author: str | None, db: str | None, config_path: Path | None) -> None:
    """Mark event SEQ of REF as a key event (--off: no longer one); the earlier version is kept."""
    from storage import ops

    number = event_number(seq)
    store = open_store(db, config_path)
    event = ops.set_key(store, ref, number, not off, author=author)
    click.echo(f"#{event.seq} {'is a key event' if event.key else 'is no longer a key event'}")


@command(main)
@click.argument("ref")
@click.option("--done", "done_seq", metavar="SEQ", default=None, help="Dismiss the reminder event SEQ set.")
@click.option("--snooze", "snooze_seq", metavar="SEQ", default=None, help="Move the reminder event SEQ set.")
@click.option("--for", "snooze_for", metavar="DURATION", default="5m", show_default=True,
              help="How long --snooze moves it: 10m, 1h.")
@click.option("--author", default=None, help=AUTHOR_HELP)
def reminders(ref: str, done_seq: str | None, snooze_seq: str | None, snooze_for: str, author: str | None,
              db: str | None, config_path: Path | None) -> None:
    """List REF's open reminders (set with `/remind 10m TEXT`), soonest first; --done or
    --snooze one of them (kept in the record either way)."""
    from storage import ops
    from storage.reminders import clock_text
    from storage.timeparse import parse_duration

    if done_seq is not None and snooze_seq is not None:
        raise click.UsageError("give --done or --snooze, not both")
    store = open_store(db, config_path)
    if done_seq is not None:
        event = ops.reminder_done(store, ref, event_number(done_seq), author=author)
        click.echo(shown(f"#{event.seq} {event.text}"))
    elif snooze_seq is not None:
        event = ops.snooze_reminder(store, ref, event_number(snooze_seq), snooze=parse_duration(snooze_for),
                                    author=author)
        click.echo(shown(f"#{event.seq} {event.text}"))
    else:
        now = store.now()
        for reminder in ops.reminders(store, ref).open:
            due = clock_text(reminder.due_at, tz=store.policy.tz, now=now)
            late = "  (due)" if reminder.due_at <= now else ""
            click.echo(shown(f"#{reminder.seq}  {due}  {reminder.text}  [{reminder.author}]{late}"))


@command(main)
@click.argument("ref")
@click.argument("seq")
def history(ref: str, seq: str, db: str | None, config_path: Path | None) -> None:
    """Show every version of event SEQ of REF."""
    from storage import ops

    number = event_number(seq)
    store = open_store(db, config_path)
    for revision in ops.event_history(store, ref, number):
        state = " (struck)" if revision.struck else ""
        click.echo(
            shown(
                f"r{revision.revision} {revision.kind}{state}: {revision.text}  "
                f"[replaced {local_time(store, revision.replaced_at)} by {revision.replaced_by}]"
            )
        )
    current = next(e for e in ops.timeline(store, ref) if e.seq == number)
    state = " (struck)" if current.struck else ""
    click.echo(shown(f"r{current.revision} {current.kind}{state}: {current.text}  [current]"))


@command(main)
@click.argument("ref")
@click.argument("severity")
@click.option("--at", "at", default=None, help="When it changed (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def sev(
    ref: str, severity: str, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Change REF's severity."""
    from storage import ops

    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    incident = ops.change_severity(store, ref, severity, at=when, author=author)
    click.echo(shown(f"{incident.ref} is now SEV{incident.severity}"))


@command(main)
@click.argument("ref")
@click.argument("role")
@click.argument("person")
@click.option("--at", "at", default=None, help="When the handover happened.")
@click.option("--note", default="", help="E.g. the component an SME covers.")
@click.option("--release", is_flag=True, help="End PERSON's hold on ROLE instead.")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def role(
    ref: str,
    role: str,
    person: str,
    at: str | None,
    note: str,
    release: bool,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Give ROLE (ic, deputy, scribe, sme, customer-liaison, internal-liaison) to PERSON."""
    from storage import ops

    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    if release:
        ops.release_role(store, ref, role, person, at=when, author=author)
        click.echo(shown(f"{person} no longer holds {store.policy.role(role).name}"))
    else:
        ops.assign_role(store, ref, role, person, at=when, note=note, author=author)
        click.echo(shown(f"{person} is {store.policy.role(role).name}"))


@command(main)
@click.argument("ref")
@click.argument("channel")
@click.argument("kind")
@click.option("--subject", default="")
@click.option("--body", default="")
@click.option("--at", "at", default=None, help="When it was sent (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def update(
    ref: str,
    channel: str,
    kind: str,
    subject: str,
    body: str,
    at: str | None,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Record an update sent on CHANNEL (checkin, internal, status_page) of KIND (initial, update, resolved...)."""
    from storage import ops

    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    sent = ops.record_status_update(
        store, ref, channel=channel, kind=kind, subject=subject, body=body, at=when, author=author
    )
    click.echo(f"{sent.channel} update recorded at {local_time(store, sent.sent_at)}")


@command(main)
@click.argument("ref")
@click.argument("title")
@click.option("--owner", default="")
@click.option("--priority", default="P1", help="P0 to P4.")
@click.option("--due", default=None, help="Due date, YYYY-MM-DD.")
@click.option("--ticket", default="", help="Ticket link.")
@click.option("--tag", "tags", multiple=True, help="Extra tag (repeatable).")
def action(
    ref: str,
    title: str,
    owner: str,
    priority: str,
    due: str | None,
    ticket: str,
    tags: tuple[str, ...],
    db: str | None,
    config_path: Path | None,
) -> None:
    """Add an action item to REF."""
    from storage import ops
    from storage.errors import InvalidInput

    store = open_store(db, config_path)
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise InvalidInput(f"{due!r} is not a date: use YYYY-MM-DD") from None
    item = ops.add_action_item(
        store, ref, title, owner=owner, priority=priority, due_date=due_date, ticket_url=ticket, tags=tags
    )
    click.echo(shown(f"{item.priority} {item.title} [{item.tags}]"))


@command(main)
@click.argument("primary")
@click.argument("ref")
def link(primary: str, ref: str, db: str | None, config_path: Path | None) -> None:
    """Group incident REF under the primary incident PRIMARY."""
    from storage import ops

    store = open_store(db, config_path)
    ops.link_incidents(store, primary, ref)
    click.echo(shown(f"{ref} is grouped under {primary}"))
