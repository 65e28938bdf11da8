"""What every `warroom` command shares: the store options, opening the record, clean
one-line failures, times given with `--at`, and text made safe for the terminal.

Only click is imported here at module level; storage modules load inside the functions that
need them, and nothing here loads Textual or Rich (tests/test_layering.py checks it).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from storage.text import printable, printable_lines

if TYPE_CHECKING:
    from storage.db import Store
    from storage.errors import InvalidInput
    from storage.identity import Identity
    from storage.lite import LiteStore
    from storage.policy import Policy
    from storage.rules import Clocked

F = TypeVar("F", bound=Callable[..., Any])

AS_KEY = "warroom.as"
"""Where `--as` keeps its name in the context's `meta` (shared by a command and its group)."""
NOTICES_KEY = "warroom.notices"
"""Where the fast path leaves the files it made private when `open_store` opens the record instead."""
AUTHOR_HELP = "Who did it, for this command only. Default: who you are (see --as)."


def _remember_as(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Keep `--as NAME` for `identity_for`; the one after the command wins over the one before."""
    if value is None:
        return
    from storage.identity import name_problem

    problem = name_problem(value)
    if problem is not None:
        raise click.BadParameter(problem)
    ctx.meta[AS_KEY] = value


def identity_for(policy: Policy, as_name: str | None) -> Identity:
    """Who you are: `as_name` (--as), else WARROOM_USER, else the config's `user`, else the
    login name (which the app does not take: it asks)."""
    from storage.identity import resolve_identity

    return resolve_identity(as_name, policy.user)


def store_options(func: F) -> F:
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


def open_store(db: str | None, config_path: Path | None) -> Store:
    ctx = click.get_current_context()
    parent = ctx.find_root().params
    from storage.clock import clock_from_env
    from storage.db import Store
    from storage.policy import load_policy

    policy = load_policy(config_path or parent.get("config_path"))
    store = Store(
        db or parent.get("db"),
        policy=policy,
        clock=clock_from_env(),
        identity=identity_for(policy, ctx.meta.get(AS_KEY)),
    )
    ctx.call_on_close(store.close)
    announce(ctx.meta.pop(NOTICES_KEY, []))
    announce_made_private(store)
    _announce_waiting_lines(store)
    return store


def open_lite_store(db: str | None, config_path: Path | None) -> LiteStore | None:
    """The record through the SQLite fast path (`storage.lite`, no SQLAlchemy), or None when
    `open_store` must open it: a PostgreSQL URL, a file not there yet or at another schema
    revision, or lines typed in the app still waiting (`open_store` says so)."""
    ctx = click.get_current_context()
    parent = ctx.find_root().params
    from storage.lite import open_lite, sqlite_path

    path = sqlite_path(db or parent.get("db"))
    if path is None:
        return None
    from storage.clock import clock_from_env
    from storage.drafts import Drafts
    from storage.policy import load_policy

    policy = load_policy(config_path or parent.get("config_path"))
    notices: list[str] = []
    store = open_lite(
        path,
        policy=policy,
        clock=clock_from_env(),
        identity=identity_for(policy, ctx.meta.get(AS_KEY)),
        notices=notices,
    )
    if store is None or Drafts(store.url).waiting():
        if store is not None:
            store.close()
        ctx.meta[NOTICES_KEY] = notices  # said by `open_store` once the record is open
        return None
    ctx.call_on_close(store.close)
    announce(notices)
    return store


def write_output_file(store: Store, path: Path, text: str) -> None:
    """Write `-o FILE`: private, never the database, never through a link (storage.outputs)."""
    from storage.outputs import write_output

    write_output(path, text, store.url)


def announce_made_private(store: Store) -> None:
    """Say on stderr which database files were made private on opening (or left open to others)."""
    announce(store.notices)


def announce(notices: list[str]) -> None:
    """Each of `notices` on stderr, one line each."""
    for notice in notices:
        click.echo(shown(f"warroom: {notice}"), err=True)


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
            message = (
                f"warroom: {lines} typed in the app into an incident this database does not have {verb} kept in {path}"
            )
        else:
            message = (
                f"warroom: {lines} typed into {ref} in the app may not be in the record yet; "
                "`warroom` writes them when it starts"
            )
        click.echo(shown(message), err=True)


def fail_cleanly(func: F) -> F:
    """Turn a WarroomError into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from storage.errors import WarroomError

        try:
            _refuse_undecodable(kwargs)
            return func(*args, **kwargs)
        except WarroomError as exc:
            click.echo(shown(f"warroom: {exc}"), err=True)
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
                    (
                        p.opts[0] if isinstance(p, click.Option) else p.human_readable_name
                        for p in params
                        if p.name == name
                    ),
                    name,
                )
                raise InvalidInput(
                    f"{label} {quote_input(text)} holds bytes that are not UTF-8 text: check the terminal's encoding"
                )


def shown(text: str, *, lines: bool = False) -> str:
    """Stored text for the terminal: no control character (an escape sequence, a bell)
    reaches it, and a line break shows as `⏎ ` unless `lines` keeps the text's lines."""
    return printable_lines(text) if lines else printable(text)


def print_document(text: str) -> None:
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


def parse_at(store: Store | LiteStore, text: str | None, *, allow_future: bool = False) -> datetime | None:
    """A `--at` value as a UTC time (None when not given): the same parser as `@` in a line."""
    if text is None:
        return None
    from storage.timeparse import parse_when

    return parse_when(text, now=store.now(), tz=store.policy.tz, allow_future=allow_future)


def event_number(text: str) -> int:
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


def yes_option(func: F) -> F:
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


def confirm_time(store: Clocked, at: datetime | None, concerns: list[str], *, yes: bool) -> None:
    """Go on when the time needs no confirmation or has one (`--yes`, or a yes at the
    terminal); otherwise stop with a message that names the concerns and `--yes`."""
    from storage.errors import InvalidInput

    if at is None or not concerns or yes:
        return
    if not _interactive():
        raise unconfirmed(store, at, concerns)
    what = f"{local_time(store, at)} is {'; '.join(concerns)}"
    if not click.confirm(shown(f"{what}. Write it at that time?"), default=False, err=True):
        raise InvalidInput("nothing written: the time was not confirmed")


def unconfirmed(store: Clocked, at: datetime, concerns: list[str]) -> InvalidInput:
    """The refusal of a time that needs a confirmation no one can give here."""
    from storage.errors import InvalidInput

    return InvalidInput(f"{local_time(store, at)} is {'; '.join(concerns)}: add --yes to write it at that time")


def checked_at(store: Store, ref: str, text: str | None, *, yes: bool, milestone: str | None = None) -> datetime | None:
    """A `--at` given for incident REF, parsed (None when not given) and held to the
    confirmation rule: asked at a terminal, refused from a script unless `yes`."""
    at = parse_at(store, text)
    if at is None or yes:
        return at
    from storage import ops

    confirm_time(store, at, ops.time_concerns_for(store, ref, at, milestone=milestone), yes=yes)
    return at


def command(group: click.Group, name: str | None = None, **attrs: Any) -> Callable[[F], F]:
    """A subcommand with the store options and clean failures."""

    def decorate(func: F) -> F:
        return group.command(name, **attrs)(store_options(fail_cleanly(func)))  # type: ignore[return-value]

    return decorate


def timeline_line(
    store: Clocked, seq: int, at: datetime, key: bool, kind: str, author: str, text: str, notes: str = ""
) -> str:
    """One event as `timeline` and `tail` print it: `#12   2026-11-23 15:40:00 CET ! note      Dana: text`,
    then `notes` (` (struck)`), shown safely."""
    return shown(f"#{seq:<4} {local_time(store, at)} {'!' if key else ' '} {kind:<9} {author}: {text}{notes}")


def local_time(store: Clocked, at: datetime) -> str:
    """`at` as local time in the policy's time zone, with the zone's name."""
    local = at.astimezone(store.policy.tz)
    return f"{local.isoformat(' ', 'seconds')[:19]} {local.tzname()}"  # strftime takes half again as long
