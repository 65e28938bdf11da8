"""The read-only view (`warroom view`, what `warroom serve` shows each browser): the incident
as the command screen shows it, kept current, with no way to change it: no scribe line, no
palette, every action outside the view's own refused with a message, the store read-only."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.actions import parse
from textual.pilot import Pilot
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from storage import live, ops
from storage.db import Store
from storage.errors import ReadOnly
from storage.identity import Identity
from tests.forked import open_database_files
from tests.test_snapshots import steady
from tests.waiting import until, until_sync
from tui.cli import main
from tui.viewer import REFUSED, VIEW_ACTIONS, ViewerApp
from widgets.incident_header import IncidentHeader
from widgets.reminders import ReminderPanel
from widgets.roster import RoleRoster
from widgets.timeline import TimelineView

OPENED: list[ViewerApp] = []


def viewer_of(store: Store, ref: str | None) -> ViewerApp:
    """The view of `store`'s file, opened read-only as `warroom view` opens it (its store is
    closed after the test, as the command closes it: see `close_views`)."""
    app = ViewerApp(lambda: Store(store.url, policy=store.policy, clock=store.clock,
                                  identity=Identity("", "viewer"), read_only=True), ref)
    OPENED.append(app)
    return app


@pytest.fixture(autouse=True)
def close_views(tmp_path: Path) -> Iterator[None]:
    """No database file stays open in the worker after a test (a later test forks): each
    view's store is closed, and the threads that read the file directly (the watcher, a
    filter's read) have ended."""
    yield
    while OPENED:
        app = OPENED.pop()
        if app.store is not None:
            app.store.close()
    gc.collect()  # (the app's cycles keep a timeline reader's own connection to the file)
    folder = str(tmp_path)
    until_sync(lambda: not [held for held in open_database_files() if held.startswith(folder)],
               what="the view's threads to let go of the database file")


def shown_texts(app: ViewerApp) -> list[str]:
    return [entry.text or "" for entry in app.screen.query_one(TimelineView).entries]


async def opened(pilot: Pilot[Any], ref: str) -> None:
    await until(pilot, lambda: pilot.app.screen.query_one(IncidentHeader).ref == ref, what="the incident shown")
    await steady(pilot)


async def test_the_view_shows_the_incident_and_follows_lines_written_elsewhere(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = viewer_of(store, None)  # the most recently active open incident
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, ref)
        assert app.store is not None and app.store.read_only
        header = app.screen.query_one(IncidentHeader)
        assert header.title == live.incident_view(store, ref).title and header.you == ""
        assert isinstance(app.focused, TimelineView)
        assert [node.id for node in app.screen.query(Input)] == ["timeline-search"]  # no scribe line
        ops.log(store, ref, "rolled the pinned certificate to every node")
        await until(pilot, lambda: "rolled the pinned certificate to every node" in shown_texts(app),
                    what="the line written by another process")


@pytest.mark.parametrize("action", ["severity", "milestone", "status", "compose", "remind", "app.declare", "select"])
async def test_actions_that_would_change_the_record_are_refused_with_a_message(
    demo: tuple[Store, str], action: str
) -> None:
    store, ref = demo
    before = live.incident_view(store, ref).change_count
    app = viewer_of(store, ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, ref)
        assert await app.run_action(action, app.screen) is False
        await pilot.pause()
        assert app.refusals == 1
        assert [note.message for note in app._notifications] == [REFUSED]
        await pilot.press("ctrl+p", "f2", "f3", "f5", "ctrl+b", "x", "enter")
        await steady(pilot)
        assert len(app.screen_stack) == 2  # (the default screen, the view): no dialog, no palette
    assert live.incident_view(store, ref).change_count == before


async def test_a_focused_panel_does_not_offer_its_own_keys_in_the_footer(demo: tuple[Store, str]) -> None:
    """Clicking the roster or the reminders focuses them; their Hand over, Release, Done and
    Snooze would be refused, so the footer does not show them."""
    store, ref = demo
    app = viewer_of(store, ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, ref)
        for panel in (RoleRoster, ReminderPanel):
            app.screen.query_one(panel).focus()
            await steady(pilot)
            shown = {key.description: key.action for key in app.screen.query(FooterKey)}
            assert {"Search", "Filter", "UTC", "Quit"} <= set(shown)
            assert all(parse(action)[1] in VIEW_ACTIONS for action in shown.values()), shown


async def test_search_filter_and_utc_work_in_the_view(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = viewer_of(store, ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, ref)
        timeline = app.screen.query_one(TimelineView)
        await pilot.press("f7")
        assert timeline.show_utc
        await pilot.press("ctrl+f", *"handshake", "enter")
        await until(pilot, lambda: len(shown_texts(app)) == 3, what="only the matching events")
        assert all("handshake" in text.lower() for text in shown_texts(app))
        assert timeline.has_focus
        await pilot.press("n", "ctrl+g")
        await until(pilot, lambda: "key events" in str(timeline.border_title), what="the key events")
        assert app.refusals == 0


async def test_the_store_behind_the_view_refuses_a_write(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = viewer_of(store, ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, ref)
        assert app.store is not None
        with pytest.raises(ReadOnly):
            ops.log(app.store, ref, "through the view's own store")


def test_view_fails_cleanly_on_an_unknown_incident_or_a_missing_file(demo: tuple[Store, str], tmp_path: Path) -> None:
    store, _ref = demo
    runner = CliRunner()
    unknown = runner.invoke(main, ["--db", store.where, "view", "inc-nope"])
    assert unknown.exit_code == 1 and "inc-nope" in unknown.output
    missing = runner.invoke(main, ["--db", str(tmp_path / "none.db"), "view"])
    assert missing.exit_code == 1 and "no incident record at" in missing.output
    assert not (tmp_path / "none.db").exists()


SIZES: dict[str, tuple[int, int]] = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.mark.parametrize("size", list(SIZES))
def test_snapshot_of_the_read_only_view(snap_compare: Callable[..., bool], demo: tuple[Store, str], size: str) -> None:
    store, ref = demo

    async def shown(pilot: Pilot[Any]) -> None:
        await opened(pilot, ref)

    assert snap_compare(viewer_of(store, ref), terminal_size=SIZES[size], run_before=shown)
