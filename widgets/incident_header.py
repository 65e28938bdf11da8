"""The top band of the command screen: which incident, how bad, how long, who leads."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from widgets.text import printable

MIN_TITLE_WIDTH = 20
"""Below this much room for the title on one line, the header takes two lines."""
SEPARATOR = "  "


def format_elapsed(elapsed: timedelta) -> str:
    """The incident's age to the minute: `47m`, `10h 05m`, `2 days 3h 04m` (negative
    durations count as zero). Minutes, not seconds: the header is drawn again once a
    minute, not every second, and an incident's age is not read to the second."""
    minutes = max(0, int(elapsed.total_seconds())) // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    clock = f"{hours}h {minutes:02d}m" if hours or days else f"{minutes}m"
    if days:
        return f"{days} {'day' if days == 1 else 'days'} {clock}"
    return clock


_LINKABLE = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f]+")
"""A link the terminal may be handed (in its own escape sequence): http(s), no control
characters or spaces."""


class IncidentHeader(Widget):
    """Reference, title, severity, status, incident clock, commander and who you are on one line.

    The title is cut with `…` when room runs short; when even that leaves too little room,
    the header takes two lines (reference and title, then the rest). Push `now` every
    second to run the clock; it stops at `ended_at` (the resolution) and shows how long
    the incident lasted. `show(**fields)` sets several fields with one refresh.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "incident-header--ref",
        "incident-header--sev1",
        "incident-header--sev2",
        "incident-header--sev",
        "incident-header--status",
        "incident-header--resolved",
        "incident-header--clock",
        "incident-header--commander",
        "incident-header--no-commander",
        "incident-header--you",
        "incident-header--separator",
    }

    DEFAULT_CSS = """
    IncidentHeader {
        height: auto;
        background: $panel;
        padding: 0 1;
        & > .incident-header--ref {
            text-style: bold;
        }
        & > .incident-header--sev1 {
            color: $error;
            text-style: bold;
        }
        & > .incident-header--sev2 {
            color: $warning;
            text-style: bold;
        }
        & > .incident-header--sev {
            color: $accent;
        }
        & > .incident-header--status {
            color: $text;
        }
        & > .incident-header--resolved {
            color: $success;
            text-style: bold;
        }
        & > .incident-header--clock {
            text-style: bold;
        }
        & > .incident-header--commander {
            color: $text;
        }
        & > .incident-header--no-commander {
            color: $warning;
            text-style: italic;
        }
        & > .incident-header--you {
            color: $text;
        }
        & > .incident-header--separator {
            color: $text-muted;
        }
    }
    """

    ref: reactive[str] = reactive("", layout=True)
    """The incident reference, e.g. `inc-26-11-23-SEV-1`."""
    title: reactive[str] = reactive("", layout=True)
    """The human title, e.g. `login is failing for EU customers`."""
    severity: reactive[int] = reactive(0, layout=True)
    """The severity level (1 is the worst); 0 when unknown."""
    severity_name: reactive[str] = reactive("", layout=True)
    """The severity's name, e.g. `major`."""
    status: reactive[str] = reactive("", layout=True)
    """The incident status, e.g. `investigating` or `resolved`."""
    started_at: reactive[datetime | None] = reactive(None)
    """When the incident started (aware); the clock counts from here."""
    ended_at: reactive[datetime | None] = reactive(None)
    """When the incident was resolved (aware), or None: the clock stops here."""
    commander: reactive[str | None] = reactive(None, layout=True)
    """The current Incident Commander, None when nobody holds the role."""
    now: reactive[datetime | None] = reactive(None, repaint=False)
    """The current time (aware), pushed in by the parent: the header repaints when the
    clock it shows changes, and lays out again only when that changes its line count."""
    you: reactive[str] = reactive("", layout=True)
    """Who is at the keyboard (the author of what is logged here); not shown when empty."""
    owner: reactive[str] = reactive("", layout=True)
    """The team that owns the failing functionality (service ownership); not shown when empty."""
    owner_link: reactive[str] = reactive("")
    """Where to page that team: the owner's name links there (terminals that show links)."""

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"ref", "title", "severity", "severity_name", "status", "started_at", "ended_at", "commander", "now", "you",
         "owner", "owner_link"}
    )

    def show(self, **fields: Any) -> None:
        """Set several fields (names as the attributes) and refresh once."""
        unknown = set(fields) - self.FIELDS
        if unknown:
            raise TypeError(f"IncidentHeader has no field(s) {', '.join(sorted(unknown))}")
        changed = False
        for name, value in fields.items():
            if getattr(self, name) != value:
                self.set_reactive(getattr(IncidentHeader, name), value)
                changed = True
        if changed:
            self._clock_shown = self.clock_text()
            self._refresh_for_change()

    _clock_shown = ""
    """The clock text last drawn (a tick that does not change it draws nothing)."""

    def clock_text(self) -> str:
        """The incident clock as shown, `—` until both `started_at` and `now` are known;
        from the resolution on, how long the incident lasted (`lasted 1h 05m`)."""
        if self.started_at is None:
            return "—"
        if self.ended_at is not None:
            return f"lasted {format_elapsed(self.ended_at - self.started_at)}"
        if self.now is None:
            return "—"
        return format_elapsed(self.now - self.started_at)

    def next_change(self, now: datetime) -> float | None:
        """Seconds from `now` until the clock shows another minute (None: it is stopped)."""
        if self.started_at is None or self.ended_at is not None:
            return None
        elapsed = (now - self.started_at).total_seconds()
        return (60.0 - elapsed % 60 if elapsed >= 0 else -elapsed) + 0.001

    def watch_now(self) -> None:
        clock = self.clock_text()
        if clock == self._clock_shown:
            return
        grew = len(clock) != len(self._clock_shown)
        self._clock_shown = clock
        if grew:  # 59m to 1h 00m, a day: the facts are wider, the title may wrap
            self._refresh_for_change()
        else:
            self.refresh()

    def watch_started_at(self) -> None:
        self.watch_now()

    def watch_ended_at(self) -> None:
        self.watch_now()

    def _refresh_for_change(self) -> None:
        """Repaint; lay the screen out again only if the header's height changes."""
        if self.is_mounted and self._line_count(self.content_size.width) == self.content_size.height:
            self.refresh()
        else:
            self.refresh(layout=True)

    def _heading(self) -> Content:
        ref = Content(printable(self.ref)).stylize(self.get_visual_style("incident-header--ref"))
        title = Content(printable(self.title))
        if ref and title:
            return Content.assemble(ref, "  ", title)
        return ref or title

    def _facts(self) -> Content:
        parts: list[Content] = []
        if self.severity > 0:
            component = {1: "incident-header--sev1", 2: "incident-header--sev2"}.get(
                self.severity, "incident-header--sev"
            )
            text = f"SEV{self.severity} {printable(self.severity_name)}".rstrip()
            parts.append(Content.styled(text, self.get_visual_style(component)))
        if self.status:
            component = "incident-header--resolved" if self.status == "resolved" else "incident-header--status"
            parts.append(Content.styled(printable(self.status), self.get_visual_style(component)))
        parts.append(Content.styled(self.clock_text(), self.get_visual_style("incident-header--clock")))
        if self.commander:
            commander = Content.assemble(
                ("IC ", self.get_visual_style("incident-header--separator")),
                (printable(self.commander), self.get_visual_style("incident-header--commander")),
            )
        else:
            commander = Content.styled("no IC", self.get_visual_style("incident-header--no-commander"))
        parts.append(commander)
        if self.owner:
            link = Style(link=self.owner_link) if _LINKABLE.fullmatch(self.owner_link) else Style()
            parts.append(
                Content.assemble(
                    ("owner ", self.get_visual_style("incident-header--separator")),
                    (printable(self.owner), self.get_visual_style("incident-header--commander") + link),
                )
            )
        if self.you:
            parts.append(
                Content.assemble(
                    ("you: ", self.get_visual_style("incident-header--separator")),
                    (printable(self.you), self.get_visual_style("incident-header--you")),
                )
            )
        separator = Content.styled(SEPARATOR, self.get_visual_style("incident-header--separator"))
        return separator.join(parts)

    def _line_count(self, width: int) -> int:
        room = width - self._facts().cell_length - 2
        heading = self._heading()
        ref_width = Content(printable(self.ref)).cell_length + 2
        return 1 if room >= heading.cell_length or room - ref_width >= MIN_TITLE_WIDTH else 2

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._line_count(width)

    def render(self) -> Content:
        width = self.content_size.width
        heading = self._heading()
        facts = self._facts()
        if self._line_count(width) == 1:
            heading = heading.truncate(max(0, width - facts.cell_length - 2), ellipsis=True, pad=True)
            return Content.assemble(heading, "  ", facts)
        heading = heading.truncate(width, ellipsis=True)
        facts = facts.truncate(width, ellipsis=True)
        return Content("\n").join([heading, facts])
