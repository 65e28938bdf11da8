"""Adversarial pass over today's changes: each test is a defect found, or a path that held."""

from __future__ import annotations

import random
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

from screens.command import CommandScreen
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.identity import AS_OPTION, Identity
from storage.policy import Policy
from tests.conftest import NOW
from tests.test_lite import WARROOM, make_record
from tests.test_lite_view import DANA
from tests.test_timeline_indexed import TwoViews, same, spread
from tests.waiting import until
from tui.app import WarroomApp
from tui.cli.launch import first_look
from widgets.incident_header import IncidentHeader
from widgets.timeline import TimelineEntry, TimelineView
from widgets.timeline_entry import sort_key

SIZE = (200, 20)


async def test_two_events_moved_across_midnight_in_one_poll_land_as_with_every_entry() -> None:
    """Another terminal edits two events' times (each across a Berlin midnight) between two
    polls: the watcher brings both in one upsert, and the record already holds both new
    times when the first is placed. The indexed view must place them as the whole one does."""
    entries = spread(2000)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        record = app.record
        moved = record.write(
            entries[10]._replace(at=entries[10].at + timedelta(days=1, minutes=3)),
            entries[1500]._replace(at=entries[1500].at - timedelta(days=2, minutes=11)),
        )
        await same(app, pilot, lambda v: v.upsert(moved), TimelineView.action_first)
        whole, indexed = app.views
        assert [e.id for e in indexed.entries] == [e.id for e in whole.entries]


async def test_two_off_screen_events_moved_in_one_poll_land_as_with_every_entry() -> None:
    """The bisection that places the first moved event probes the old place of the second,
    and reads (through the loader) the second's new time, far earlier: it goes right of
    where the first belongs. The whole view places both correctly."""
    entries = sorted(spread(2000), key=sort_key)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        moved = app.record.write(
            entries[1500]._replace(at=entries[600].at + timedelta(seconds=1)),  # into the middle
            entries[999]._replace(at=entries[0].at - timedelta(minutes=1)),  # on the first probe: to the start
        )
        await same(app, pilot, lambda v: v.upsert(moved))
        whole, indexed = app.views
        assert [e.id for e in indexed.entries] == [e.id for e in whole.entries]
        assert indexed._day_lines.starts == whole._day_lines.starts


async def test_many_events_moved_in_one_poll_land_as_with_every_entry_and_the_cursor_goes_with_its_own() -> None:
    entries = sorted(spread(2000), key=sort_key)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        await same(app, pilot, lambda v: v.move_cursor(entries[999].id))
        rng = random.Random(7)
        picks = [999, *rng.sample(range(2000), 300)]
        moved = app.record.write(*{
            entries[i].id: entries[i]._replace(at=entries[i].at + timedelta(minutes=rng.randrange(-3000, 3000)))
            for i in picks
        }.values())
        await same(app, pilot, lambda v: v.upsert(moved))
        whole, indexed = app.views
        assert indexed.cursor_entry is not None and indexed.cursor_entry.id == entries[999].id
        assert [e.id for e in indexed.entries] == [e.id for e in whole.entries]
        assert indexed._day_lines.starts == whole._day_lines.starts


async def test_changes_made_between_the_first_look_and_the_record_opening_all_show(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    """Another terminal raises the severity and moves an old event across Berlin midnight
    after the first look was read and before the record opens: once open, the header and
    the whole timeline are as the record has them."""
    path = tmp_path / "w.db"
    start = NOW - timedelta(days=1)  # 15:40 Berlin, the day before
    with Store(path, policy=policy, clock=clock, identity=DANA) as seed:
        ref = ops.declare(seed, severity=2, functionality="login", state="failing", audience="EU", at=start).ref
        ops.log_many(seed, ref, [(f"line {n}", start + timedelta(minutes=2 * n)) for n in range(450)], author="Lee")
    look = first_look(str(path), ref, policy=policy, clock=clock, identity=DANA, notices=[])
    assert look is not None
    with Store(path, policy=policy, clock=clock, identity=Identity("Other", AS_OPTION)) as other:
        ops.change_severity(other, ref, 1)
        ops.edit_event(other, ref, 3, "@14:00 moved to today")  # #3 was yesterday 15:42 in Berlin
        release = threading.Event()

        def opener() -> Store:
            assert release.wait(30)
            return Store(path, policy=policy, clock=clock, identity=DANA)

        app = WarroomApp(opener=opener, first_look=look, ref=ref)
        async with app.run_test(size=(140, 42)) as pilot:
            screen = app.screen
            assert isinstance(screen, CommandScreen)
            timeline = screen.query_one(TimelineView)
            await until(pilot, lambda: timeline.entry_count > 450, what="the whole timeline, before the record opens")
            release.set()
            await until(pilot, lambda: screen.store is not None, what="the record open")
            await until(pilot, lambda: "SEV1" in screen.query_one(IncidentHeader).render().plain, what="SEV1 shown")
            expected = [(e.seq, e.text) for e in sorted(ops.timeline(other, ref), key=lambda e: (e.occurred_at, e.seq))]
            await until(pilot, lambda: [(e.seq, e.text) for e in timeline.entries] == expected,
                        what="the timeline as the record has it")
            days = {e.occurred_at.astimezone(policy.tz).date() for e in ops.timeline(other, ref)}
            assert timeline.day_count == len(days)
        assert screen.store is not None
        screen.store.close()


def test_log_from_standard_input_to_an_unknown_incident_says_so_before_any_line(
    tmp_path: Path, policy: Policy
) -> None:
    """A mistyped reference with a binary file piped in (no line of it UTF-8 text): one line
    naming the unknown incident, not a refusal per line of the whole input, read to its end."""
    path = tmp_path / "unknown.db"
    make_record(path, policy)
    done = subprocess.run(
        [WARROOM, "log", "--db", str(path), "inc-nope", "-"],
        input=b"\xff\xfe\n" * 50 + b"\n" * 50, capture_output=True, check=False, timeout=60,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert len(stderr.splitlines()) == 1 and "inc-nope" in stderr, stderr


async def test_keys_read_in_one_burst_edit_the_scribe_line_in_their_order() -> None:
    """End then characters, read together (type-ahead while the app is busy, a fast
    typist): the characters go at the end, not where the cursor was before End. Stock
    Textual runs End's binding after the characters queued behind it."""
    from textual import events
    from textual.app import App, ComposeResult

    from widgets.scribe_input import ScribeInput

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield ScribeInput()

    app = One()
    async with app.run_test() as pilot:
        scribe = app.query_one(ScribeInput)
        scribe.focus()
        scribe.value = "db failover done"
        scribe.cursor_position = 0
        await pilot.pause()
        for key, character in (("end", None), ("backspace", None), ("E", "E"), ("!", "!"), ("home", None),
                               ("x", "x"), ("right", None), ("delete", None)):
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        assert scribe.value == "xd failover donE!"


async def test_a_line_placed_while_a_move_is_not_yet_polled_lands_as_with_every_entry() -> None:
    """Another terminal moves an off-screen event; before the watcher reads that change, a
    backdated line is placed (the scribe's own, shown at once). Once the move is read too,
    the indexed view must show what the whole one shows."""
    entries = sorted(spread(2000), key=sort_key)
    app = TwoViews(entries)
    async with app.run_test(size=SIZE) as pilot:
        moved = app.record.write(entries[999]._replace(at=entries[0].at - timedelta(minutes=1)))  # not polled yet
        backdated = app.record.write(TimelineEntry(9999, 9999, entries[600].at + timedelta(seconds=1), "note",
                                                   "alice", "backdated line"))
        await same(app, pilot, lambda v: v.upsert(backdated), lambda v: v.upsert(moved))
        whole, indexed = app.views
        assert [e.id for e in indexed.entries] == [e.id for e in whole.entries]
