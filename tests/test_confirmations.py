"""Keys that change the record in ways hard to take back ask first: a release (Delete on a
role), a strike (Ctrl+T) and its restore; an edit that meets a colleague's is refused with
both texts. Pilot tests on the command screen over the demo incident."""

from __future__ import annotations

import functools

from textual.pilot import Pilot
from textual.widgets import Button

from screens.command import CommandScreen
from screens.confirm import ConfirmDialog
from screens.event import ConflictDialog, EventDialog
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.identity import Identity
from storage.policy import Policy
from tests.waiting import until
from tui.app import WarroomApp
from widgets.roster import RoleRoster
from widgets.timeline import TimelineView


def text_of(screen: object) -> str:
    """Every Static and Label of a dialog, as shown."""
    from textual.widgets import Static

    return "\n".join(str(w.render()) for w in screen.query(Static))  # type: ignore[attr-defined]


async def on_top(pilot: Pilot[None], kind: type) -> object:
    return await until(pilot, lambda: isinstance(pilot.app.screen, kind) and pilot.app.screen, what=kind.__name__)


async def release_asked(pilot: Pilot[None], role_key: str) -> ConfirmDialog:
    """Delete on role `role_key` of the roster: its confirmation, on top."""
    screen = pilot.app.screen
    assert isinstance(screen, CommandScreen)
    roster = screen.query_one(RoleRoster)
    roster.focus()
    roster.cursor = [r.key for r in roster.roles].index(role_key)
    await pilot.press("delete")
    dialog = await on_top(pilot, ConfirmDialog)
    assert isinstance(dialog, ConfirmDialog)
    return dialog


def holders(store: Store, ref: str, role: str) -> list[str]:
    return [h.person for h in ops.role_history(store, ref) if h.role == role and h.ended_at is None]


async def test_releasing_the_ic_names_them_and_says_the_incident_will_have_none(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await release_asked(pilot, "ic")
        shown = text_of(dialog)
        assert "Dana Okafor steps down as Incident Commander on " + ref in shown
        assert "will have no Incident Commander" in shown
        assert "The timeline records the release as yours (tester)." in shown
        assert dialog.focused is dialog.query_one("#confirm-cancel", Button)  # the safe choice
        await pilot.press("enter")  # Enter on the focused Cancel: nothing changes
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        await release_asked(pilot, "ic")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        await release_asked(pilot, "ic")
        await pilot.press("escape")
        await pilot.pause()
        assert holders(store, ref, "ic") == ["Dana Okafor"]
        await release_asked(pilot, "ic")
        await pilot.press("y")
        await until(pilot, lambda: not holders(store, ref, "ic"), what="the release written")
        last = ops.timeline(store, ref)[-1]
        assert (last.text, last.author) == ("Dana Okafor stepped down as Incident Commander", "tester")


async def test_releasing_one_of_several_smes_says_who_stays(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await release_asked(pilot, "sme")
        shown = text_of(dialog)
        assert "Sam Whitfield steps down as Subject Matter Expert" in shown
        assert "Marta Kowalski still holds it." in shown and "will have no" not in shown
        await pilot.press("tab", "enter")  # to the Release button, then Enter presses it
        await until(pilot, lambda: holders(store, ref, "sme") == ["Marta Kowalski"], what="the release written")


async def event_dialog(pilot: Pilot[None]) -> EventDialog:
    """The last event of the timeline opened, as Enter on it does."""
    pilot.app.screen.query_one(TimelineView).focus()
    await pilot.press("end", "enter")
    dialog = await on_top(pilot, EventDialog)
    assert isinstance(dialog, EventDialog)
    return dialog


async def test_a_strike_asks_quoting_the_event_and_is_restored_the_same_way(demo: tuple[Store, str]) -> None:
    store, ref = demo
    last = ops.timeline(store, ref)[-1]
    assert last.author != store.user
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = app.screen.query_one(TimelineView)
        dialog = await event_dialog(pilot)
        await pilot.press("ctrl+t")
        confirm = await on_top(pilot, ConfirmDialog)
        assert f"#{last.seq} “{last.text}”" in text_of(confirm)
        await pilot.press("escape")  # cancelled: back in the event, nothing struck
        await until(pilot, lambda: app.screen is dialog, what="the event dialog again")
        assert not ops.timeline(store, ref)[-1].struck
        await pilot.press("ctrl+t")
        await on_top(pilot, ConfirmDialog)
        await pilot.press("y")
        await until(pilot, lambda: timeline.entries[-1].struck, what="the strike shown")
        history = ops.event_history(store, ref, last.seq)
        assert history[-1].replaced_by == "tester"  # whoever pressed the key, not the event's author

        dialog = await event_dialog(pilot)
        shown = text_of(dialog)
        assert "✗ struck" in shown and "struck 15:40:00 by tester" in shown and "Ctrl+T restores it" in shown
        await pilot.press("ctrl+t")
        confirm = await on_top(pilot, ConfirmDialog)
        assert isinstance(confirm, ConfirmDialog) and confirm.title_text == f"Restore event #{last.seq}?"
        await pilot.press("n")
        await until(pilot, lambda: app.screen is dialog, what="the event dialog again")
        assert ops.timeline(store, ref)[-1].struck
        await pilot.press("ctrl+t")
        await on_top(pilot, ConfirmDialog)
        await pilot.press("y")
        await until(pilot, lambda: not timeline.entries[-1].struck, what="the restore shown")
        assert [(r.struck, r.replaced_by) for r in ops.event_history(store, ref, last.seq)] == [
            (False, "tester"),
            (True, "tester"),
        ]


async def test_a_milestone_mark_struck_asks_saying_the_milestone_goes_and_takes_it_back(
    demo: tuple[Store, str],
) -> None:
    store, ref = demo
    before = ops.get_incident(store, ref).status
    ops.set_milestone(store, ref, "mitigated")  # pressed by mistake
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one(TimelineView).focus()
        await pilot.press("end", "up", "enter")  # the mark, above the status change it made
        dialog = await on_top(pilot, EventDialog)
        assert "Milestone: mitigated" in text_of(dialog) and "Ctrl+T strikes the mark" in text_of(dialog)
        await pilot.press("ctrl+t")
        confirm = await on_top(pilot, ConfirmDialog)
        await until(pilot, lambda: "Milestone mitigated is then not reached" in text_of(confirm), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: "mitigated" not in ops.milestones(store, ref), what="the milestone taken back")
        assert ops.get_incident(store, ref).status == before


async def test_an_edit_that_meets_a_colleagues_shows_both_and_keeps_yours(
    demo: tuple[Store, str], policy: Policy, clock: FrozenClock
) -> None:
    store, ref = demo
    last = ops.timeline(store, ref)[-1]
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = app.screen.query_one(TimelineView)
        dialog = await event_dialog(pilot)
        with Store(store.url, policy=policy, clock=clock, identity=Identity("Ana Souza", "--as")) as other:
            ops.edit_event(other, ref, last.seq, "their version")  # another terminal, meanwhile
        dialog.query_one("#edit").value = "my version"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        conflict = await on_top(pilot, ConflictDialog)
        shown = text_of(conflict)
        assert "Ana Souza saved revision 2 after you opened revision 1" in shown
        assert "their version" in shown and "my version" in shown
        assert ops.timeline(store, ref)[-1].text == "their version"  # nothing overwritten
        await pilot.press("enter")  # yours back in the event, now at revision 2
        again = await on_top(pilot, EventDialog)
        assert isinstance(again, EventDialog) and again.revision == 2
        assert again.query_one("#edit").value == "my version"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: timeline.entries[-1].text == "my version", what="yours applied again")
        assert [r.text for r in ops.event_history(store, ref, last.seq)][-1] == "their version"


async def test_escape_on_a_conflict_keeps_theirs(demo: tuple[Store, str]) -> None:
    store, ref = demo
    last = ops.timeline(store, ref)[-1]
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await event_dialog(pilot)
        ops.strike_event(store, ref, last.seq, author="Ana Souza")  # struck meanwhile
        dialog.query_one("#edit").value = "my version"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        conflict = await on_top(pilot, ConflictDialog)
        assert "Theirs, in the record (struck):" in text_of(conflict)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the command screen")
        current = ops.timeline(store, ref)[-1]
        assert current.struck and current.text == last.text


async def test_help_says_what_asks_first(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="the help")
        shown = text_of(app.screen)
        assert "Delete on a role (releasing its holder" in shown and "restoring it" in shown
        assert "Striking a milestone's mark takes the milestone back" in shown
        assert "warroom import-slack EXPORT REF --channel NAME" in shown
        assert ("del", "Release the selected role's most recent holder (asks first)") in app.screen.key_rows  # type: ignore[attr-defined]


def says(screen: object, text: str) -> bool:
    return text in text_of(screen)


async def test_marks_the_record_will_not_strike_or_restore_say_why_instead_of_asking(
    demo: tuple[Store, str],
) -> None:
    """The standing resolved mark while resolved (reopen instead) and an earlier mark,
    marked again since: the dialog does not offer Ctrl+T, says why, and Ctrl+T asks nothing."""
    from storage.checklists.resolution import resolve

    store, ref = demo
    ops.set_milestone(store, ref, "acknowledged")  # corrects it: the earlier mark struck
    earlier = next(e for e in ops.timeline(store, ref) if e.kind == "milestone" and e.detail == "acknowledged")
    assert earlier.struck
    resolve(store, ref, force=True)
    mark = next(e for e in ops.timeline(store, ref) if e.kind == "milestone" and e.detail == "resolved")
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        base = app.screen
        for seq, refusal in ((mark.seq, "reopen the incident"), (earlier.seq, "marked again since")):
            app.push_screen(EventDialog(store, ref, seq))
            dialog = await on_top(pilot, EventDialog)
            await until(pilot, functools.partial(says, dialog, refusal), what=refusal)
            assert "Ctrl+T" not in text_of(dialog)
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.screen is dialog  # no confirmation offering what the record refuses
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is base, what="the screen below")
    assert ops.get_incident(store, ref).status == "resolved"
    struck = {e.seq: e.struck for e in ops.timeline(store, ref)}
    assert not struck[mark.seq] and struck[earlier.seq]


async def test_at_80_columns_the_hints_of_the_event_and_the_checklist_wrap_instead_of_being_cut(
    demo: tuple[Store, str],
) -> None:
    from textual.widgets import Label

    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(TimelineView).focus()
        await pilot.press("home", "enter")  # the declaration: written by the record
        dialog = await on_top(pilot, EventDialog)
        await pilot.pause()
        for screen, hint in ((dialog, ".dialog-hint"), (None, ".checklist-hint")):
            if screen is None:
                await pilot.press("escape", "f9")
                screen = await until(pilot, lambda: type(app.screen).__name__ == "ChecklistScreen" and app.screen)
                await pilot.pause()
            label = screen.query_one(hint, Label)  # type: ignore[attr-defined]
            text = str(label.render())
            assert label.size.width <= 80 and label.size.height >= 2 and len(text) > label.size.width, text
