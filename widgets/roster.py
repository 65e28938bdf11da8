"""The response roles of an incident: who holds each one and since when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from widgets.countdown import countdown_minutes
from widgets.text import printable

COMMANDER_KEY = "ic"
"""The key of the Incident Commander role, which stands out."""
NAME_WIDTH_MAX = 22
"""The role-name column is as wide as the longest name, up to this."""


@dataclass(frozen=True)
class RosterHolder:
    """One person holding a role, since when, with an optional note (e.g. a component)."""

    person: str
    since: datetime
    note: str = ""


@dataclass(frozen=True)
class RosterRole:
    """One response role and its current holders (several only when `many`)."""

    key: str
    name: str
    many: bool
    holders: tuple[RosterHolder, ...]


STACK_BELOW_ROOM = 1 + 20 + 1 + len("since 00:00Z")
"""Cells a holder needs beside the role name; with less, holders are listed below it."""


@dataclass(frozen=True)
class HandoverTimes:
    """When the IC's row suggests offering a handover, and when it warns (time held)."""

    offer_after: timedelta
    latest: timedelta


def held_mark(since: datetime, now: datetime, times: HandoverTimes) -> tuple[str, bool] | None:
    """The IC's handover line once held `times.offer_after` (`held 1h 05m · offer a
    handover`), and whether it warns (held past `times.latest`); None before."""
    held = now - since
    if held < times.offer_after:
        return None
    shown = countdown_minutes(int(held.total_seconds()) // 60)
    if held >= times.latest:
        return f"held {shown} · hand over now", True
    return f"held {shown} · offer a handover", False


class RosterRow(Widget):
    """One role of a `RoleRoster`: a line per holder, or one `vacant` line."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "roster-row--name",
        "roster-row--note",
        "roster-row--since",
        "roster-row--vacant",
        "roster-row--offer",
        "roster-row--hand-over",
    }

    DEFAULT_CSS = """
    RosterRow {
        height: auto;
        padding: 0 1;
        &.-commander {
            text-style: bold;
        }
        & > .roster-row--name {
            color: $text-muted;
        }
        &.-commander > .roster-row--name {
            color: $accent;
        }
        & > .roster-row--note {
            color: $text-muted;
        }
        & > .roster-row--since {
            color: $text-muted;
            text-style: not bold;
        }
        & > .roster-row--vacant {
            color: $warning 80%;
            text-style: italic;
        }
        & > .roster-row--offer {
            color: $accent;
            text-style: not bold italic;
        }
        & > .roster-row--hand-over {
            color: $error;
        }
    }
    """

    def __init__(self, role: RosterRole, *, tz: tzinfo, name_width: int, show_utc: bool = False) -> None:
        super().__init__()
        self.role = role
        self.tz = tz
        self.name_width = name_width
        self.show_utc = show_utc
        """Times as `HH:MMZ` in UTC instead of local `HH:MM`."""
        self.handover_mark: tuple[str, bool] | None = None
        """The IC's handover line and whether it warns (`held_mark`), None when not shown."""
        self._sync_classes()

    def show(self, role: RosterRole, name_width: int) -> None:
        """Show another role (or the same one changed)."""
        self.role = role
        self.name_width = name_width
        self._sync_classes()
        self.refresh(layout=True)

    def since_text(self, holder: RosterHolder) -> str:
        """`since 15:05` in the local zone, `since 14:05Z` in UTC."""
        if self.show_utc:
            return f"since {holder.since.astimezone(UTC):%H:%M}Z"
        return f"since {holder.since.astimezone(self.tz):%H:%M}"

    def _sync_classes(self) -> None:
        self.set_class(self.role.key == COMMANDER_KEY, "-commander")
        self.set_class(not self.role.holders, "-vacant")

    def _stacked(self, width: int) -> bool:
        """Too narrow for name, person and time on one line: the holders go below the name."""
        return width < self.name_width + STACK_BELOW_ROOM

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self.role.holders:
            return 1
        return len(self.role.holders) + (1 if self._stacked(width) else 0) + (self.handover_mark is not None)

    def render(self) -> Content:
        width = self.content_size.width
        name_style = self.get_visual_style("roster-row--name")
        note_style = self.get_visual_style("roster-row--note")
        since_style = self.get_visual_style("roster-row--since")
        name = Content(printable(self.role.name)).truncate(self.name_width, ellipsis=True, pad=True)
        blank = Content(" " * self.name_width)
        if not self.role.holders:  # the name gives way to the word, which would wrap out of sight
            vacant = self.get_visual_style("roster-row--vacant")
            room = max(1, min(self.name_width, width - len(" vacant")))
            name = Content(printable(self.role.name)).truncate(room, ellipsis=True, pad=True)
            return Content.assemble(name.stylize(name_style), " ", ("vacant", vacant))
        stacked = self._stacked(width)
        indent = 2 if stacked else self.name_width + 1
        lines: list[Content] = []
        if stacked:
            lines.append(Content(printable(self.role.name)).truncate(width, ellipsis=True).stylize(name_style))
        for index, holder in enumerate(self.role.holders):
            since = self.since_text(holder)
            who = Content(printable(holder.person))
            if holder.note:
                who = Content.assemble(who, " ", (f"({printable(holder.note)})", note_style))
            room = max(0, width - indent - len(since) - 1)
            who = who.truncate(room, ellipsis=True, pad=True)
            if stacked:
                column = Content(" " * (indent - 1))
            else:
                column = name.stylize(name_style) if index == 0 else blank
            lines.append(Content.assemble(column, " ", who, " ", (since, since_style)))
        if self.handover_mark is not None:
            text, warns = self.handover_mark
            style = self.get_visual_style("roster-row--hand-over" if warns else "roster-row--offer")
            mark = Content(text).truncate(max(0, width - indent), ellipsis=True)
            lines.append(Content.assemble(" " * indent, mark.stylize(style)))
        return Content("\n").join(lines)


class RoleRoster(VerticalScroll):
    """Every response role with its holders; a cursor moves over the roles.

    Enter asks for a handover of the role under the cursor (`HandoverRequested`);
    Delete asks to release its holder (`ReleaseRequested`): for a role held by several
    people (SMEs), the one who took it most recently. (The screen confirms before it does.)
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Previous role", show=False, id="role_roster.cursor_up",
                tooltip="Move to the previous role"),
        Binding("down", "cursor_down", "Next role", show=False, id="role_roster.cursor_down",
                tooltip="Move to the next role"),
        Binding("enter", "handover", "Hand over", id="role_roster.handover",
                tooltip="Hand the selected role over to someone"),
        Binding("delete", "release", "Release", id="role_roster.release",
                tooltip="Release the selected role's most recent holder (asks first)"),
    ]

    DEFAULT_CSS = """
    RoleRoster {
        height: auto;
        max-height: 100%;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        background: transparent;
        &:focus {
            border: round $accent;
            border-title-color: $accent;
        }
        & > RosterRow.-cursor {
            background: $panel;
        }
        &:focus > RosterRow.-cursor {
            background: $accent 30%;
        }
    }
    """

    cursor: reactive[int] = reactive(0, init=False)
    """The index of the role under the cursor."""
    show_utc: reactive[bool] = reactive(False, init=False)
    """Show the times in UTC (`since 14:05Z`) instead of the local zone (`since 15:05`)."""

    class HandoverRequested(Message):
        """The user asked to hand the role `role_key` over."""

        def __init__(self, roster: RoleRoster, role_key: str) -> None:
            super().__init__()
            self.roster = roster
            self.role_key = role_key

        @property
        def control(self) -> RoleRoster:
            """The roster the request came from."""
            return self.roster

    class ReleaseRequested(Message):
        """The user asked that `person` give up the role `role_key`."""

        def __init__(self, roster: RoleRoster, role_key: str, person: str) -> None:
            super().__init__()
            self.roster = roster
            self.role_key = role_key
            self.person = person

        @property
        def control(self) -> RoleRoster:
            """The roster the request came from."""
            return self.roster

    def __init__(self, *, tz: tzinfo, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tz = tz
        self.border_title = "Roles"
        self._roles: tuple[RosterRole, ...] = ()
        self.handover_times: HandoverTimes | None = None
        """When the IC's row suggests and then urges a handover; None: it never does."""
        self._now: datetime | None = None

    @property
    def roles(self) -> tuple[RosterRole, ...]:
        """The roles shown, in order."""
        return self._roles

    @property
    def cursor_role(self) -> RosterRole | None:
        """The role under the cursor, None when there are no roles."""
        return self._roles[self.cursor] if self._roles else None

    def set_roles(self, roles: Sequence[RosterRole]) -> None:
        """Show `roles` in order; the cursor stays on the same role key when it can."""
        previous = self.cursor_role
        self._roles = tuple(roles)
        width = min(NAME_WIDTH_MAX, max((Content(printable(r.name)).cell_length for r in self._roles), default=0))
        rows = list(self.query_children(RosterRow))
        for row, role in zip(rows, self._roles, strict=False):  # rows beyond the roles go below
            row.show(role, width)
        for row in rows[len(self._roles):]:
            row.remove()
        new_rows = [
            RosterRow(role, tz=self.tz, name_width=width, show_utc=self.show_utc) for role in self._roles[len(rows):]
        ]
        if new_rows:
            self.mount_all(new_rows)
        if self._now is not None:
            self.set_now(self._now)
        keys = [role.key for role in self._roles]
        index = keys.index(previous.key) if previous is not None and previous.key in keys else self.cursor
        self.set_reactive(RoleRoster.cursor, self.validate_cursor(index))
        self.call_after_refresh(self._show_cursor)

    def _commander_since(self) -> datetime | None:
        role = next((role for role in self._roles if role.key == COMMANDER_KEY), None)
        return min((holder.since for holder in role.holders), default=None) if role is not None else None

    def set_now(self, now: datetime) -> None:
        """Tick: the IC's handover line as of `now` (drawn again only when it changes)."""
        self._now = now
        since = self._commander_since()
        times = self.handover_times
        mark = held_mark(since, now, times) if since is not None and times is not None else None
        for row in self.query_children(RosterRow):
            shown = mark if row.role.key == COMMANDER_KEY else None
            if shown != row.handover_mark:
                appears = (shown is None) != (row.handover_mark is None)  # a line more or less
                row.handover_mark = shown
                row.refresh(layout=appears)

    def next_change(self, now: datetime) -> float | None:
        """Seconds from `now` until the IC's handover line changes (None: it never will)."""
        since = self._commander_since()
        if since is None or self.handover_times is None:
            return None
        held = (now - since).total_seconds()
        offer = self.handover_times.offer_after.total_seconds()
        return (offer - held if held < offer else 60.0 - held % 60) + 0.001

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self._roles) - 1))

    def watch_cursor(self) -> None:
        self._show_cursor()

    def watch_show_utc(self, show_utc: bool) -> None:
        for row in self.query_children(RosterRow):
            row.show_utc = show_utc
            row.refresh(layout=True)

    def _show_cursor(self) -> None:
        for index, row in enumerate(self.query_children(RosterRow)):
            row.set_class(index == self.cursor, "-cursor")
            if index == self.cursor and self.is_mounted:
                self.scroll_to_widget(row, animate=False)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_handover(self) -> None:
        role = self.cursor_role
        if role is not None:
            self.post_message(self.HandoverRequested(self, role.key))

    def action_release(self) -> None:
        role = self.cursor_role
        if role is not None and role.holders:
            latest = max(reversed(role.holders), key=lambda holder: holder.since)
            self.post_message(self.ReleaseRequested(self, role.key, latest.person))

    @on(events.Click)
    def _click_role(self, event: events.Click) -> None:
        rows = list(self.query_children(RosterRow))
        if event.widget in rows:
            self.cursor = rows.index(event.widget)
