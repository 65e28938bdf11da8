"""Context commands for the command palette (Ctrl+P): open any incident, and on an
incident's command screen hand a role over to someone in its roster, set the severity or
the status, mark a milestone or show only one author's events, without a dialog, or open
the facts dialog.

The provider reads the incident list off the UI thread when the palette opens, and reaches
the command screen only through its public methods (`hand_over`, `set_severity`,
`set_status`, `mark_milestone`, `show_author`) and its roster widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import Screen
from textual.style import Style

from storage.errors import WarroomError
from storage.text import printable

if TYPE_CHECKING:
    from screens.command import CommandScreen
    from storage import ops
    from storage.db import Store


@dataclass(frozen=True)
class PaletteCommand:
    """One command: what the palette shows and searches, its help line, what it does."""

    text: str
    help: str
    run: Callable[[], object]


def highlighted(matcher: Matcher, text: str) -> Content:
    """`text` as plain content (never markup: it holds names and titles people typed) with
    the characters the query matched styled. `Matcher.highlight` would read it as markup."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class IncidentCommands(Provider):
    """Commands that depend on the record and on the incident shown."""

    def __init__(self, screen: Screen[Any], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self.commands: list[PaletteCommand] = []

    async def startup(self) -> None:
        store: Store | None = getattr(self.app, "store", None)
        if store is None:
            return
        by_author = asyncio.ensure_future(self._author_commands(store))  # read beside the incidents
        try:
            rows = await asyncio.to_thread(_incidents, store)
        except WarroomError:
            rows = []
        self.commands = [*self._incident_commands(store, rows), *await by_author, *self._open_commands(rows)]

    def _open_commands(self, rows: list[ops.IncidentRow]) -> list[PaletteCommand]:
        """"Open inc-…" for every incident but the one shown, opened as the incident list does."""
        shown = getattr(self.screen, "ref", None)
        open_incident: Callable[[str], None] | None = getattr(self.app, "open_incident", None)
        if open_incident is None:
            return []
        return [
            PaletteCommand(
                printable(f"Open {row.ref}: {row.title}"),
                printable(f"SEV{row.severity} {row.status}, IC {row.commander or 'none'}"),
                partial(open_incident, row.ref),
            )
            for row in rows
            if row.ref != shown
        ]

    def _incident_commands(self, store: Store, rows: list[ops.IncidentRow]) -> list[PaletteCommand]:
        """On a command screen: hand over, set severity, mark milestone."""
        from screens.command import CommandScreen
        from screens.pickers import STATUS_HINTS
        from storage.models import MILESTONES
        from widgets.incident_header import IncidentHeader
        from widgets.roster import RoleRoster

        screen = self.screen
        if not isinstance(screen, CommandScreen) or screen.ref is None:
            return []
        commands: list[PaletteCommand] = []
        roles = screen.query_one(RoleRoster).roles
        people = sorted({holder.person for role in roles for holder in role.holders})
        for role in roles:
            holders = {holder.person for holder in role.holders}
            for person in people:
                if person not in holders:
                    text = (
                        f"Add {person} as {role.name}"
                        if role.many and holders
                        else f"Hand over {role.name} to {person}"
                    )
                    commands.append(
                        PaletteCommand(
                            printable(text),
                            printable(f"{person} becomes {role.name}, as of now"),
                            partial(screen.hand_over, role.key, person),
                        )
                    )
        current = next((row.severity for row in rows if row.ref == screen.ref), None)
        for level, severity in store.policy.severities.items():
            if level != current:
                commands.append(
                    PaletteCommand(
                        printable(f"Set severity SEV{level} ({severity.name})"),
                        printable(severity.definition or f"SEV{level}"),
                        partial(screen.set_severity, level),
                    )
                )
        status = next((row.status for row in rows if row.ref == screen.ref), None)
        commands.extend(
            PaletteCommand(
                f"Set status {name}",
                "Checks the resolution criteria first" if name == "resolved" else STATUS_HINTS[name].capitalize(),
                partial(screen.set_status, name),
            )
            for name in STATUS_HINTS
            if name != status
        )
        header = screen.query_one(IncidentHeader)
        if header.owner and header.owner_link:
            commands.append(
                PaletteCommand(
                    printable(f"Copy the paging link of {header.owner}"),
                    printable(header.owner_link),
                    partial(_copy_link, self.app, header.owner_link),
                )
            )
        commands.append(
            PaletteCommand(
                "Correct the facts: title, impact, customers, full outage",
                "Opens the facts dialog; each change is on the timeline with the old value",
                screen.action_facts,
            )
        )
        commands.extend(
            PaletteCommand(
                f"Mark milestone {name.replace('_', ' ')}",
                "Reached now (resolving checks the resolution criteria)" if name == "resolved" else "Reached now",
                partial(screen.mark_milestone, name),
            )
            for name in MILESTONES
        )
        return commands + _reminder_commands(screen)

    async def _author_commands(self, store: Store) -> list[PaletteCommand]:
        """On a command screen: show only one author's events (the timeline's filter)."""
        from screens.command import CommandScreen

        screen = self.screen
        if not isinstance(screen, CommandScreen) or screen.ref is None:
            return []
        try:
            authors = await asyncio.to_thread(_authors, store, screen.ref)
        except WarroomError:
            return []
        commands = [
            PaletteCommand(
                printable(f"Show only the events of {author}"),
                "Filter the timeline by author (the palette's “everyone” shows all again)",
                partial(screen.show_author, author),
            )
            for author in authors
            if author != screen.shown.author
        ]
        if screen.shown.author is not None:
            commands.append(
                PaletteCommand("Show the events of everyone", "No author filter", partial(screen.show_author, None))
            )
        return commands

    async def discover(self) -> Hits:
        for command in self.commands:
            yield DiscoveryHit(Content(command.text), command.run, text=command.text, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands:
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(score, highlighted(matcher, command.text), command.run, text=command.text, help=command.help)


def _reminder_commands(screen: CommandScreen) -> list[PaletteCommand]:
    """Set a reminder; dismiss or snooze each one shown; snooze an overdue update's reminders."""
    from storage.reminders import REMINDER_SNOOZE, UPDATE_SNOOZE
    from widgets.countdown import CountdownPanel
    from widgets.reminders import ReminderPanel

    commands = [PaletteCommand("Remind me…", "A reminder in some minutes, as /remind 10m text", screen.action_remind)]
    for item in screen.query_one(ReminderPanel).items:
        commands += [
            PaletteCommand(printable(f"Reminder done: #{item.seq} {item.text}"), "Dismiss it (kept in the record)",
                           partial(screen.reminder_done, item.seq)),
            PaletteCommand(printable(f"Snooze reminder #{item.seq} {item.text}"),
                           f"Remind again in {REMINDER_SNOOZE.seconds // 60} minutes",
                           partial(screen.snooze_reminder, item.seq)),
        ]
    for name, countdown in screen.query_one(CountdownPanel).countdowns.items():
        if countdown.display and countdown.overdue:
            commands.append(PaletteCommand(
                f"Snooze reminders: {countdown.label} overdue",
                f"No reminder of it for {UPDATE_SNOOZE.seconds // 60} minutes (until it is sent, or after)",
                partial(screen.snooze_update_reminders, name),
            ))
    return commands


def _copy_link(app: Any, link: str) -> None:
    """Put `link` on the clipboard (the terminal's, through OSC 52) and say so."""
    app.copy_to_clipboard(link)
    app.notify(printable(f"Copied {link}"), title="Paging link", markup=False)


def _incidents(store: Store) -> list[ops.IncidentRow]:
    from storage import ops

    return ops.list_incidents(store)


def _authors(store: Store, ref: str) -> list[str]:
    from storage import live

    return live.authors(store, ref)
