"""The insights screen: opened by F10 on an incident, `i` on the incident list and "Insights"
in the palette, closed by Escape; "No incidents yet" on an empty record; the figures it plots
are `storage.insights`' own; snapshots at 80x24 and 120x40 on several weeks of incidents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from bench.fixtures import incident_history
from screens.command import CommandScreen
from screens.incident_list import IncidentListScreen
from screens.insights import NO_INCIDENTS, InsightsScreen
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.insights import insights
from storage.policy import Policy
from tests.test_keys_and_palette import run_from_palette
from tests.test_snapshots import keys, steady
from tests.waiting import until
from tui.app import WarroomApp
from widgets.plots import LabelBars, Lines, StackedBars


@pytest.fixture
def history(tmp_path: Path, policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    """Twelve incidents over the eight weeks before the frozen clock, in a SQLite file."""
    with Store(tmp_path / "history.db", policy=policy, clock=clock) as store:
        incident_history(store, 12, days=56)
        yield store


async def shown(pilot: Pilot[Any]) -> InsightsScreen:
    """The insights screen on top, its figures read."""
    screen = await until(pilot, lambda: isinstance(pilot.app.screen, InsightsScreen) and pilot.app.screen,
                         what="the insights screen")
    assert isinstance(screen, InsightsScreen)
    await until(pilot, lambda: screen.found is not None, what="the figures read")
    await steady(pilot)
    return screen


async def test_f10_on_an_incident_opens_it_and_escape_closes_it(history: Store) -> None:
    app = WarroomApp(history)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        await pilot.press("f10")
        await shown(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="back on the incident")


async def test_i_on_the_incident_list_opens_it(history: Store) -> None:
    app = WarroomApp(history)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, IncidentListScreen), what="the incident list")
        await pilot.press("i")
        await shown(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, IncidentListScreen), what="back on the list")


async def test_the_palette_opens_it(history: Store) -> None:
    app = WarroomApp(history)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        await run_from_palette(pilot, app, "insights", "Insights")
        await shown(pilot)


async def test_an_empty_record_says_so(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "empty.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, IncidentListScreen), what="the incident list")
            await pilot.press("i")
            screen = await shown(pilot)
            assert str(screen.query_one("#insights-status", Static).content) == NO_INCIDENTS
            assert not screen.query_one("#insights-body").display


async def test_the_figures_shown_are_those_of_insights(history: Store) -> None:
    found = insights(history)
    app = WarroomApp(history)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        screen = await shown(pilot)
        per_week = screen.query_one(StackedBars)
        for series in per_week.series:
            level = int(series.name.removeprefix("SEV"))
            counts = {week: n for week, n in zip(screen.weeks, series.values, strict=True) if n}
            assert counts == {week: by[level] for week, by in found.per_week.items() if level in by}
        lines = screen.query_one(Lines)
        median = dict(zip(screen.weeks, lines.series[0].values, strict=True))
        assert {week: value for week, value in median.items() if value is not None} == {
            week: by["time_to_detect_s"].median for week, by in found.response_by_week.items()
            if "time_to_detect_s" in by
        }
        await pilot.press("4")
        p90 = dict(zip(screen.weeks, lines.series[1].values, strict=True))
        assert {week: value for week, value in p90.items() if value is not None} == {
            week: by["time_to_resolve_s"].p90 for week, by in found.response_by_week.items()
            if "time_to_resolve_s" in by
        }
        assert "Time to resolve" in str(lines.border_title)
        bars = screen.query_one(LabelBars).bars
        assert {int(label.removeprefix("SEV")): seconds for label, seconds, _ in bars} == found.severity_seconds
        table = screen.query_one("#insights-owners", DataTable)
        rows = {str(table.get_row_at(n)[0]): (int(str(table.get_row_at(n)[1])), int(str(table.get_row_at(n)[2])))
                for n in range(table.row_count)}
        assert rows == {owner or "nobody": counts for owner, counts in found.actions_by_owner.items()}
        assert found.postmortems_late
        late = str(screen.query_one("#insights-late", Static).content)
        assert late.splitlines() == found.postmortems_late


async def test_a_very_long_owner_name_leaves_the_counts_in_sight(history: Store) -> None:
    """An owner's name may be 200 characters: it is cut (with …) so Open and Overdue show."""
    ref = ops.list_incidents(history)[0].ref
    long_owner = "[bold]Mallory \x1b[2J" + "x" * 180
    ops.add_action_item(history, ref, "rotate the keys", owner=long_owner)
    app = WarroomApp(history)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        screen = await shown(pilot)
        table = screen.query_one("#insights-owners", DataTable)
        assert table.max_scroll_x == 0
        row = next(table.get_row_at(n) for n in range(table.row_count)
                   if table.get_row_at(n)[0].plain.startswith("[bold]Mallory ␛[2J"))
        assert row[0].plain.endswith("…") and str(row[1]) == "1"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare: Callable[..., bool], history: Store, size: tuple[int, int]) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        await keys("f10")(pilot)
        await shown(pilot)

    assert snap_compare(WarroomApp(history), run_before=opened, terminal_size=size)
