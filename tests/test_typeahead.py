"""Keys typed right after the key that closes a dialog are kept, in order, where the dialog
returns: a terminal delivers them in one burst, before the dialog has handled its Enter."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from screens.command import CommandScreen
from screens.paste import PasteDialog
from screens.pickers import HandoverDialog, SeverityPicker
from storage import ops
from storage.db import Store
from tests.waiting import until
from tui.app import WarroomApp
from widgets.scribe_input import ScribeInput


def burst(app: WarroomApp, *keys: str) -> None:
    """Post `keys` to the app at once, as a terminal's read delivers them (the pilot's
    `press` waits for each key to be handled before the next)."""
    for key in keys:
        character = {"enter": "\r", "escape": "\x1b", "tab": "\t"}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


def texts(store: Store, ref: str) -> list[str]:
    return [event.text for event in ops.timeline(store, ref)]


async def scribe_shows(pilot: Pilot[Any], app: WarroomApp, value: str) -> None:
    scribe = next(screen for screen in app.screen_stack if isinstance(screen, CommandScreen)).query_one(ScribeInput)
    await until(pilot, lambda: scribe.value == value and scribe.screen is app.screen, what=f"{value!r} in the input")


async def handover_dialog(app: WarroomApp, pilot: Pilot[Any], store: Store) -> HandoverDialog:
    """The handover dialog open over the incident, its person field focused."""
    dialog = HandoverDialog(store, "Scribe", False, ["Lee Chen"], [])
    app.push_screen(dialog)
    await until(pilot, lambda: dialog.focused is not None and dialog.focused.id == "person", what="the dialog")
    return dialog


async def test_keys_after_the_enter_that_logs_a_paste_go_to_the_scribe_line(demo: tuple[Store, str]) -> None:
    store, ref = demo
    before = texts(store, ref)
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one(ScribeInput).post_message(events.Paste("alpha one\nbeta two"))
        await until(pilot, lambda: isinstance(app.screen, PasteDialog), what="the paste dialog")
        burst(app, "enter", *"next line", "enter", *"xyz")
        await scribe_shows(pilot, app, "xyz")
        await until(pilot, lambda: len(texts(store, ref)) == len(before) + 3, what="three lines logged")
    assert texts(store, ref)[len(before):] == ["alpha one", "beta two", "next line"]


async def test_keys_after_a_picker_s_enter_or_escape_go_to_the_scribe_line(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, SeverityPicker), what="the severity picker")
        burst(app, "escape", *"abc")
        await scribe_shows(pilot, app, "abc")
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, SeverityPicker), what="the severity picker again")
        burst(app, "enter", *"def")  # the first level that is not the current one: SEV2
        await scribe_shows(pilot, app, "abcdef")
        await until(pilot, lambda: ops.get_incident(store, ref).severity == 2, what="SEV2")


async def test_keys_after_an_enter_or_a_tab_that_moves_to_another_field_go_to_that_field(
    demo: tuple[Store, str],
) -> None:
    store, ref = demo
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await handover_dialog(app, pilot, store)
        burst(app, *"Ada", "enter", *"on call", "shift+tab", "end", *" Lovelace", "tab", "tab", *"-5m")
        note, when = dialog.query_one("#note", Input), dialog.query_one("#when", Input)
        await until(pilot, lambda: when.value == "-5m", what="the time typed after two Tabs")
        assert (dialog.query_one("#person", Input).value, note.value) == ("Ada Lovelace", "on call")
        assert app.screen is dialog


async def test_an_input_s_own_keys_take_effect_in_order_with_the_characters_around_them(
    demo: tuple[Store, str],
) -> None:
    """Ctrl+U, Backspace and Home in one read with the characters around them (as a terminal
    delivers a fast typist's keys): as bindings they ran after the characters behind them."""
    store, ref = demo
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await handover_dialog(app, pilot, store)
        person = dialog.query_one("#person", Input)
        person.value = "root"
        burst(app, "ctrl+u", *"Danx", "backspace", "a", "home", *"Ms ")
        await until(pilot, lambda: person.value == "Ms Dana", what="'Ms Dana' typed")


async def test_a_line_entered_in_the_same_read_as_ctrl_q_is_written_not_cut_short(demo: tuple[Store, str]) -> None:
    from storage.drafts import Drafts

    store, ref = demo
    before = texts(store, ref)
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.writer is not None,
                    what="the record open")
        burst(app, *"rolled back", "enter", "ctrl+q")
        await until(pilot, lambda: not app.is_running, what="the app to quit")
    drafts = Drafts(store.url)
    on_its_way = [line.text for line in drafts.load_pending(ref)]
    assert texts(store, ref)[len(before):] + on_its_way == ["rolled back"]
    assert not drafts.load(ref)  # nothing half typed left behind


async def test_keys_after_a_key_that_opens_a_dialog_go_into_the_dialog(demo: tuple[Store, str]) -> None:
    from screens.reminders import ReminderDialog

    store, ref = demo
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.writer is not None,
                    what="the record open")
        burst(app, "ctrl+b", *"check the canary")
        await until(pilot, lambda: isinstance(app.screen, ReminderDialog), what="the reminder dialog")
        dialog = app.screen
        what, when = dialog.query_one("#what", Input), dialog.query_one("#when", Input)
        await pilot.pause(0.5)
        assert (what.value, when.value) == ("check the canary", "10")
        assert next(s for s in app.screen_stack if isinstance(s, CommandScreen)).query_one(ScribeInput).value == ""


async def test_keys_after_enter_on_the_timeline_go_into_the_event_it_opens(demo: tuple[Store, str]) -> None:
    """Enter on an event opens it; "a" and "k" typed at once are text for its edit, not the
    timeline's keys (one author's events, a key mark)."""
    from screens.event import EventDialog
    from widgets.timeline import TimelineView

    store, ref = demo
    last = ops.timeline(store, ref)[-1]
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.writer is not None,
                    what="the record open")
        timeline = app.screen.query_one(TimelineView)
        timeline.focus()
        await pilot.press("end")
        burst(app, "enter", "end", *" ak")
        await until(pilot, lambda: isinstance(app.screen, EventDialog), what="the event open")
        edit = app.screen.query_one("#edit", Input)
        await until(pilot, lambda: edit.value.endswith(" ak"), what="the keys in the edit")
        assert ops.timeline(store, ref)[-1].key == last.key


async def test_a_line_typed_after_ctrl_s_declares_goes_to_the_new_incident_however_long_it_takes(
    tmp_path: Any, policy: Any, clock: Any, monkeypatch: Any
) -> None:
    """Ctrl+S in the declare dialog, then the first line at once: the dialog closes at once
    but the incident opens only once written (on a fresh database, a second or more). The
    line waits for it instead of going to the incident list's keys (r, s, p, d...)."""
    import time

    from screens.declare import DeclareDialog

    declare = ops.declare

    def slow_declare(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.8)
        return declare(*args, **kwargs)

    monkeypatch.setattr(ops, "declare", slow_declare)
    with Store(tmp_path / "new.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.action_declare()
            dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, DeclareDialog) else None)
            assert dialog is not None
            await until(pilot, lambda: dialog.query("#functionality"), what="the dialog's fields")
            for field, value in (("functionality", "checkout"), ("state", "failing"), ("audience", "EU customers")):
                dialog.query_one(f"#{field}", Input).value = value
            burst(app, "ctrl+s", *"first look at the graphs", "enter")
            await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.ref is not None,
                        what="the new incident")
            screen = app.screen
            assert isinstance(screen, CommandScreen) and screen.ref is not None
            ref = screen.ref
            await until(pilot, lambda: texts(store, ref)[-1] == "first look at the graphs", seconds=5,
                        what="the line logged")
