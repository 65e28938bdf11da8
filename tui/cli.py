"""The `warroom` command: opens the TUI, or reads and writes the record from a shell.

Every command goes through `storage.ops`, the same operations the screens use.
Failures print one line to stderr and exit non-zero.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from storage.db import Store
    from storage.identity import Identity
    from storage.policy import Policy

F = TypeVar("F", bound=Callable[..., Any])

_AS_KEY = "warroom.as"
"""Where `--as` keeps its name in the context's `meta` (shared by a command and its group)."""
AUTHOR_HELP = "Who did it, for this command only. Default: who you are (see --as)."


def _remember_as(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Keep `--as NAME` for `_identity`; the one after the command wins over the one before."""
    if value is None:
        return
    from storage.identity import name_problem

    problem = name_problem(value)
    if problem is not None:
        raise click.BadParameter(problem)
    ctx.meta[_AS_KEY] = value


def _identity(policy: Policy, as_name: str | None) -> Identity:
    """Who you are: `as_name` (--as), else WARROOM_USER, else the config's `user`, else the
    login name (which the app does not take: it asks)."""
    from storage.identity import resolve_identity

    return resolve_identity(as_name, policy.user)


def _store_options(func: F) -> F:
    """`--db`, `--config` and `--as`, accepted by every command (and by `warroom` itself)."""
    func = click.option(
        "--as",
        "as_name",
        default=None,
        metavar="NAME",
        expose_value=False,
        callback=_remember_as,
        help=(
            "Who you are: the author of what you log, update and sign off. Default: WARROOM_USER, "
            "else `user` in the config file, else your login name (the app asks instead)."
        ),
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Policy file (TOML). Default: WARROOM_CONFIG, else the user config file.",
    )(func)
    func = click.option(
        "--db",
        "db",
        default=None,
        metavar="PATH|URL",
        help="Database file or postgresql+psycopg:// URL. Default: WARROOM_DB, else the user data file.",
    )(func)
    return func


def _open_store(db: str | None, config_path: Path | None) -> Store:
    ctx = click.get_current_context()
    parent = ctx.find_root().params
    from storage.clock import clock_from_env
    from storage.db import Store
    from storage.policy import load_policy

    policy = load_policy(config_path or parent.get("config_path"))
    store = Store(db or parent.get("db"), policy=policy, clock=clock_from_env(), identity=_identity(policy, ctx.meta.get(_AS_KEY)))
    ctx.call_on_close(store.close)
    _announce_made_private(store)
    _announce_waiting_lines(store)
    return store


def _write_output(store: Store, path: Path, text: str) -> None:
    """Write `-o FILE`: private, never the database, never through a link (storage.outputs)."""
    from storage.outputs import write_output

    write_output(path, text, store.url)


def _announce_made_private(store: Store) -> None:
    """Say on stderr which database files were made private on opening (or left open to others)."""
    for notice in store.notices:
        click.echo(_shown(f"warroom: {notice}"), err=True)


def _announce_waiting_lines(store: Store) -> None:
    """Say on stderr which incidents have lines typed in the app and not yet written
    (warroom stopped first); the app writes them at its next start."""
    from storage import waiting
    from storage.drafts import Drafts
    from storage.errors import WarroomError

    try:
        summary = waiting.waiting_summary(store, Drafts(store.url))
    except WarroomError:
        return
    for ref, count, path in summary:
        lines = f"{count} line{'s' if count != 1 else ''}"
        if ref is None:
            verb = "is" if count == 1 else "are"
            message = f"warroom: {lines} typed in the app into an incident this database does not have {verb} kept in {path}"
        else:
            message = (f"warroom: {lines} typed into {ref} in the app may not be in the record yet; "
                       "`warroom` writes them when it starts")
        click.echo(_shown(message), err=True)


def _fail_cleanly(func: F) -> F:
    """Turn a WarroomError into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from storage.errors import WarroomError

        try:
            _refuse_undecodable(kwargs)
            return func(*args, **kwargs)
        except WarroomError as exc:
            click.echo(_shown(f"warroom: {exc}"), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _refuse_undecodable(arguments: dict[str, Any]) -> None:
    """Refuse an argument holding bytes that are not UTF-8 (Python passes them on as lone
    surrogates, which no database can store). Paths, `--db` among them, may hold any bytes."""
    from storage.errors import InvalidInput
    from storage.timeparse import quote_input

    for name, value in arguments.items():
        if name == "db":
            continue
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str) and any("\ud800" <= char <= "\udfff" for char in text):
                params = click.get_current_context().command.params
                label = next(
                    (p.opts[0] if isinstance(p, click.Option) else p.human_readable_name for p in params if p.name == name),
                    name,
                )
                raise InvalidInput(
                    f"{label} {quote_input(text)} holds bytes that are not UTF-8 text: check the terminal's encoding"
                )


def _shown(text: str, *, lines: bool = False) -> str:
    """Stored text for the terminal: no control character (an escape sequence, a bell)
    reaches it, and a line break shows as `⏎ ` unless `lines` keeps the text's lines."""
    from storage.text import printable, printable_lines

    return printable_lines(text) if lines else printable(text)


def _print_document(text: str) -> None:
    """A document (Markdown, CSV, iCalendar) on stdout, with no control character reaching a
    terminal: on a terminal every one shows as its picture (`printable_lines`, the lines
    kept); into a pipe or a file (`>`) the same, except that LF, CRLF and tab stay as they
    are (`printable_stream`), since a pipe often ends in `less -R` or a terminal. `-o FILE`
    writes the text as it is instead."""
    from storage.text import printable_lines, printable_stream

    try:
        on_terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):
        on_terminal = False
    click.echo(printable_lines(text) if on_terminal else printable_stream(text), nl=False)


def _when(store: Store, text: str | None, *, allow_future: bool = False) -> datetime | None:
    """A `--at` value as a UTC time (None when not given): the same parser as `@` in a line."""
    if text is None:
        return None
    from storage.timeparse import parse_when

    return parse_when(text, now=store.now(), tz=store.policy.tz, allow_future=allow_future)


def _event_number(text: str) -> int:
    """SEQ as typed (`12` or `#12`); one no event can have is refused here, in one line."""
    from storage.errors import InvalidInput
    from storage.ops import STORED_INT_MAX
    from storage.timeparse import quote_input

    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(f"SEQ {quote_input(text)} is not an event number: use one `warroom timeline` shows, like 12")
    if len(digits.lstrip("0")) > len(str(STORED_INT_MAX)) or int(digits) > STORED_INT_MAX:
        raise InvalidInput(f"SEQ {quote_input(text)} is too large: events are numbered from 1 to {STORED_INT_MAX:,}")
    return int(digits)


def _yes_option(func: F) -> F:
    """`--yes`/`-y`: write a time that needs a confirmation without asking."""
    return click.option(
        "--yes",
        "-y",
        "yes",
        is_flag=True,
        help="Accept a time in the future, before the incident started or long ago without asking.",
    )(func)


def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _confirm_time(store: Store, at: datetime | None, concerns: list[str], *, yes: bool) -> None:
    """Go on when the time needs no confirmation or has one (`--yes`, or a yes at the
    terminal); otherwise stop with a message that names the concerns and `--yes`."""
    from storage.errors import InvalidInput

    if at is None or not concerns or yes:
        return
    what = f"{_local(store, at)} is {'; '.join(concerns)}"
    if not _interactive():
        raise InvalidInput(f"{what}: add --yes to write it at that time")
    if not click.confirm(_shown(f"{what}. Write it at that time?"), default=False, err=True):
        raise InvalidInput("nothing written: the time was not confirmed")


def _checked_at(store: Store, ref: str, text: str | None, *, yes: bool, milestone: str | None = None) -> datetime | None:
    """A `--at` given for incident REF, parsed (None when not given) and held to the
    confirmation rule: asked at a terminal, refused from a script unless `yes`."""
    at = _when(store, text)
    if at is None or yes:
        return at
    from storage import ops

    _confirm_time(store, at, ops.time_concerns_for(store, ref, at, milestone=milestone), yes=yes)
    return at


def _command(group: click.Group, name: str | None = None, **attrs: Any) -> Callable[[F], F]:
    """A subcommand with the store options and clean failures."""

    def decorate(func: F) -> F:
        return group.command(name, **attrs)(_store_options(_fail_cleanly(func)))  # type: ignore[return-value]

    return decorate


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_store_options
@click.version_option(package_name="warroom")
@click.pass_context
@_fail_cleanly
def main(ctx: click.Context, db: str | None, config_path: Path | None) -> None:
    """Run a live incident and write its post-mortem, from the terminal.

    With no command, opens the app on the most recently active open incident.
    """
    if ctx.invoked_subcommand is None:
        _run_app(db, config_path, None)


def _run_app(db: str | None, config_path: Path | None, ref: str | None) -> None:
    """Run the TUI; the record is opened inside it, after the first paint."""
    from storage.errors import WarroomError
    from tui.app import WarroomApp

    ctx = click.get_current_context()
    root = ctx.find_root().params
    as_name: str | None = ctx.meta.get(_AS_KEY)

    def opener() -> Store:  # runs in a worker thread, where there is no click context
        from storage.clock import clock_from_env
        from storage.db import Store
        from storage.policy import load_policy

        policy = load_policy(config_path or root.get("config_path"))
        identity = _identity(policy, as_name)
        return Store(db or root.get("db"), policy=policy, clock=clock_from_env(), identity=identity)

    app = WarroomApp(opener=opener, ref=ref)
    app.run()
    if app.store is not None:
        _announce_made_private(app.store)
        app.store.close()
    if app.failure is not None:
        raise WarroomError(app.failure)


@_command(main, "open")
@click.argument("ref")
def open_incident(ref: str, db: str | None, config_path: Path | None) -> None:
    """Open the app on incident REF."""
    _run_app(db, config_path, ref)


@_command(main)
@click.option("--keep", type=click.Path(dir_okay=False, path_type=Path), help="Write the demo database here instead of a throwaway file.")
def demo(keep: Path | None, db: str | None, config_path: Path | None) -> None:
    """Open the app on a throwaway database holding an incident in progress."""
    import tempfile

    from storage.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="warroom-demo-") as folder:
        target = keep if keep is not None else Path(folder) / "demo.db"
        store = _open_store(db or str(target), config_path)
        ref = build_demo(store)
        from tui.app import WarroomApp

        WarroomApp(store, ref=ref).run()


@_command(main)
@click.option("--sev", "severity", required=True, help="Severity: 1, 2, 3 (or SEV1...).")
@click.option("--functionality", required=True, help="What is failing, e.g. 'login'.")
@click.option("--state", required=True, help="How it fails, e.g. 'failing', 'slow'.")
@click.option("--audience", required=True, help="Who is affected, e.g. 'EU customers'.")
@click.option("--at", "at", default=None, help="When it was declared (14:32, -5m, ISO time). Default: now.")
@click.option("--ic", default=None, help="The Incident Commander.")
@click.option("--impact", default="", help="Description of the customer impact.")
@click.option("--quantity", default="Unknown", help="Customers impacted: Unknown, All, Some, Few.")
@click.option("--customers", default="", help="Known impacted customers.")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
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
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Declare an incident; the last line starts with its reference."""
    from storage import ops
    from storage.timeparse import time_concerns

    store = _open_store(db, config_path)
    declared_at = _when(store, at)
    if declared_at is not None:
        concerns = time_concerns(
            declared_at, now=store.now(), tz=store.policy.tz, older_than=store.policy.confirm_times_older_than
        )
        _confirm_time(store, declared_at, concerns, yes=yes)
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
        author=author,
    )
    click.echo(_shown(f"{incident.ref} {ops.title_of(store, incident)}"))


@_command(main)
@click.argument("ref")
@click.argument("text", nargs=-1, required=True)
@click.option("--at", "at", default=None, help="When it happened (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
def log(
    ref: str, text: tuple[str, ...], at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Log a scribe line to REF's timeline.

    TEXT follows the scribe grammar: a leading ! marks a key event; /action,
    /decision, /todo, /query, /comms set the kind; @14:32 or @-5m backdates;
    a URL becomes the event's data link; a leading backslash logs literally.
    A time in the future, before the incident started or long ago is asked about
    (or needs --yes when no one is at the terminal).
    """
    from storage import ops
    from storage.errors import NeedsConfirmation

    store = _open_store(db, config_path)
    line = " ".join(text)
    entered_at = store.now()
    when = _when(store, at, allow_future=True)
    try:
        event = ops.log(store, ref, line, author=author, at=when, confirmed=yes)
    except NeedsConfirmation as exc:
        _confirm_time(store, exc.at, exc.concerns, yes=False)
        # relative times count from when the command started, not from the answer
        event = ops.log(store, ref, line, author=author, at=when, entered_at=entered_at, confirmed=True)
    click.echo(f"#{event.seq} {event.kind}{' (key)' if event.key else ''} at {_local(store, event.occurred_at)}")


@_command(main)
@click.argument("ref")
@click.argument("seq")
@click.argument("text", nargs=-1, required=True)
@click.option("--author", default=None, help=AUTHOR_HELP)
def edit(ref: str, seq: str, text: tuple[str, ...], author: str | None, db: str | None, config_path: Path | None) -> None:
    """Replace event SEQ of REF with a new scribe line (the old text is kept)."""
    from storage import ops

    number = _event_number(seq)
    store = _open_store(db, config_path)
    event = ops.edit_event(store, ref, number, " ".join(text), author=author)
    click.echo(f"#{event.seq} edited (revision {event.revision})")


@_command(main)
@click.argument("ref")
@click.argument("seq")
@click.option("--author", default=None, help=AUTHOR_HELP)
def strike(ref: str, seq: str, author: str | None, db: str | None, config_path: Path | None) -> None:
    """Strike event SEQ of REF through (it stays in the record)."""
    from storage import ops

    number = _event_number(seq)
    store = _open_store(db, config_path)
    event = ops.strike_event(store, ref, number, author=author)
    click.echo(f"#{event.seq} struck")


@_command(main)
@click.argument("ref")
@click.argument("seq")
def history(ref: str, seq: str, db: str | None, config_path: Path | None) -> None:
    """Show every version of event SEQ of REF."""
    from storage import ops

    number = _event_number(seq)
    store = _open_store(db, config_path)
    for revision in ops.event_history(store, ref, number):
        state = " (struck)" if revision.struck else ""
        click.echo(_shown(
            f"r{revision.revision} {revision.kind}{state}: {revision.text}  "
            f"[replaced {_local(store, revision.replaced_at)} by {revision.replaced_by}]"
        ))
    current = next(e for e in ops.timeline(store, ref) if e.seq == number)
    state = " (struck)" if current.struck else ""
    click.echo(_shown(f"r{current.revision} {current.kind}{state}: {current.text}  [current]"))


@_command(main)
@click.argument("ref")
@click.argument("severity")
@click.option("--at", "at", default=None, help="When it changed (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
def sev(
    ref: str, severity: str, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Change REF's severity."""
    from storage import ops

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    incident = ops.change_severity(store, ref, severity, at=when, author=author)
    click.echo(_shown(f"{incident.ref} is now SEV{incident.severity}"))


@_command(main)
@click.argument("ref")
@click.argument("status")
@click.option("--at", "at", default=None, help="When it changed (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
def status(
    ref: str, status: str, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Set REF's status: investigating, identified, mitigated, resolved."""
    from storage import ops

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    incident = ops.set_status(store, ref, status, at=when, author=author)
    click.echo(_shown(f"{incident.ref} is {incident.status}"))


@_command(main)
@click.argument("ref")
@click.argument("role")
@click.argument("person")
@click.option("--at", "at", default=None, help="When the handover happened.")
@click.option("--note", default="", help="E.g. the component an SME covers.")
@click.option("--release", is_flag=True, help="End PERSON's hold on ROLE instead.")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
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

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    if release:
        ops.release_role(store, ref, role, person, at=when, author=author)
        click.echo(_shown(f"{person} no longer holds {store.policy.role(role).name}"))
    else:
        ops.assign_role(store, ref, role, person, at=when, note=note, author=author)
        click.echo(_shown(f"{person} is {store.policy.role(role).name}"))


@_command(main)
@click.argument("ref")
@click.argument("name")
@click.option("--at", "at", default=None, help="When it was reached (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
def milestone(
    ref: str, name: str, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Mark milestone NAME (started, detected, acknowledged, investigating, mitigated, resolved,
    retrospective-prepared, retrospective-done)."""
    from storage import ops

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes, milestone=ops.milestone_name(name))
    reached = ops.set_milestone(store, ref, name, at=when, author=author)
    click.echo(f"{reached.name} at {_local(store, reached.at)}")


@_command(main)
@click.argument("ref")
@click.argument("channel")
@click.argument("kind")
@click.option("--subject", default="")
@click.option("--body", default="")
@click.option("--at", "at", default=None, help="When it was sent (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
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

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    sent = ops.record_status_update(
        store, ref, channel=channel, kind=kind, subject=subject, body=body, at=when, author=author
    )
    click.echo(f"{sent.channel} update recorded at {_local(store, sent.sent_at)}")


@_command(main)
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

    store = _open_store(db, config_path)
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise InvalidInput(f"{due!r} is not a date: use YYYY-MM-DD") from None
    item = ops.add_action_item(
        store, ref, title, owner=owner, priority=priority, due_date=due_date, ticket_url=ticket, tags=tags
    )
    click.echo(_shown(f"{item.priority} {item.title} [{item.tags}]"))


@_command(main)
@click.argument("primary")
@click.argument("ref")
def link(primary: str, ref: str, db: str | None, config_path: Path | None) -> None:
    """Group incident REF under the primary incident PRIMARY."""
    from storage import ops

    store = _open_store(db, config_path)
    ops.link_incidents(store, primary, ref)
    click.echo(_shown(f"{ref} is grouped under {primary}"))


@_command(main, "list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--open", "open_only", is_flag=True, help="Only unresolved incidents.")
def list_command(as_json: bool, open_only: bool, db: str | None, config_path: Path | None) -> None:
    """List incidents, most recently active first."""
    from storage import ops
    from storage.export import utc_iso

    store = _open_store(db, config_path)
    rows = ops.list_incidents(store, open_only=open_only)
    if as_json:
        from storage.text import json_escaped

        click.echo(
            json_escaped(json.dumps(
                [
                    {
                        "ref": r.ref,
                        "title": r.title,
                        "severity": r.severity,
                        "status": r.status,
                        "declared_at": utc_iso(r.declared_at),
                        "updated_at": utc_iso(r.updated_at),
                        "ic": r.commander,
                        "primary": r.primary_ref,
                    }
                    for r in rows
                ],
                indent=2,
                ensure_ascii=False,
            ))
        )
        return
    if not rows:
        click.echo("No incidents. Declare one with `warroom declare`.")
        return
    width = max(len(r.ref) for r in rows)
    for r in rows:
        ic = r.commander or "no IC"
        click.echo(_shown(f"{r.ref:<{width}}  SEV{r.severity}  {r.status:<13}  {ic:<16}  {r.title}"))


@_command(main)
@click.argument("ref")
def timeline(ref: str, db: str | None, config_path: Path | None) -> None:
    """Print REF's timeline."""
    from storage import ops

    store = _open_store(db, config_path)
    for event in ops.timeline(store, ref):
        mark = "!" if event.key else " "
        struck = " (struck)" if event.struck else ""
        click.echo(_shown(f"#{event.seq:<4} {_local(store, event.occurred_at)} {mark} {event.kind:<9} {event.author}: {event.text}{struck}"))


@_command(main)
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to a file (mode 0600) instead of stdout.")
def export(ref: str, fmt: str, output: Path | None, db: str | None, config_path: Path | None) -> None:
    """Export incident REF as Markdown or JSON."""
    from storage.export import export_json, export_markdown

    store = _open_store(db, config_path)
    text = export_json(store, ref) if fmt == "json" else export_markdown(store, ref)
    if output is None:
        _print_document(text)
        return
    _write_output(store, output, text)
    click.echo(f"wrote {output}", err=True)


@_command(main, "import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path, db: str | None, config_path: Path | None) -> None:
    """Import an incident from a JSON export."""
    from storage.errors import WarroomError
    from storage.export import import_json

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise WarroomError(f"cannot read {file}: {exc.strerror}") from None
    store = _open_store(db, config_path)
    incident = import_json(store, data)
    click.echo(_shown(f"imported {incident.ref}"))


@_command(main)
@click.argument("ref")
@click.option("--force", is_flag=True, help="Resolve even with unmet criteria (recorded on the timeline).")
@click.option("--at", "at", default=None, help="When it was resolved (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@_yes_option
def resolve(
    ref: str, force: bool, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Resolve REF after checking the resolution criteria."""
    from storage import checklists

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    criteria = checklists.resolve(store, ref, force=force, at=when, author=author)
    for criterion in criteria:
        click.echo(_shown(f"{'met' if criterion.met else 'UNMET':>5}  {criterion.label}: {criterion.detail}"))
    click.echo(_shown(f"{ref} is resolved"))


@_command(main)
@click.argument("ref")
@click.option("--at", "at", default=None, help="When the record was signed off (14:32, -5m, ISO time).")
@_yes_option
def signoff(ref: str, at: str | None, yes: bool, db: str | None, config_path: Path | None) -> None:
    """Sign off REF's record as its Incident Commander (run as the IC: see --as)."""
    from storage import checklists

    store = _open_store(db, config_path)
    when = _checked_at(store, ref, at, yes=yes)
    criterion = checklists.sign_off(store, ref, at=when)
    click.echo(_shown(f"{criterion.label}: {criterion.detail}"))


@_command(main)
@click.argument("ref")
def checklist(ref: str, db: str | None, config_path: Path | None) -> None:
    """Show REF's process checklist, resolution criteria and follow-ups."""
    from storage import checklists

    store = _open_store(db, config_path)
    for step in checklists.process_checklist(store, ref):
        state = "done" if step.done else "OVERDUE" if step.overdue else "open"
        due = f" (due {_local(store, step.due_at)})" if step.due_at and not step.done else ""
        click.echo(_shown(f"{state:>7}  {step.label}{due}"))
    for criterion in checklists.resolution_criteria(store, ref):
        click.echo(_shown(f"{'met' if criterion.met else 'unmet':>7}  {criterion.label}: {criterion.detail}"))
    for person, items in checklists.followups(store, ref).items():
        for item in items:
            click.echo(_shown(f"{'done' if item.done else 'open':>7}  {person} ({item.role}): {item.label}"))


@_command(main, "postmortem")
@click.argument("ref")
@click.option("--ics", "what", flag_value="ics", help="The meeting as an iCalendar file instead.")
@click.option("--csv", "what", flag_value="csv", help="The action items as CSV for Jira's importer instead.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to a file (mode 0600).")
def postmortem_command(ref: str, what: str | None, output: Path | None, db: str | None, config_path: Path | None) -> None:
    """Print REF's post-mortem as Markdown (template order), or its meeting/action items."""
    from storage import postmortem

    store = _open_store(db, config_path)
    if what == "ics":
        text = postmortem.meeting_ics(store, ref)
    elif what == "csv":
        text = postmortem.action_items_csv(store, ref)
    else:
        text = postmortem.postmortem_markdown(store, ref)
    if output is None:
        _print_document(text)
    else:
        _write_output(store, output, text)
        click.echo(f"wrote {output}", err=True)


@_command(main)
def due(db: str | None, config_path: Path | None) -> None:
    """List resolved incidents still owing a post-mortem, by meeting deadline."""
    from storage import postmortem

    store = _open_store(db, config_path)
    rows = postmortem.needing_postmortem(store)
    if not rows:
        click.echo("No post-mortem is due.")
    for row in rows:
        late = "  OVERDUE" if row.overdue else ""
        click.echo(_shown(f"{row.ref}  SEV{row.severity}  {row.status:<9}  due {_local(store, row.deadline)}{late}  {row.title}"))


@main.group()
def services() -> None:
    """Service ownership: who owns what is failing, and whom to page."""


@_command(services, "import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def services_import(file: Path, db: str | None, config_path: Path | None) -> None:
    """Replace the ownership table with a CSV (header: functionality, service, team, paging_url,
    vendor, relationship_owner, support_url, status_url)."""
    from storage.errors import WarroomError
    from storage.services import import_ownership

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise WarroomError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    store = _open_store(db, config_path)
    click.echo(f"imported {import_ownership(store, text)} ownership rows")


@_command(services, "list")
@click.argument("functionality", required=False)
def services_list(functionality: str | None, db: str | None, config_path: Path | None) -> None:
    """Show who owns FUNCTIONALITY (or everything)."""
    from storage.services import ownership

    store = _open_store(db, config_path)
    rows = ownership(store, functionality)
    if not rows:
        click.echo("No ownership rows. Import them with `warroom services import FILE`.")
    for row in rows:
        parts = [row.functionality, row.service, row.team, row.paging_url, row.vendor]
        click.echo(_shown("  ".join(part for part in parts if part)))


@_command(main, "config")
def config_command(db: str | None, config_path: Path | None) -> None:
    """Print the default policy file, to copy and edit."""
    from storage.policy import default_config_text

    click.echo(default_config_text(), nl=False)


@_command(main, "comms")
@click.argument("ref")
@click.argument("kind")
@click.option("--send", is_flag=True, help="Record the message as sent (restarts that channel's countdown).")
@click.option("--author", default=None, help=AUTHOR_HELP)
def comms_command(ref: str, kind: str, send: bool, author: str | None, db: str | None, config_path: Path | None) -> None:
    """Fill in the KIND message for incident REF from its template and print it.

    KIND is one of internal_initial, internal_update, internal_resolved,
    status_investigating, status_update, status_resolved (hyphens work too). The
    templates are [templates.KIND] in the config. Things to check before sending are
    printed to stderr as `warning:` lines; --send records the message as sent.
    """
    from storage import comms, ops

    spec = comms.message_kind(kind)
    store = _open_store(db, config_path)
    author = author or store.user
    draft = comms.draft_message(store, ref, spec.kind, author=author)
    click.echo(_shown(f"Subject: {draft.subject}"))
    click.echo()
    click.echo(_shown(draft.body, lines=True))
    for warning in comms.lint(draft, full_outage=ops.get_incident(store, ref).full_outage):
        click.echo(_shown(f"warning: {warning}"), err=True)
    if send:
        update = comms.send_message(store, ref, draft, author=author)
        click.echo()
        click.echo(_shown(f"Sent {spec.kind} for {ref.strip()} at {_local(store, update.sent_at)}"))


def _local(store: Store, at: datetime) -> str:
    return at.astimezone(store.policy.tz).strftime("%Y-%m-%d %H:%M:%S %Z")


if __name__ == "__main__":
    main()
