"""TimelineView: the Line API incident timeline, and the `printable` sanitiser it relies on."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.message import Message

from widgets.text import printable
from widgets.timeline import TimelineEntry, TimelineView

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
"""15:00 in Berlin."""
SIZE = (100, 20)


def entry(n: int, *, minutes: float | None = None, **fields: object) -> TimelineEntry:
    """Entry number n (id == seq == n), n minutes after T0 unless told otherwise."""
    values: dict[str, object] = {
        "id": n,
        "seq": n,
        "at": T0 + timedelta(minutes=n if minutes is None else minutes),
        "kind": "note",
        "author": "alice",
        "text": f"event {n}",
    }
    values.update(fields)
    return TimelineEntry(**values)  # type: ignore[arg-type]


def many(count: int, start: int = 1) -> list[TimelineEntry]:
    return [entry(n) for n in range(start, start + count)]


class TimelineApp(App[None]):
    """Nothing but the widget."""

    def __init__(self, entries: Iterable[TimelineEntry] = (), *, show_utc: bool = False) -> None:
        super().__init__()
        self.initial = list(entries)
        self.show_utc = show_utc

    def compose(self) -> ComposeResult:
        yield TimelineView(tz=BERLIN, show_utc=self.show_utc, id="timeline")

    def on_mount(self) -> None:
        if self.initial:
            self.query_one(TimelineView).set_entries(self.initial)


def lines(view: TimelineView) -> list[str]:
    """The text of every line on screen, trailing padding removed."""
    return [view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height)]


def seen_of(messages: list[Message], kind: type[Message]) -> list[Message]:
    """Messages of one kind, each once (the hook sees a message again at every bubbling step)."""
    unique = {id(message): message for message in messages if isinstance(message, kind)}
    return list(unique.values())


# -- printable ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("[bold]x[/bold] [@click=app.quit]q[/]", "[bold]x[/bold] [@click=app.quit]q[/]"),
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("\x1b]8;;http://evil\x07link", "␛]8;;http://evil␇link"),
        ("one\ntwo", "one⏎ two"),
        ("one\r\ntwo\rthree", "one⏎ two⏎ three"),
        ("a\tb", "a b"),
        ("nul\x00del\x7f", "nul␀del␡"),
        ("csi\x9b31m osc\x9d", "csi\ufffd31m osc\ufffd"),
        ("bidi\u202eevil\u2066", "bidi\ufffdevil\ufffd"),
        ("sep\u2028para\u2029", "sep⏎ para⏎ "),
        ("bad\udcffbyte", "bad\ufffdbyte"),
        ("宽字符 emoji 🔥 café", "宽字符 emoji 🔥 café"),
        ("nbsp\u00a0zwj👩\u200d💻", "nbsp\u00a0zwj👩\u200d💻"),
        ("", ""),
    ],
)
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_leaves_nothing_a_terminal_would_interpret() -> None:
    every = "".join(chr(code) for code in range(0x100))
    shown = printable(every)
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in shown)
    assert printable(shown) == shown


# -- rendering --------------------------------------------------------------------------------


async def test_renders_entries_in_order_with_local_time_then_utc() -> None:
    shuffled = [entry(3, text="third"), entry(1, text="first"), entry(2, text="second")]
    app = TimelineApp(shuffled)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        assert [item.seq for item in view.entries] == [1, 2, 3]
        shown = lines(view)
        assert shown[0].startswith("#1 15:01:00")
        assert "alice: first" in shown[0]
        assert shown[1].startswith("#2 15:02:00") and shown[1].endswith("second")
        assert shown[2].startswith("#3 15:03:00") and shown[2].endswith("third")
        assert shown[3] == ""
        assert " note " in shown[0]

        view.show_utc = True
        await pilot.pause()
        shown = lines(view)
        assert shown[0].startswith("#1 14:01:00Z")
        assert shown[2].startswith("#3 14:03:00Z")

        view.show_utc = False
        await pilot.pause()
        assert lines(view)[0].startswith("#1 15:01:00")


async def test_summer_time_follows_the_zone() -> None:
    july = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    app = TimelineApp([entry(1, at=july)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert lines(app.query_one(TimelineView))[0].startswith("#1 14:00:00")


async def test_empty_timeline_shows_a_hint() -> None:
    app = TimelineApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        assert lines(view)[0] == "No events yet"
        assert all(segment.style and segment.style.italic for segment in view.render_line(0) if segment.text.strip())
        assert view.entry_count == 0
        assert view.cursor_entry is None
        await pilot.press("down", "end", "enter")  # nothing to move to, nothing breaks


async def test_markup_and_escape_sequences_are_shown_literally() -> None:
    hostile = "[bold]x[/bold] [@click=app.quit]q[/] \x1b[2J\x1b]0;owned\x07 two\nlines"
    app = TimelineApp([entry(1, text=hostile, author="[red]m[/]")])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        line = view.render_line(0)
        assert "[red]m[/]: [bold]x[/bold] [@click=app.quit]q[/] ␛[2J␛]0;owned␇ two⏎ lines" in line.text
        assert not any(ord(char) < 0x20 for char in line.text)
        assert not any(segment.style and segment.style.link for segment in line)
        assert app.is_running  # the click action was not wired up


async def test_long_and_wide_text_is_cut_to_the_width() -> None:
    entries = [
        entry(1, text="x" * 500),
        entry(2, text="宽字符" * 100),
        entry(3, text="🔥 fire " * 50, kind="a-very-long-kind", author="someone-with-a-very-long-name"),
    ]
    app = TimelineApp(entries)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        width = view.scrollable_content_region.width
        for y in range(3):
            strip = view.render_line(y)
            assert strip.cell_length == width
            assert strip.text.rstrip().endswith("…")
        assert " a-very-l… " in view.render_line(2).text
        assert "someone-with-a-…:" in view.render_line(2).text


# -- days ------------------------------------------------------------------------------------

MIDNIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
"""Midnight in Berlin, Monday to Tuesday."""


def across_midnight() -> list[TimelineEntry]:
    """Six events over three days in Berlin (two days in UTC: the first two are on Monday)."""
    return [
        entry(1, at=MIDNIGHT - timedelta(minutes=20), text="paged"),  # Mon 23:40 in Berlin, 22:40Z
        entry(2, at=MIDNIGHT - timedelta(minutes=5), text="rolled back"),  # Mon 23:55
        entry(3, at=MIDNIGHT + timedelta(minutes=5), text="still failing"),  # Tue 00:05, 23:05Z Mon
        entry(4, at=MIDNIGHT + timedelta(hours=2), text="fixed"),  # Tue 02:00, 01:00Z Tue
        entry(5, at=MIDNIGHT + timedelta(hours=12), text="watching"),  # Tue 12:00
        entry(6, at=MIDNIGHT + timedelta(days=1, minutes=1), text="resolved"),  # Wed 00:01
    ]


async def test_a_timeline_across_midnight_has_a_separator_per_day_in_order() -> None:
    app = TimelineApp(across_midnight())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        shown = lines(view)
        assert shown[:10] == [
            "── Mon 23 Nov 2026 " + "─" * (len(shown[0]) - 19),
            *shown[1:3],
            "── Tue 24 Nov 2026 " + "─" * (len(shown[0]) - 19),
            *shown[4:7],
            "── Wed 25 Nov 2026 " + "─" * (len(shown[0]) - 19),
            shown[8],
            "",
        ]
        assert [line[:12] for line in shown[1:9] if line.startswith("#")] == [
            "#1 23:40:00 ", "#2 23:55:00 ", "#3 00:05:00 ", "#4 02:00:00 ", "#5 12:00:00 ", "#6 00:01:00 ",
        ]
        assert shown[3].startswith("── Tue") and shown[4].startswith("#3 00:05:00") and shown[7].startswith("── Wed")
        assert view.day_count == 3 and view.border_subtitle == "times in Europe/Berlin"
        separator = [segment for segment in view.render_line(0) if segment.text.strip()]
        assert separator and all(segment.style and segment.style.bold for segment in separator)

        view.show_utc = True  # the days are UTC days too
        await pilot.pause()
        shown = lines(view)
        assert [line[:12] if line.startswith("#") else line[:18] for line in shown[:9]] == [
            "── Mon 23 Nov 2026", "#1 22:40:00Z", "#2 22:55:00Z", "#3 23:05:00Z",
            "── Tue 24 Nov 2026", "#4 01:00:00Z", "#5 11:00:00Z", "#6 23:01:00Z", "",
        ]
        assert view.day_count == 2 and view.border_subtitle == "times in UTC"


async def test_one_day_has_no_separator() -> None:
    app = TimelineApp(many(3))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        assert view.day_count == 0 and lines(view)[0].startswith("#1 15:01:00")
        view.upsert([entry(4, at=MIDNIGHT + timedelta(minutes=1))])  # the first event of Tuesday
        await pilot.pause()
        shown = lines(view)
        assert shown[0].startswith("── Mon 23 Nov") and shown[4].startswith("── Tue 24 Nov")
        assert shown[5].startswith("#4 00:01:00")


async def test_the_cursor_and_clicks_skip_separators() -> None:
    seen: list[Message] = []
    app = TimelineApp(across_midnight())
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        await pilot.press("home")
        await pilot.pause()
        assert view.cursor_index == 0 and view.scroll_offset.y == 0  # the first day's date stays in view
        await pilot.press("down", "down")
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 3  # over Tuesday's separator
        await pilot.press("enter")
        await pilot.pause()
        assert [m.entry.seq for m in seen_of(seen, TimelineView.EntrySelected)] == [3]  # type: ignore[attr-defined]
        focused = view.get_component_rich_style("timeline--cursor").bgcolor
        assert view.render_line(4).text.startswith("#3 ")
        assert any(segment.style.bgcolor == focused for segment in view.render_line(4) if segment.style)
        await pilot.press("up")
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 2
        await pilot.click(TimelineView, offset=(10, 3))  # Tuesday's separator: not an event
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 2
        await pilot.click(TimelineView, offset=(10, 5))
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 4


async def test_days_stay_right_through_upserts() -> None:
    """Days found again from the change only are the days found from scratch."""
    rng = random.Random(11)
    start = MIDNIGHT - timedelta(days=3)
    entries = [entry(n, at=start + timedelta(minutes=rng.randrange(6 * 24 * 60))) for n in range(1, 200)]
    app = TimelineApp(entries)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        for n in range(200, 400):
            moved = rng.randrange(1, n)  # an existing event moved, or a new one
            number = moved if rng.random() < 0.3 else n
            view.upsert([entry(number, seq=number, at=start + timedelta(minutes=rng.randrange(7 * 24 * 60)))])
            lines = view._day_lines
            found = (list(lines.starts), list(lines.rows), list(lines.days))
            view._find_days()
            assert found == (lines.starts, lines.rows, lines.days)
        days = [e.at.astimezone(BERLIN).date() for e in view.entries]
        assert view._day_lines.days == sorted(set(days))
        assert view._day_lines.starts == [days.index(day) for day in view._day_lines.days]


async def test_upsert_when_scrolled_up_across_days_does_not_jump() -> None:
    entries = [entry(n, at=MIDNIGHT + timedelta(hours=n)) for n in range(1, 90)]  # about 4 days
    app = TimelineApp(entries)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        view.scroll_to(y=15, animate=False)
        await pilot.pause()
        before = lines(view)
        assert before[9].startswith("── Wed 25 Nov 2026")  # a separator on screen
        view.upsert([entry(90, at=MIDNIGHT + timedelta(days=6))])  # a new day below
        await pilot.pause()
        assert lines(view) == before
        view.upsert([entry(91, at=MIDNIGHT - timedelta(days=2))])  # a new day above: two lines more
        await pilot.pause()
        assert view.scroll_offset.y == 17 and lines(view) == before


# -- upsert and scrolling ----------------------------------------------------------------------


async def test_upsert_at_the_bottom_follows_new_events() -> None:
    app = TimelineApp(many(50))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        assert view.is_vertical_scroll_end
        assert view.cursor_entry is not None and view.cursor_entry.seq == 50
        view.upsert([entry(51)])
        await pilot.pause()
        assert view.is_vertical_scroll_end
        assert view.scroll_offset.y == view.max_scroll_y == 51 - view.scrollable_content_region.height
        assert lines(view)[-1].endswith("event 51")
        assert view.cursor_entry is not None and view.cursor_entry.seq == 51


async def test_upsert_when_scrolled_up_does_not_jump() -> None:
    app = TimelineApp(many(100))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        view.scroll_to(y=30, animate=False)
        await pilot.pause()
        before = lines(view)
        cursor = view.cursor_entry

        view.upsert([entry(101), entry(102)])  # appended below
        await pilot.pause()
        assert view.scroll_offset.y == 30
        assert lines(view) == before
        assert view.cursor_entry == cursor  # the cursor stays on its entry

        view.upsert([entry(103, minutes=0.5, text="backdated, above the viewport")])
        await pilot.pause()
        assert view.scroll_offset.y == 31
        assert lines(view) == before


async def test_backdated_upsert_lands_in_its_place() -> None:
    app = TimelineApp(many(5))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        late = entry(6, minutes=2.5, text="remembered late")
        view.upsert([late])
        await pilot.pause()
        assert [item.id for item in view.entries] == [1, 2, 6, 3, 4, 5]
        shown = lines(view)
        assert shown[2].startswith("#6 15:02:30") and shown[2].endswith("remembered late")
        assert view.entry_count == 6
        # Same time, lower seq: ordered by (at, seq).
        view.upsert([entry(7, seq=0, minutes=1)])
        assert [item.id for item in view.entries][:2] == [7, 1]


async def test_replacing_an_entry_by_id_rerenders_it() -> None:
    app = TimelineApp(many(5))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        styles_before = [segment.style or Style() for segment in view.render_line(2) if "event 3" in segment.text]
        assert styles_before and not styles_before[0].strike

        view.upsert([entry(3, struck=True)])
        await pilot.pause()
        assert view.entry_count == 5
        struck = [segment.style or Style() for segment in view.render_line(2) if "event 3" in segment.text]
        assert struck and struck[0].strike
        # In words too, not struck through itself: some terminals draw no strike-through.
        assert "✗ struck event 3" in lines(view)[2]
        mark = [segment.style or Style() for segment in view.render_line(2) if "✗ struck" in segment.text]
        assert mark and not mark[0].strike

        view.upsert([entry(3, text="edited text")])
        await pilot.pause()
        assert lines(view)[2].endswith("edited text")
        assert view.entry_count == 5

        # An edit that changes the time moves the entry.
        view.upsert([entry(3, minutes=10, text="moved")])
        await pilot.pause()
        assert [item.id for item in view.entries] == [1, 2, 4, 5, 3]
        assert lines(view)[4].endswith("moved")


async def test_markers_key_and_record_kinds_are_styled() -> None:
    entries = [
        entry(1, kind="declared", marker="start", text="declared"),
        entry(2, kind="decision", key=True, text="roll back"),
        entry(3, kind="severity", text="SEV2 -> SEV1"),
        entry(4, kind="status", marker="resolved", text="resolved"),
        entry(5, text="cursor here"),
    ]
    app = TimelineApp(entries)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()

        def style_of(y: int, needle: str):  # noqa: ANN202
            return next(segment.style for segment in view.render_line(y) if needle in segment.text)

        plain_bg = style_of(4, "alice").bgcolor  # the cursor row, focused
        assert style_of(0, "declared").bgcolor != style_of(1, "decision").bgcolor
        assert style_of(0, "alice").bgcolor != style_of(1, "alice").bgcolor  # the start row is tinted
        assert style_of(3, "alice").bgcolor not in (style_of(1, "alice").bgcolor, style_of(0, "alice").bgcolor)
        assert style_of(1, "roll back").bold
        assert style_of(2, "SEV2").italic and not style_of(1, "roll back").italic
        assert plain_bg != style_of(1, "alice").bgcolor
        app.set_focus(None)
        await pilot.pause()
        assert style_of(4, "alice").bgcolor not in (plain_bg, style_of(1, "alice").bgcolor)


# -- cursor and messages -----------------------------------------------------------------------


async def test_cursor_keys_move_and_post_messages() -> None:
    seen: list[Message] = []
    app = TimelineApp(many(100))
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        assert view.has_focus
        assert view.cursor_entry is not None and view.cursor_entry.seq == 100
        seen.clear()

        await pilot.press("up")
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 99
        moved = seen_of(seen, TimelineView.CursorMoved)
        assert moved and moved[-1].entry.seq == 99  # type: ignore[attr-defined]

        await pilot.press("home")
        await pilot.pause()
        assert view.cursor_index == 0 and view.scroll_offset.y == 0
        assert seen_of(seen, TimelineView.CursorMoved)[-1].entry.seq == 1  # type: ignore[attr-defined]

        await pilot.press("down", "down")
        await pilot.pause()
        assert view.cursor_index == 2

        await pilot.press("pagedown")
        await pilot.pause()
        assert view.cursor_index is not None and view.cursor_index > 2
        top, height = view.scroll_offset.y, view.scrollable_content_region.height
        assert top <= view.cursor_index < top + height

        await pilot.press("end")
        await pilot.pause()
        assert view.cursor_index == 99 and view.is_vertical_scroll_end

        await pilot.press("pageup")
        await pilot.pause()
        top = view.scroll_offset.y
        assert top <= view.cursor_index < top + height < 100

        await pilot.press("enter")
        await pilot.pause()
        selected = seen_of(seen, TimelineView.EntrySelected)
        assert [message.entry for message in selected] == [view.cursor_entry]  # type: ignore[attr-defined]

        # The cursor line is highlighted, and stays with its entry when it scrolls.
        cursor_y = view.cursor_index - view.scroll_offset.y
        assert view.render_line(cursor_y).text.startswith(f"#{view.cursor_entry.seq} ".rjust(5))


async def test_click_moves_the_cursor() -> None:
    seen: list[Message] = []
    app = TimelineApp(many(5))
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()
        await pilot.click(TimelineView, offset=(10, 1))
        await pilot.pause()
        assert view.cursor_entry is not None and view.cursor_entry.seq == 2
        assert seen_of(seen, TimelineView.CursorMoved)[-1].entry.seq == 2  # type: ignore[attr-defined]

        assert view.move_cursor(4) and view.cursor_index == 3
        assert not view.move_cursor(99) and view.cursor_index == 3


# -- scale -------------------------------------------------------------------------------------


async def test_a_hundred_thousand_entries_are_placed_navigated_and_updated() -> None:
    count = 100_000
    entries = many(count)
    random.Random(7).shuffle(entries)
    app = TimelineApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.pause()

        started = time.perf_counter()
        view.set_entries(entries)
        set_shuffled = time.perf_counter() - started
        started = time.perf_counter()
        view.set_entries(view.entries)
        set_sorted = time.perf_counter() - started
        await pilot.pause()
        assert view.entry_count == count and view.is_vertical_scroll_end

        view._cache.clear()
        started = time.perf_counter()
        screen = lines(view)
        render_screen = time.perf_counter() - started
        assert screen[-1].startswith(f"#{count} ")

        started = time.perf_counter()
        for key in ("home", "pagedown", "pagedown", "pagedown", "end", "pageup", "home"):
            await pilot.press(key)
        await pilot.pause()
        keys = time.perf_counter() - started
        assert view.cursor_index == 0 and view.scroll_offset.y == 0
        assert lines(view)[0].startswith("── Mon 23 Nov 2026 ──") and lines(view)[1].lstrip().startswith("#1 ")
        assert view.day_count == 71  # 100,000 minutes (69.4 days) from Monday 15:01 in Berlin

        started = time.perf_counter()  # the same moves without the pilot's waiting, each with a repaint
        for action in (view.action_last, view.action_page_up, view.action_page_up, view.action_first):
            action()
            view._cache.clear()
            lines(view)
        direct_moves = time.perf_counter() - started

        await pilot.press("end")
        await pilot.pause()
        started = time.perf_counter()
        for n in range(count + 1, count + 201):
            view.upsert([entry(n)])
        upserts = time.perf_counter() - started
        await pilot.pause()
        assert view.entry_count == count + 200 and view.is_vertical_scroll_end
        assert lines(view)[-1].startswith(f"#{count + 200} ")

        started = time.perf_counter()
        view.upsert([entry(10**7, minutes=30.5, text="backdated")])
        backdated = time.perf_counter() - started
        assert view.entries[30].id == 10**7

        print(
            f"\n100k timeline: set_entries shuffled {set_shuffled * 1000:.1f} ms, sorted {set_sorted * 1000:.1f} ms;"
            f" render a screen {render_screen * 1000:.1f} ms; 7 navigation keys {keys * 1000:.0f} ms"
            f" (4 direct moves + repaints {direct_moves * 1000:.1f} ms);"
            f" 200 single upserts {upserts * 1000:.1f} ms; one backdated upsert {backdated * 1000:.2f} ms"
        )
        # Timings are printed, not asserted: a loaded machine is not a slow widget (the
        # speed targets are bench/'s, measured on a pty against a baseline).


# -- snapshot ----------------------------------------------------------------------------------


def test_timeline_snapshot(snap_compare) -> None:  # noqa: ANN001
    entries = [
        entry(1, minutes=0, kind="declared", marker="start", author="pat", text="Incident declared: checkout errors"),
        entry(2, minutes=1, kind="severity", author="pat", text="SEV2 -> SEV1"),
        entry(3, minutes=2, kind="role", author="pat", text="IC: pat, comms: sam"),
        entry(4, minutes=4, author="sam", text="[bold]not bold[/bold] [@click=app.quit]not a link[/] \x1b[31m"),
        entry(5, minutes=6, kind="query", author="alice", text="is it the 14:02 deploy?", struck=True),
        entry(6, minutes=7, kind="decision", author="alice", text="Roll back deploy 4812", key=True),
        entry(7, minutes=9, kind="action", author="bob", text="rollback started\nETA 5 min"),
        entry(8, minutes=12, kind="comms", author="sam", text="Status page updated 宽字符 🔥"),
        entry(9, minutes=18, kind="milestone", author="bob", text="error rate back to baseline"),
        entry(10, minutes=25, kind="status", marker="resolved", author="pat", text="Resolved"),
        entry(11, minutes=26, kind="todo", author="pat", text="write the postmortem " + "and a long tail " * 8),
    ]
    assert snap_compare(TimelineApp(entries), terminal_size=(80, 15))


def test_timeline_across_two_days_snapshot(snap_compare) -> None:  # noqa: ANN001
    entries = [
        entry(1, at=MIDNIGHT - timedelta(minutes=50), kind="declared", marker="start", author="pat",
              text="Incident declared: nightly batch stuck"),
        entry(2, at=MIDNIGHT - timedelta(minutes=30), kind="action", author="bob", text="restarting the workers"),
        entry(3, at=MIDNIGHT - timedelta(minutes=2), kind="decision", author="pat", text="wait for the queue",
              key=True),
        entry(4, at=MIDNIGHT + timedelta(minutes=3), author="bob", text="queue draining"),
        entry(5, at=MIDNIGHT + timedelta(minutes=40), kind="status", marker="resolved", author="pat", text="Resolved"),
    ]
    assert snap_compare(TimelineApp(entries), terminal_size=(80, 10))


def test_every_component_class_has_its_palette_style() -> None:
    """The palette reads each `timeline--*` component class by its field's name."""
    from widgets.timeline_render import Palette

    named = {"timeline--" + name.replace("_", "-") for name in Palette._fields[1:]}
    assert named == TimelineView.COMPONENT_CLASSES
