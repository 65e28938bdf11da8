"""A long timeline on the command screen, on SQLite and PostgreSQL: the index is read after the
first frame, Home shows the oldest event under its day, and lines from here and from another
writer, backdated or moved by an edit, each show once in their place."""

from __future__ import annotations

from datetime import timedelta

from storage import live, ops
from storage.db import Store
from storage.rows import Watermark
from tests.conftest import NOW
from tests.test_command_screen import command, type_line
from tests.waiting import until
from tui.app import WarroomApp
from widgets.timeline import TimelineView

COUNT = 600
"""Lines logged: more than the screen reads before its first frame (400)."""


def texts(timeline: TimelineView) -> list[str]:
    return [entry.text or "" for entry in timeline.entries]


async def test_a_long_timeline_is_indexed_and_takes_new_backdated_and_moved_lines(store: Store) -> None:
    start = NOW - timedelta(hours=30)  # Sunday 09:40 in Berlin
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", at=start).ref
    ops.log_many(store, ref, [(f"step {n}", start + timedelta(minutes=2 * n + 1)) for n in range(COUNT)], author="Lee")
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = command(app).query_one(TimelineView)
        await until(pilot, lambda: timeline.entry_count == COUNT + 1 and timeline.day_count == 2, what="the index")
        assert timeline.whole_count < COUNT  # the order only; entries read as shown
        timeline.focus()
        await pilot.press("home")
        await pilot.pause()
        shown = [timeline.render_line(y).text for y in range(3)]
        assert "Sun 22 Nov 2026" in shown[0] and "Declared SEV2" in shown[1] and "step 0" in shown[2]

        await type_line(pilot, "typed on this screen")
        ops.log(store, ref, "from another writer")
        ops.log(store, ref, "backdated line", at=start + timedelta(minutes=4), confirmed=True)  # after step 1
        command(app).poll_now()
        await until(pilot, lambda: timeline.entry_count == COUNT + 4, what="the three lines")
        await pilot.pause(0.6)  # a poll more: nothing is shown twice
        all_texts = texts(timeline)
        assert all_texts.count("typed on this screen") == all_texts.count("from another writer") == 1
        assert all_texts[1:4] == ["step 0", "step 1", "backdated line"]

        moved = ops.log(store, ref, "moves later").seq
        ops.edit_event(store, ref, moved, "@-1h moved an hour back")
        command(app).poll_now()
        await until(pilot, lambda: "moved an hour back" in texts(timeline)[-40:], what="the edit")
        assert timeline.entry_count == COUNT + 5 and texts(timeline).count("moved an hour back") == 1
        entries = list(timeline.entries)
        assert entries == sorted(entries, key=lambda e: (e.at, e.seq))
        assert "moves later" not in texts(timeline)


async def test_a_line_written_after_the_index_was_read_stays_in_view(store: Store) -> None:
    start = NOW - timedelta(hours=3)
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="all", at=start).ref
    ops.log_many(store, ref, [(f"step {n}", start + timedelta(seconds=10 * n + 1)) for n in range(COUNT)], author="Lee")
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = command(app)
        timeline = screen.query_one(TimelineView)
        await until(pilot, lambda: timeline.whole_count < timeline.entry_count == COUNT + 1, what="the index")
        earlier = live.timeline_index(store, ref, store.policy.tz)
        await type_line(pilot, "typed while the index was read")
        screen._show_full_timeline(earlier, Watermark(earlier.change_count))  # the index arrives late
        assert texts(timeline)[-1] == "typed while the index was read"  # not gone until the next poll
        screen.poll_now()
        await pilot.pause(0.6)
        assert texts(timeline).count("typed while the index was read") == 1
        assert timeline.entry_count == COUNT + 2 and timeline.is_vertical_scroll_end
