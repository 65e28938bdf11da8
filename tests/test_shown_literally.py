"""Text from the record, the config or the keyboard is shown as it is on every screen: no
markup is parsed (a `[/x]` does not crash a toast, a `[@click=app.quit]` does nothing), and
no control character reaches the terminal (ESC shows as `␛`). Stored text is untouched."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.policy import Policy
from tests.waiting import until
from tui.app import WarroomApp
from widgets.literal_input import LiteralInput
from widgets.text import printable_in_place

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "[@click=app.quit]quit[/] [/x] \x1b[2J\x9b31m"
"""Rich markup, a Textual action, an unmatched closing tag, a CSI sequence and a C1 CSI."""
SHOWN = "[@click=app.quit]quit[/] [/x] ␛[2J�31m"


def drawn(root: Widget) -> list[Strip]:
    """Every line `root` and the widgets inside it draw."""
    return [
        widget.render_line(y)
        for widget in [root, *root.query("*")]
        if widget.display and widget.content_region.area
        for y in range(widget.content_region.height)
    ]


def assert_safe_and_literal(root: Widget, *expected: str, links: bool = False) -> None:
    """No control character and no action in what `root` draws (but Markdown's own `link`
    when `links`); `expected` shown as is."""
    strips = drawn(root)
    for strip in strips:
        assert not [c for c in strip.text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0], strip.text
        for segment in strip:
            action = (segment.style.meta or {}).get("@click") if segment.style is not None else None
            assert action is None or (links and action.startswith("link(")), segment
    shown = "\n".join(strip.text for strip in strips)
    for text in expected:
        assert text in shown, (text, shown)


def test_every_notification_is_shown_without_markup() -> None:
    """A toast's text often quotes what was typed: `markup=False` on every `notify` call."""
    offenders = []
    for folder in ("screens", "tui", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "notify":
                    markup = next((k.value for k in node.keywords if k.arg == "markup"), None)
                    if not (isinstance(markup, ast.Constant) and markup.value is False):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_text_being_edited_keeps_its_length_when_made_printable() -> None:
    text = "a\x1b[2J\r\nb\x9b\u2028c\td"
    shown = printable_in_place(text)
    assert len(shown) == len(text) and shown == "a␛[2J⏎⏎b�⏎c d"
    assert printable_in_place("plain [b]text[/b]") == "plain [b]text[/b]"


async def test_a_meeting_time_with_markup_is_refused_in_a_toast_without_a_crash(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.postmortem import PostmortemScreen

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        ops.set_milestone(store, ref, "resolved")
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            app.push_screen(PostmortemScreen(store, ref))
            await pilot.pause()
            app.screen.query_one("#pm-sections", OptionList).highlighted = 14  # details
            await pilot.pause()
            meeting = app.screen.query_one("#meeting", Input)
            meeting.value = "[/x] [@click=app.quit]soon[/]"
            meeting.focus()
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert app.is_running
            toast = list(app._notifications)[-1]
            assert "[/x] [@click=app.quit]soon[/]" in toast.message and toast.markup is False
            assert meeting.value == "[/x] [@click=app.quit]soon[/]"  # nothing typed is lost


async def test_dialogs_show_stored_names_and_tags_literally(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from screens.action_item import ActionItemDialog
    from screens.pickers import HandoverDialog

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
        ops.assign_role(store, ref, "ic", HOSTILE)
        item = ops.add_action_item(store, ref, HOSTILE, owner=HOSTILE, tags=[HOSTILE])
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            app.push_screen(ActionItemDialog(item))
            await pilot.pause()
            assert_safe_and_literal(app.screen, f"Tags: sev1_20261123, sev1, {SHOWN}", SHOWN)
            app.screen.query_one("#title", Input).focus()
            await pilot.pause()
            assert app.screen.query_one("#title", Input).value == HOSTILE  # edited as stored
            app.pop_screen()
            app.push_screen(HandoverDialog(store, "[b]Lead[/b] \x1b]0;x\x07", False, [HOSTILE], [HOSTILE]))
            await pilot.pause()
            box = app.screen.query_one(".dialog-box")
            assert box._border_title is not None and box._border_title.plain == "Hand over: [b]Lead[/b] ␛]0;x␇"
            assert_safe_and_literal(app.screen, f"Held by {SHOWN}.")
            person = app.screen.query_one("#person", Input)
            person.focus()
            await pilot.press("[")  # the suggestion: the rest of the name, drawn after the cursor
            await pilot.pause(0.2)
            assert person._suggestion == HOSTILE
            assert_safe_and_literal(person, SHOWN)
            assert app.is_running


async def test_tables_show_titles_people_and_action_items_literally(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.incident_list import IncidentListScreen
    from screens.postmortem import PostmortemScreen
    from screens.postmortems_due import PostmortemsDueScreen

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality=HOSTILE, state="down", audience="all", ic=HOSTILE).ref
        ops.set_milestone(store, ref, "resolved")
        postmortem.update_postmortem(store, ref, owner=HOSTILE)
        ops.add_action_item(store, ref, HOSTILE, owner=HOSTILE)
        app = WarroomApp(store)
        async with app.run_test(size=(200, 50)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, IncidentListScreen), what="the incident list")
            assert_safe_and_literal(app.screen.query_one(DataTable), SHOWN)
            app.push_screen(PostmortemsDueScreen(store))
            await pilot.pause()
            assert_safe_and_literal(app.screen.query_one(DataTable), SHOWN)
            app.push_screen(PostmortemScreen(store, ref))
            await pilot.pause()
            app.screen.query_one("#pm-sections", OptionList).highlighted = 15  # action items
            await pilot.pause()
            assert_safe_and_literal(app.screen.query_one("#action-table"), SHOWN)
            assert_safe_and_literal(app.screen.query_one("#pm-title"), SHOWN)
            assert app.is_running


async def test_inputs_draw_control_characters_as_pictures_and_keep_the_value(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.event import EventDialog
    from storage.drafts import Drafts
    from widgets.scribe_input import ScribeInput

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
        logged = ops.log(store, ref, "\\" + HOSTILE)
        Drafts(store.url).save(ref, "half typed \x1b]52;c;ZXZpbA==\x07")
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            scribe = app.screen.query_one(ScribeInput)
            assert isinstance(scribe, LiteralInput) and scribe.value == "half typed \x1b]52;c;ZXZpbA==\x07"
            assert_safe_and_literal(scribe, "half typed ␛]52;c;ZXZpbA==␇")
            app.push_screen(EventDialog(store, ref, logged.seq))
            await pilot.pause()
            edit = app.screen.query_one("#edit", Input)
            assert isinstance(edit, LiteralInput) and edit.value.endswith(HOSTILE)
            edit.focus()
            await pilot.press("end", "left", "left")
            await pilot.pause()
            assert_safe_and_literal(edit, SHOWN)
            assert edit.cursor_position == len(edit.value) - 2  # the cursor counts the stored text


async def test_the_postmortem_editor_and_its_preview_draw_control_characters_as_pictures(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from textual.widgets import Markdown, TextArea

    from screens.postmortem import PostmortemScreen
    from widgets.literal_text_area import LiteralTextArea

    overview = "Pasted from a terminal: \x1b]52;c;ZXZpbA==\x07 then \x1b[2J and \x9b31m [@click=app.quit]q[/]"
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        ops.set_milestone(store, ref, "resolved")
        postmortem.update_postmortem(store, ref, sections={"overview": overview})
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(160, 40)) as pilot:
            app.push_screen(PostmortemScreen(store, ref))
            await pilot.pause()
            area = app.screen.query_one("#pm-text", TextArea)
            assert isinstance(area, LiteralTextArea) and area.text == overview
            assert_safe_and_literal(area, "Pasted from a terminal: ␛]52;c;ZXZpbA== then ␛[2J and �31m")
            await pilot.press("f2")
            await pilot.pause(0.3)
            assert_safe_and_literal(app.screen.query_one("#pm-preview", Markdown), "␛[2J", links=True)
            assert app.is_running
        assert postmortem.read_postmortem(store, ref).sections["overview"] == overview
