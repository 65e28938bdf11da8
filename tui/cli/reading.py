"""The commands that read the record or carry it elsewhere: list, timeline, history
documents (export, import, post-mortem), checklists, due post-mortems, service ownership,
the default config and incident messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import (
    AUTHOR_HELP,
    command,
    local_time,
    open_lite_store,
    open_store,
    print_document,
    shown,
    timeline_line,
    write_output_file,
)
from tui.cli.launch import main

if TYPE_CHECKING:
    from storage.db import Store
    from storage.lite import IncidentRow, LiteStore, TimelineRow
    from storage.models import Event


@command(main, "list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--open", "open_only", is_flag=True, help="Only unresolved incidents.")
def list_command(as_json: bool, open_only: bool, db: str | None, config_path: Path | None) -> None:
    """List incidents, most recently active first."""
    from storage.render import utc_iso

    lite = open_lite_store(db, config_path)
    if lite is not None:
        from storage.lite import incident_rows

        rows: Sequence[IncidentRow] = incident_rows(lite, open_only=open_only)
    else:
        from storage import ops

        rows = ops.list_incidents(open_store(db, config_path), open_only=open_only)
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
        click.echo(shown(f"{r.ref:<{width}}  SEV{r.severity}  {r.status:<13}  {ic:<16}  {r.title}"))


@command(main)
@click.argument("ref")
def timeline(ref: str, db: str | None, config_path: Path | None) -> None:
    """Print REF's timeline."""
    lite = open_lite_store(db, config_path)
    store: Store | LiteStore
    if lite is not None:
        from storage.lite import timeline_rows

        store = lite
        events: Sequence[Event | TimelineRow] = timeline_rows(lite, ref)
    else:
        from storage import ops

        store = open_store(db, config_path)
        events = ops.timeline(store, ref)
    lines: list[str] = []
    for event in events:
        struck = " (struck)" if event.struck else ""
        lines.append(timeline_line(store, event.seq, event.occurred_at, event.key, event.kind, event.author,
                                   event.text, struck))
        if len(lines) == 1000:  # a thousand lines a write: one write a line was a third of the time
            click.echo("\n".join(lines))
            lines.clear()
    if lines:
        click.echo("\n".join(lines))


@command(main)
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to a file (mode 0600) instead of stdout.",
)
def export(ref: str, fmt: str, output: Path | None, db: str | None, config_path: Path | None) -> None:
    """Export incident REF as Markdown or JSON."""
    from contextlib import nullcontext

    from storage.export import export_markdown, json_chunks, spooled
    from storage.outputs import write_output

    store = open_store(db, config_path)
    # JSON is read in pieces (memory does not grow with the events), all of them before
    # any is written: a failure while reading leaves stdout or the file untouched.
    exported = json_chunks(store, ref) if fmt == "json" else nullcontext([export_markdown(store, ref)])
    with exported as pieces, spooled(pieces) as document:
        if output is None:
            for piece in document:
                print_document(piece)
            return
        write_output(output, document, store.url)
    click.echo(f"wrote {output}", err=True)


@command(main, "import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path, db: str | None, config_path: Path | None) -> None:
    """Import an incident from a JSON export."""
    from storage.errors import WarroomError
    from storage.export import import_json

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise WarroomError(f"cannot read {file}: {exc.strerror}") from None
    store = open_store(db, config_path)
    incident = import_json(store, data)
    click.echo(shown(f"imported {incident.ref}"))


@command(main, "import-slack")
@click.argument("export", type=click.Path(path_type=Path))
@click.argument("ref")
@click.option("--channel", required=True, help="The channel whose messages to add, e.g. inc-checkout.")
@click.option("--key-reaction", default="pushpin", show_default=True,
              help="Messages with this reaction become key events, as pinned ones do ('' for none).")
def import_slack_command(
    export: Path, ref: str, channel: str, key_reaction: str, db: str | None, config_path: Path | None
) -> None:
    """Add a channel's messages from a Slack export (a folder or a zip) to REF's timeline.

    Each message becomes a note by its author, at its time, with its first link; pinned
    ones are key events; joins and bots are skipped. Running it again adds only what is new."""
    from storage.slack_import import import_slack

    store = open_store(db, config_path)
    done = import_slack(store, ref, export, channel, key_reaction=key_reaction)
    parts = [f"{done.keys} key" if done.keys else "", f"{done.already} already there" if done.already else "",
             f"{done.noise} joins and bot messages skipped" if done.noise else "",
             f"{done.unreadable} without text or time skipped" if done.unreadable else ""]
    details = "; ".join(part for part in parts if part)
    plural = "" if done.added == 1 else "s"
    said = f"added {done.added} message{plural} of #{done.channel} to {ref}"
    click.echo(shown(f"{said} ({details})" if details else said))


@command(main)
@click.argument("ref")
def checklist(ref: str, db: str | None, config_path: Path | None) -> None:
    """Show REF's process checklist, resolution criteria and follow-ups."""
    from storage import checklists

    store = open_store(db, config_path)
    for step in checklists.process_checklist(store, ref):
        state = "done" if step.done else "OVERDUE" if step.overdue else "open"
        due = f" (due {local_time(store, step.due_at)})" if step.due_at and not step.done else ""
        click.echo(shown(f"{state:>7}  {step.label}{due}"))
    for criterion in checklists.resolution_criteria(store, ref):
        click.echo(shown(f"{'met' if criterion.met else 'unmet':>7}  {criterion.label}: {criterion.detail}"))
    for person, items in checklists.followups(store, ref).items():
        for item in items:
            click.echo(shown(f"{'done' if item.done else 'open':>7}  {person} ({item.role}): {item.label}"))


@command(main, "postmortem")
@click.argument("ref")
@click.option("--ics", "what", flag_value="ics", help="The meeting as an iCalendar file instead.")
@click.option("--csv", "what", flag_value="csv", help="The action items as CSV for Jira's importer instead.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to a file (mode 0600)."
)
def postmortem_command(
    ref: str, what: str | None, output: Path | None, db: str | None, config_path: Path | None
) -> None:
    """Print REF's post-mortem as Markdown (template order), or its meeting/action items."""
    from storage import postmortem

    store = open_store(db, config_path)
    if what == "ics":
        text = postmortem.meeting_ics(store, ref)
    elif what == "csv":
        text = postmortem.action_items_csv(store, ref)
    else:
        text = postmortem.postmortem_markdown(store, ref)
    if output is None:
        print_document(text)
    else:
        write_output_file(store, output, text)
        click.echo(f"wrote {output}", err=True)


@command(main)
def due(db: str | None, config_path: Path | None) -> None:
    """List resolved incidents still owing a post-mortem, by meeting deadline."""
    from storage import postmortem

    store = open_store(db, config_path)
    rows = postmortem.needing_postmortem(store)
    if not rows:
        click.echo("No post-mortem is due.")
    for row in rows:
        late = "  OVERDUE" if row.overdue else ""
        click.echo(
            shown(
                f"{row.ref}  SEV{row.severity}  {row.status:<9}  "
                f"due {local_time(store, row.deadline)}{late}  {row.title}"
            )
        )


@main.group()
def services() -> None:
    """Service ownership: who owns what is failing, and whom to page."""


@command(services, "import")
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
    store = open_store(db, config_path)
    click.echo(f"imported {import_ownership(store, text)} ownership rows")


@command(services, "list")
@click.argument("functionality", required=False)
def services_list(functionality: str | None, db: str | None, config_path: Path | None) -> None:
    """Show who owns FUNCTIONALITY (or everything)."""
    from storage.services import ownership

    store = open_store(db, config_path)
    rows = ownership(store, functionality)
    if not rows:
        click.echo("No ownership rows. Import them with `warroom services import FILE`.")
    for row in rows:
        parts = [row.functionality, row.service, row.team, row.paging_url, row.vendor]
        click.echo(shown("  ".join(part for part in parts if part)))


@command(main, "config")
def config_command(db: str | None, config_path: Path | None) -> None:
    """Print the default policy file, to copy and edit."""
    from storage.policy import default_config_text

    click.echo(default_config_text(), nl=False)


@command(main, "comms")
@click.argument("ref")
@click.argument("kind")
@click.option("--send", is_flag=True, help="Send it through the channel's command, if the config names one "
              "([send.CHANNEL]), and record it as sent (restarts that channel's countdown).")
@click.option("--author", default=None, help=AUTHOR_HELP)
def comms_command(
    ref: str, kind: str, send: bool, author: str | None, db: str | None, config_path: Path | None
) -> None:
    """Fill in the KIND message for incident REF from its template and print it.

    KIND is one of internal_initial, internal_update, internal_resolved,
    status_investigating, status_update, status_resolved (hyphens work too). The
    templates are [templates.KIND] in the config. Things to check before sending are
    printed to stderr as `warning:` lines; --send records the message as sent.
    """
    from storage import comms

    spec = comms.message_kind(kind)
    store = open_store(db, config_path)
    author = author or store.user
    draft = comms.draft_message(store, ref, spec.kind, author=author)
    click.echo(shown(f"Subject: {draft.subject}"))
    click.echo()
    click.echo(shown(draft.body, lines=True))
    for warning in comms.lint(draft, comms.lint_context(store, ref)):
        click.echo(shown(f"warning: {warning}"), err=True)
    if send:
        from storage.sending import send as send_out

        sent = send_out(store, ref, draft, author=author)
        click.echo()
        if sent.said is not None:
            command = " ".join(store.policy.senders[draft.channel].command)
            click.echo(shown(f"Sent through {command}" + (f": {sent.said}" if sent.said else "")))
        click.echo(shown(f"Sent {spec.kind} for {ref.strip()} at {local_time(store, sent.update.sent_at)}"))
