"""The post-mortem editor: autosave, prefill, details, action items, the due list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, TextArea

from screens.incident_list import IncidentListScreen
from screens.postmortem import PostmortemScreen
from screens.postmortems_due import PostmortemsDueScreen
from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.policy import Policy
from tests.waiting import until
from tui.app import WarroomApp


@pytest.fixture
def resolved(tmp_path: Path, policy: Policy, clock: FrozenClock) -> Iterator[tuple[Store, str]]:
    with Store(tmp_path / "pm.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        ops.set_milestone(store, ref, "resolved")
        yield store, ref


async def open_editor(app: WarroomApp, pilot: Pilot[None], ref: str) -> PostmortemScreen:
    app.push_screen(PostmortemScreen(app.store, ref))  # type: ignore[arg-type]
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PostmortemScreen)
    return screen


async def test_typing_is_saved_without_a_key_and_survives_a_restart(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        area = editor.query_one("#pm-text", TextArea)
        assert area.has_focus and editor.section == "overview"
        await pilot.press(*"An expired intermediate certificate broke card payments.")
        await pilot.pause(0.6)  # the autosave fires half a second after the last key
        await until(pilot, lambda: "An expired intermediate certificate broke card payments."
                    in postmortem.postmortem_markdown(store, ref), what="the autosave")
    again = WarroomApp(store, ref=ref)
    async with again.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(again, pilot, ref)
        assert editor.query_one("#pm-text", TextArea).text == "An expired intermediate certificate broke card payments."


async def test_leaving_a_section_saves_it_at_once(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        editor.query_one("#pm-text", TextArea).text = "Rolled back, then pinned the new certificate."
        editor.query_one("#pm-sections", OptionList).highlighted = 3  # Resolution
        await pilot.pause()
        editor.query_one("#pm-sections", OptionList).highlighted = 0
        await pilot.pause()
        assert editor.query_one("#pm-text", TextArea).text == "Rolled back, then pinned the new certificate."


async def test_prefill_fills_empty_sections_and_imports_todos(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        await pilot.press("f3")
        await until(
            pilot, lambda: postmortem.read_postmortem(store, ref).sections.get("responders"), what="the fill written"
        )
        editor.query_one("#pm-sections", OptionList).highlighted = 5  # Responders
        await pilot.pause()
        assert "Dana Okafor" in editor.query_one("#pm-text", TextArea).text
        titles = [item.title for item in ops.action_items(store, ref)]
        assert "Alert on TLS handshake failures per upstream" in titles


async def test_details_and_the_status_rules(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        editor.query_one("#pm-sections", OptionList).highlighted = 14  # details
        await pilot.pause()
        status = editor.query_one("#status", Select)
        status.value = "in_review"  # no owner yet: refused
        await until(pilot, lambda: status.value == "draft", what="the refused status put back")
        owner = editor.query_one("#owner", Input)
        owner.focus()
        owner.value = "Dana Okafor"
        await pilot.press("enter")
        meeting = editor.query_one("#meeting", Input)
        meeting.value = "2026-11-25T10:00"
        meeting.focus()
        await pilot.press("enter")
        await until(
            pilot, lambda: postmortem.read_postmortem(store, ref).meeting_at is not None, what="the meeting saved"
        )
        await until(
            pilot, lambda: postmortem.read_postmortem(store, ref).owner == "Dana Okafor", what="the owner saved"
        )
        await pilot.pause()
        status.value = "in_review"
        await until(
            pilot, lambda: postmortem.read_postmortem(store, ref).status == "in_review", what="the status saved"
        )
        doc_status = postmortem.postmortem_markdown(store, ref)
        assert "In Review" in doc_status and "Dana Okafor" in doc_status
        assert "Wed 25 Nov" in str(editor.query_one("#pm-deadline").render()) or postmortem.meeting_deadline(store, ref)


async def test_action_items_are_added_with_their_tags(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        editor.query_one("#pm-sections", OptionList).highlighted = 15  # action items
        await pilot.pause()
        title = editor.query_one("#action-title", Input)
        title.focus()
        title.value = "Pin processor certificates by fingerprint set"
        before = len(ops.action_items(store, ref))
        await pilot.press("enter")
        await until(pilot, lambda: len(ops.action_items(store, ref)) > before, what="the action item added")
        await until(pilot, lambda: title.value == "", what="the input cleared")
        item = ops.action_items(store, ref)[-1]
        assert (item.title, item.priority) == ("Pin processor certificates by fingerprint set", "P1")
        assert item.tags.startswith("sev1_20261123,sev1")
        assert editor.query_one("#action-table", DataTable).row_count == len(ops.action_items(store, ref))


async def test_preview_and_export(resolved: tuple[Store, str], isolated_environment: Path) -> None:
    store, ref = resolved
    postmortem.update_postmortem(store, ref, meeting_at=store.now() + timedelta(days=1))
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        await pilot.press("f2")
        await until(pilot, lambda: editor.has_class("-preview"), what="the preview read and shown")
        await pilot.press("escape")
        assert not editor.has_class("-preview") and app.screen is editor
        await pilot.press("f4")
        outbox = isolated_environment / "state" / "warroom" / "outbox"
        await until(pilot, lambda: outbox.is_dir() and len(list(outbox.iterdir())) == 3, what="the three files written")
        names = sorted(p.name for p in outbox.iterdir())
        assert names == sorted([f"{ref}-postmortem.md", f"{ref}-action-items.csv", f"{ref}-meeting.ics"])
        assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in outbox.iterdir())


async def test_due_list_from_the_incident_list(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, IncidentListScreen)
        await pilot.press("d")
        await pilot.pause()
        due = app.screen
        assert isinstance(due, PostmortemsDueScreen)
        table = due.query_one(DataTable)
        assert table.row_count == len(postmortem.needing_postmortem(store)) >= 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PostmortemScreen)


def test_postmortem_editor_snapshot(snap_compare: Callable[..., bool], resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    postmortem.update_postmortem(
        store,
        ref,
        owner="Dana Okafor",
        sections={
            "overview": "An expired intermediate certificate broke card payments for EU customers for 58 minutes."
        },
    )

    async def run_before(pilot: Pilot[None]) -> None:
        pilot.app.push_screen(PostmortemScreen(store, ref))
        await pilot.pause()
        for widget in pilot.app.screen.query("TextArea, Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]  # a steady picture
        await pilot.pause()

    assert snap_compare(WarroomApp(store, ref=ref), terminal_size=(120, 40), run_before=run_before)


async def test_an_action_item_is_edited_in_its_dialog(resolved: tuple[Store, str]) -> None:
    from screens.action_item import ActionItemDialog

    store, ref = resolved
    ops.add_action_item(store, ref, "Pin processor certificates", owner="Sam")
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        editor.query_one("#pm-sections", OptionList).highlighted = 15  # action items
        await pilot.pause()
        table = editor.query_one("#action-table", DataTable)
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ActionItemDialog), what="the dialog")
        dialog = app.screen
        assert isinstance(dialog, ActionItemDialog)
        dialog.query_one("#due", Input).value = "next week"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and "not a date" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one("#due", Input).value = "2026-12-04"
        dialog.query_one("#ticket", Input).value = "https://jira.example.com/OPS-7"
        dialog.query_one("#state", Select).value = "in_progress"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is editor, what="back in the editor")
        await until(pilot, lambda: ops.action_items(store, ref)[0].state == "in_progress", what="the edit written")
        item = ops.action_items(store, ref)[0]
        assert (str(item.due_date), item.ticket_url, item.state) == (
            "2026-12-04",
            "https://jira.example.com/OPS-7",
            "in_progress",
        )


async def test_rebuild_from_the_record_asks_first(resolved: tuple[Store, str]) -> None:
    from screens.pickers import Confirm

    store, ref = resolved
    postmortem.update_postmortem(store, ref, sections={"responders": "my own words"})
    app = WarroomApp(store, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("escape")
        await pilot.pause()
        assert "my own words" in postmortem.postmortem_markdown(store, ref)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: "my own words" not in postmortem.postmortem_markdown(store, ref), what="the rebuild")
        assert app.screen is editor


async def test_a_busy_database_keeps_the_text_shows_it_waiting_and_writes_it_when_free(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    import sqlite3

    path = tmp_path / "busy.db"
    with Store(path, policy=policy, clock=clock) as setup:
        ref = build_demo(setup)
        ops.set_milestone(setup, ref, "resolved")
    with Store(path, policy=policy, clock=clock, busy_timeout_ms=100) as store:
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            editor = await open_editor(app, pilot, ref)
            area = editor.query_one("#pm-text", TextArea)
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another writer holds the database
            try:
                await pilot.press(*"Typed while busy")
                waiting = editor.query_one("#pm-waiting")
                # A save can start before the last keys arrive: then the editor says "editing…"
                # until the rest is handed to the writer too.
                await until(
                    pilot,
                    lambda: waiting.display and area.border_subtitle == "saving…",
                    what="the waiting line shown, every key handed to the writer",
                )
                assert "the database is busy" in str(waiting.render()) and "kept: “Post-mortem Overview”" in str(
                    waiting.render()
                )
                assert area.text == "Typed while busy"
                assert app.is_running
            finally:
                other.execute("ROLLBACK")
                other.close()
            await until(pilot, lambda: area.border_subtitle == "saved", what="the text saved once free")
            assert not waiting.display
        assert postmortem.read_postmortem(store, ref).sections["overview"] == "Typed while busy"


async def test_a_refused_save_says_so_once_and_keeps_the_text(resolved: tuple[Store, str]) -> None:
    store, ref = resolved
    app = WarroomApp(store, ref=ref)
    errors: list[str] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:  # a toast can expire on a loaded machine
        if options.get("severity") == "error":
            errors.append(message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, ref)
        area = editor.query_one("#pm-text", TextArea)
        too_long = "x" * 200_001  # over the section's limit
        area.text = too_long
        await until(pilot, lambda: area.border_subtitle == "not saved: kept as a draft", what="the refusal shown")
        await pilot.pause()
        assert len(errors) == 1 and "kept as a draft" in errors[0]
        assert area.text == too_long and app.is_running
    assert postmortem.read_postmortem(store, ref).sections.get("overview", "") != too_long


@pytest.mark.parametrize("workers_cancelled_first", [False, True])
def test_text_typed_just_before_quitting_is_written_before_the_app_exits(
    tmp_path: Path, policy: Policy, clock: FrozenClock, workers_cancelled_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from storage.drafts import Drafts

    wake_seconds = 0.2  # (a cancelled writer is told at once, and looks again every 0.1 s)

    path = tmp_path / "quit.db"
    with Store(path, policy=policy, clock=clock) as store:
        ref = build_demo(store)
        ops.set_milestone(store, ref, "resolved")
        app = WarroomApp(store, ref=ref)

        async def type_and_quit() -> None:
            async with app.run_test(size=(120, 40)) as pilot:
                await open_editor(app, pilot, ref)
                await pilot.press(*"Written on the way out")
                if workers_cancelled_first:  # as quitting in a terminal does, before the screens close
                    app.workers.cancel_all()
                    await pilot.pause(wake_seconds * 2)  # the writer has seen it
            # no wait: the app closes with the save queued (its worker's thread is waited for)

        asyncio.run(type_and_quit())
        assert postmortem.read_postmortem(store, ref).sections["overview"] == "Written on the way out"
        assert Drafts(store.url).load(f"{ref}\npostmortem:overview") is None


async def test_drafts_the_record_has_moved_past_are_flagged_and_f3_drafts_them_again(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from storage import checklists

    with Store(tmp_path / "stale.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        postmortem.apply_prefill(store, ref)  # drafted during the incident
        clock.advance(minutes=10)
        checklists.resolve(store, ref, force=True)
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            editor = await open_editor(app, pilot, ref)
            stale = "Impact, Responders, Timeline drafted before the record changed: F3 drafts them again"
            await until(pilot, lambda: stale in str(editor.query_one("#pm-deadline").render()), what="the notice")
            await pilot.press("f3")
            await until(pilot, lambda: postmortem.stale_drafts(store, ref) == [], what="the drafts made again")
            await until(pilot, lambda: "drafted before" not in str(editor.query_one("#pm-deadline").render()),
                        what="the notice gone")
            assert "Resolved" in postmortem.read_postmortem(store, ref).sections["timeline"]
            assert ops.timeline(store, ref)[-1].text.startswith("Post-mortem sections drafted from the record: Impact")
