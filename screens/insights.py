"""Figures across incidents, plotted: incidents per week by severity, response times week by
week, time at each severity, open action items by owner and late post-mortems. The figures
are `storage.insights`' (as `warroom insights` prints them), read off the UI thread."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from storage.db import Store
from storage.errors import WarroomError
from storage.insights import Insights, insights
from storage.metrics import METRIC_LABELS, METRIC_SPANS
from storage.render import format_duration
from widgets.footer import KeysFooter
from widgets.plots import LabelBars, Lines, Series, StackedBars
from widgets.text import literal

SEVERITY_COLOURS = {1: "error", 2: "warning", 3: "primary", 4: "success", 5: "secondary"}
"""The theme variable that colours each severity level in the plots."""

SINCE_CHOICES: tuple[tuple[str, int | None], ...] = (
    ("all time", None), ("the last 365 days", 365), ("the last 90 days", 90),
)
"""What `s` steps through: a description and how many days back (None: every incident)."""

METRICS = tuple(METRIC_SPANS)
OWNER_WIDTH = 26
"""Cells of an owner's name shown: a longer one is cut (…) so Open and Overdue stay in sight."""
READING = "Reading…"
NO_INCIDENTS = "No incidents yet. Figures show here once incidents are declared."


def weeks_between(first: date, last: date) -> list[date]:
    """The Mondays from `first`'s week to `last`'s, every one (weeks with no incident too)."""
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


class InsightsScreen(Screen[None]):
    """The figures of every incident (or of the recent ones: `s`); keys 1-4 choose the
    response time plotted week by week."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="insights.close", tooltip="Close the insights"),
        Binding("1", "metric(0)", "Detect", id="insights.detect", tooltip="Plot the time to detect"),
        Binding("2", "metric(1)", "Ack", id="insights.acknowledge", tooltip="Plot the time to acknowledge"),
        Binding("3", "metric(2)", "Mitigate", id="insights.mitigate", tooltip="Plot the time to mitigate"),
        Binding("4", "metric(3)", "Resolve", id="insights.resolve", tooltip="Plot the time to resolve"),
        Binding("s", "since", "Since", id="insights.since", tooltip="All incidents, the last 365 days, the last 90"),
        Binding("r", "reload", "Refresh", id="insights.refresh", tooltip="Read the figures again"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 - Textual's own annotation

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.found: Insights | None = None
        """The figures shown (None while they are read)."""
        self.metric = 0
        """Which of `METRICS` the response plot shows."""
        self.since_choice = 0
        """Which of `SINCE_CHOICES` is shown."""
        self.weeks: list[date] = []
        """The weeks plotted (their Mondays)."""
        self.labels: list[str] = []
        """Their labels on the plots' x axes."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(READING, id="insights-status")
        with VerticalScroll(id="insights-body"):
            with Horizontal(classes="insights-row"):
                yield StackedBars("No incidents in these weeks.", id="insights-per-week")
                yield Lines("No incident has reached both milestones yet.", id="insights-response")
            with Horizontal(classes="insights-row"):
                yield LabelBars("No time spent at any severity yet.", id="insights-severity")
                yield DataTable(id="insights-owners", cursor_type="none", zebra_stripes=True)
                with Vertical(id="insights-late-box"):
                    yield Static(id="insights-late")
        yield KeysFooter(spare_first=("reload", "since"))

    def on_mount(self) -> None:
        self.sub_title = "Insights"
        self.query_one("#insights-per-week").border_title = "Incidents per week, by worst severity"
        self.query_one("#insights-severity").border_title = "Time at each severity"
        self.query_one("#insights-owners").border_title = "Open action items by owner"
        self.query_one("#insights-late-box").border_title = "Post-mortems late"
        self.query_one("#insights-owners", DataTable).add_columns("Owner", "Open", "Overdue")
        self.query_one("#insights-owners", DataTable).can_focus = False
        body = self.query_one("#insights-body")
        body.display = False
        body.focus()  # arrows and page keys scroll it (below 100 columns the plots stand one under another)
        self.action_reload()

    def since(self) -> datetime | None:
        """The start of the first day shown (policy time zone), or None for every incident."""
        days = SINCE_CHOICES[self.since_choice][1]
        if days is None:
            return None
        tz = self.store.policy.tz
        return datetime.combine(self.store.now().astimezone(tz).date() - timedelta(days=days), time(), tz)

    def action_reload(self) -> None:
        self.query_one("#insights-status", Static).update(READING)
        self.run_worker(self._read(self.since()), exclusive=True, group="insights", name="insights")

    async def _read(self, since: datetime | None) -> None:
        try:
            found = await asyncio.to_thread(insights, self.store, since=since)
        except WarroomError as exc:
            self.query_one("#insights-status", Static).update(literal(f"The figures could not be read: {exc}"))
            return
        self.show(found)

    def action_since(self) -> None:
        self.since_choice = (self.since_choice + 1) % len(SINCE_CHOICES)
        self.action_reload()

    def action_metric(self, index: int) -> None:
        self.metric = index
        if self.found is not None:
            self._show_response(self.found)

    def action_close(self) -> None:
        self.dismiss(None)

    # --- showing ---------------------------------------------------------------------

    def show(self, found: Insights) -> None:
        """Show `found` in every plot and list."""
        self.found = found
        status = self.query_one("#insights-status", Static)
        body = self.query_one("#insights-body")
        described = SINCE_CHOICES[self.since_choice][0]
        if not found.incidents:
            status.update(NO_INCIDENTS if found.since is None else f"No incidents declared in {described}.")
            body.display = False
            return
        plural = "" if found.incidents == 1 else "s"
        status.update(Text(f"{found.incidents:,} incident{plural}, {described} · 1-4: response time · s: period"))
        body.display = True
        self.weeks = self._weeks(found)
        self.labels = [f"{week:%b %d}" for week in self.weeks]
        levels = sorted({level for counts in found.per_week.values() for level in counts})
        self.query_one(StackedBars).show(self.labels, [
            Series(f"SEV{level}", [found.per_week.get(week, {}).get(level, 0) for week in self.weeks],
                   SEVERITY_COLOURS.get(level, "foreground"))
            for level in levels
        ])
        self._show_response(found)
        self.query_one(LabelBars).show([
            (f"SEV{level}", seconds, SEVERITY_COLOURS.get(level, "foreground"))
            for level, seconds in found.severity_seconds.items()
        ])
        self._show_owners(found)
        late = self.query_one("#insights-late", Static)
        late.update(Text("\n").join(literal(ref) for ref in found.postmortems_late) or Text("None late."))

    def _weeks(self, found: Insights) -> list[date]:
        """Every week from the first shown (or the period's start) to this one."""
        tz = self.store.policy.tz
        today = self.store.now().astimezone(tz).date()
        first = found.since.astimezone(tz).date() if found.since is not None else min(found.per_week, default=today)
        return weeks_between(first, max(today, max(found.per_week, default=today)))

    def _show_response(self, found: Insights) -> None:
        name = METRICS[self.metric]
        plot = self.query_one(Lines)
        overall = found.response.get(name)
        title = f"{METRIC_LABELS[name]} per week"
        if overall is not None:
            title += (f" · median {format_duration(int(overall.median))}, p90 {format_duration(int(overall.p90))}"
                      f" ({overall.count})")
        plot.border_title = title
        weekly = [found.response_by_week.get(week, {}).get(name) for week in self.weeks]
        plot.show(self.labels, [
            Series("median", [spread.median if spread else None for spread in weekly], "primary"),
            Series("p90", [spread.p90 if spread else None for spread in weekly], "warning"),
        ])

    def _show_owners(self, found: Insights) -> None:
        table = self.query_one("#insights-owners", DataTable)
        table.clear()
        rows = sorted(found.actions_by_owner.items(), key=lambda row: (-row[1][1], -row[1][0], row[0]))
        for owner, (open_, overdue) in rows:
            name = literal(owner or "nobody", "" if owner else "italic")
            name.truncate(OWNER_WIDTH, overflow="ellipsis")
            table.add_row(
                name,
                literal(str(open_)),
                literal(str(overdue), "bold" if overdue else ""),
                key=owner,
            )
        if not rows:
            table.add_row(literal("none open"), literal("0"), literal("0"))
