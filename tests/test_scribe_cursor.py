"""The scribe line's cursor and size: the cursor holds still (solid, shown) once keys stop
for a while and blinks again at the next key; the line's text changing width lays nothing
out, and the view still follows the cursor."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input

import widgets.scribe_input
from tests.waiting import until
from widgets.scribe_input import PLACEHOLDER, ScribeInput

STILL_AFTER = 1.2
"""`STILL_AFTER_SECONDS` in these tests (10 s in the app): more than a blink (0.5 s)."""


class OneInput(App[None]):
    def compose(self) -> ComposeResult:
        yield ScribeInput()


@pytest.fixture
def still_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widgets.scribe_input, "STILL_AFTER_SECONDS", STILL_AFTER)


async def cursor_seen(pilot: Pilot[Any], scribe: ScribeInput, seconds: float) -> set[bool]:
    """Whether the cursor was drawn, at each look over `seconds` (a blink is 0.5 s)."""
    seen: set[bool] = set()
    for _ in range(int(seconds / 0.05)):
        seen.add(scribe._cursor_visible)
        await pilot.pause(0.05)
    return seen


async def test_the_cursor_holds_still_once_keys_stop_and_blinks_again_at_a_key(still_soon: None) -> None:
    app = OneInput()
    async with app.run_test(size=(80, 10)) as pilot:
        scribe = app.query_one(ScribeInput)
        scribe.focus()
        await pilot.press("a")
        assert not scribe.cursor_still
        await until(pilot, lambda: scribe.cursor_still, seconds=STILL_AFTER + 2, what="the cursor still")
        assert await cursor_seen(pilot, scribe, 1.2) == {True}  # solid and shown, across two blinks
        await pilot.press("b")
        assert not scribe.cursor_still
        assert await cursor_seen(pilot, scribe, 0.9) == {True, False}  # blinking again
        await until(pilot, lambda: scribe.cursor_still, seconds=STILL_AFTER + 2, what="still again")
        assert scribe.value == "ab"


async def test_the_first_focus_holds_the_cursor_still_until_a_key() -> None:
    app = OneInput()
    async with app.run_test(size=(80, 10)) as pilot:
        scribe = app.query_one(ScribeInput)
        scribe.focus()
        await until(pilot, lambda: scribe.cursor_still, seconds=1, what="the cursor still at once")
        assert await cursor_seen(pilot, scribe, 1.2) == {True}  # solid and shown: nobody is typing yet
        await pilot.press("a")
        assert not scribe.cursor_still
        assert await cursor_seen(pilot, scribe, 0.9) == {True, False}  # blinking with the first key


async def test_keys_keep_the_cursor_blinking_with_one_timer(still_soon: None) -> None:
    app = OneInput()
    async with app.run_test(size=(80, 10)) as pilot:
        scribe = app.query_one(ScribeInput)
        scribe.focus()
        await pilot.press("a")
        timers = [scribe._still_timer]  # kept: their ids stay theirs
        for key in "bcdefghijklmn":  # 2.6 s of keys or more, never STILL_AFTER apart
            await pilot.pause(STILL_AFTER / 6)
            await pilot.press(key)
            assert not scribe.cursor_still
            timers.append(scribe._still_timer)
        # One timer at a time, waiting out the rest when it fires: not one a key.
        assert len({id(timer) for timer in timers}) <= len(timers) / 2
        await until(pilot, lambda: scribe.cursor_still, seconds=STILL_AFTER + 2, what="the cursor still")
        await pilot.press("enter")  # Enter is a key too (nothing to hand over here: no parent)
        assert not scribe.cursor_still


async def test_a_blurred_input_does_not_hold_its_cursor_and_focus_blinks_it_again(still_soon: None) -> None:
    class TwoInputs(App[None]):
        def compose(self) -> ComposeResult:
            yield ScribeInput(id="one")
            yield ScribeInput(id="two")

    app = TwoInputs()
    async with app.run_test(size=(80, 10)) as pilot:
        one, two = app.query_one("#one", ScribeInput), app.query_one("#two", ScribeInput)
        one.focus()
        await pilot.pause()
        two.focus()
        await until(pilot, lambda: two.cursor_still, seconds=STILL_AFTER + 2, what="the focused cursor still")
        assert not one.cursor_still and not one._cursor_visible  # blurred: no cursor at all
        one.focus()
        await pilot.pause()
        assert not one.cursor_still
        await until(pilot, lambda: one.cursor_still, seconds=STILL_AFTER + 2, what="the refocused cursor still")


async def scroll_states(app: App[None], widget: Input, pilot: Pilot[Any]) -> list[tuple[float, int, int]]:
    """Where the input is scrolled, how far it can be and how wide its text is, after each step."""
    states = []
    for keys in (list("a line longer than the input is wide"), ["home"], ["end"], ["ctrl+left"], ["enter"]):
        await pilot.press(*keys)
        widget.value = "" if keys == ["enter"] else widget.value  # a plain Input keeps its line
        await pilot.pause()
        states.append((widget.scroll_x, widget.max_scroll_x, widget.virtual_size.width))
    return states


async def test_the_text_changing_width_lays_nothing_out_and_the_view_follows_the_cursor_as_input_s_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class PlainInput(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(placeholder=PLACEHOLDER)

    plain = PlainInput()
    async with plain.run_test(size=(30, 10)) as pilot:
        expected = await scroll_states(plain, plain.query_one(Input), pilot)
    layouts: list[Widget] = []
    original = Widget.refresh

    def refresh(widget: Widget, *regions: Any, **kwargs: Any) -> Widget:
        if kwargs.get("layout"):
            layouts.append(widget)
        return original(widget, *regions, **kwargs)

    app = OneInput()
    async with app.run_test(size=(30, 10)) as pilot:
        scribe = app.query_one(ScribeInput)
        scribe.focus()
        await pilot.pause()
        monkeypatch.setattr(Widget, "refresh", refresh)
        await pilot.press(*"db up", "enter", *"a short one", "enter")
        await pilot.pause()
        assert layouts == []
        assert await scroll_states(app, scribe, pilot) == expected
        assert layouts == []
    assert expected[0][0] > 0 and expected[1][0] == 0  # scrolled to the cursor at the end, then home
