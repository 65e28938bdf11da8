"""The facts dialog (Shift+F2 or the palette on the command screen) and the declare dialog's
facts: edits become `facts` events, refusals keep what was typed, nothing is lost on Esc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from screens.command import CommandScreen
from screens.declare import DeclareDialog
from screens.facts import FactsDialog
from screens.pickers import Confirm
from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput
from storage.policy import Policy
from tests.test_keys_and_palette import recorded_notifications, run_from_palette
from tests.test_snapshots import keys, steady, typed
from tests.waiting import until
from tui.app import WarroomApp
from widgets.incident_header import IncidentHeader


def facts_events(store: Store, ref: str) -> list[tuple[str, str | None]]:
    return [(e.text, e.detail) for e in ops.timeline(store, ref) if e.kind == "facts"]


async def facts_dialog_of_the_incident(pilot: Pilot[Any]) -> FactsDialog:
    """Shift+F2 once the incident is shown; the facts dialog it opens."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.view, what="the incident")
    await pilot.press("shift+f2")
    return await facts_dialog(pilot)


async def facts_dialog(pilot: Pilot[Any]) -> FactsDialog:
    dialog = await until(
        pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, FactsDialog) else None, what="the facts dialog"
    )
    await pilot.pause()
    assert dialog is not None
    return dialog


def error_of(dialog: Any) -> str:
    error = dialog.query_one(".dialog-error", Static)
    return str(error.render()) if error.has_class("-shown") else ""


async def test_shift_f2_edits_two_facts_into_two_events_and_the_header_follows(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.view, what="the incident")
        screen = app.screen
        await pilot.press("shift+f2")
        dialog = await facts_dialog(pilot)
        fields = {name: dialog.query_one(f"#{name}", Input).value for name in ("functionality", "state", "audience")}
        assert fields == {"functionality": "checkout", "state": "failing", "audience": "EU customers"}
        assert dialog.query_one("#impact", Input).value.startswith("Card payments fail")
        assert dialog.query_one("#quantity", Select).value == "Some"
        assert dialog.query_one("#customers", Input).value == "Northwind Traders\nFabrikam"
        assert dialog.query_one("#full-outage", Checkbox).value is False
        dialog.query_one("#state", Input).value = "slow"
        dialog.query_one("#full-outage", Checkbox).value = True
        await pilot.pause()
        assert "checkout is slow for EU customers" in str(dialog.query_one("#preview", Static).render())
        assert facts_events(store, ref) == []  # the dialog never writes
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(facts_events(store, ref)) == 2, what="two facts events")
        assert facts_events(store, ref) == [
            ("Title changed from “checkout is failing for EU customers” to “checkout is slow for EU customers”",
             "title"),
            ("Marked as a full outage", "full_outage"),
        ]
        header = screen.query_one(IncidentHeader)
        await until(pilot, lambda: header.title == "checkout is slow for EU customers", what="the header's new title")
        assert app.screen is screen


async def test_the_palette_opens_it_and_saving_nothing_changed_says_so(
    demo: tuple[Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.view, what="the incident")
        seen = recorded_notifications(app, monkeypatch)
        await run_from_palette(pilot, app, "correct the facts", "Correct the facts")
        dialog = await facts_dialog(pilot)
        dialog.query_one("#state", Input).value = "failing  "  # spaces around a title part are not kept
        await pilot.press("ctrl+s")
        await until(pilot, lambda: seen, what="the notice")
        assert seen == ["Nothing changed: the facts are as in the record."]
        assert facts_events(store, ref) == []


async def test_esc_after_an_edit_asks_before_discarding(demo: tuple[Store, str]) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CommandScreen) and app.screen.view, what="the incident")
        await pilot.press("f14")  # how xterm-like terminals send Shift+F2
        dialog = await facts_dialog(pilot)
        await pilot.press("escape")  # nothing edited: closes at once
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the dialog closed")
        await pilot.press("shift+f2")
        dialog = await facts_dialog(pilot)
        dialog.query_one("#impact", Input).value = "Checkout is down"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
        await pilot.press("escape")  # no: back to the dialog, the text as typed
        await until(pilot, lambda: app.screen is dialog, what="the dialog again")
        assert dialog.query_one("#impact", Input).value == "Checkout is down"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
        await pilot.press("enter")  # discard
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the dialog closed")
        assert facts_events(store, ref) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("state", "   ", "state is required"),
        ("audience", "EU\x00customers", "audience holds a NUL character"),
        ("functionality", "x" * 10_000, "the incident's functionality is too long: 10,000 characters, at most 200"),
        ("impact", "i" * 10_001, "the incident's customer impact is too long: 10,001 characters, at most 10,000"),
    ],
)
async def test_a_refused_fact_is_said_in_the_dialog_and_keeps_the_text(
    demo: tuple[Store, str], field: str, value: str, message: str
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await facts_dialog_of_the_incident(pilot)
        dialog.query_one("#customers", Input).value = "Acme"
        dialog.query_one(f"#{field}", Input).value = value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and message in error_of(dialog)
        assert dialog.query_one(f"#{field}", Input).value == value
        assert dialog.query_one(f"#{field}", Input).has_focus
        assert dialog.query_one("#customers", Input).value == "Acme"
        assert facts_events(store, ref) == []


async def test_a_refusal_when_written_opens_the_dialog_again_with_what_was_typed(
    demo: tuple[Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await facts_dialog_of_the_incident(pilot)
        dialog.query_one("#functionality", Input).value = "payments"
        dialog.query_one("#customers", Input).value = "Acme, Globex"
        set_facts = ops.set_facts
        monkeypatch.setattr(ops, "set_facts", lambda *_a, **_k: (_ for _ in ()).throw(InvalidInput("refused once")))
        await pilot.press("ctrl+s")
        again = await until(
            pilot,
            lambda: app.screen if isinstance(app.screen, FactsDialog) and app.screen is not dialog else None,
            what="the dialog opened again",
        )
        await pilot.pause()
        assert again is not None
        assert again.query_one("#functionality", Input).value == "payments"
        assert again.query_one("#customers", Input).value == "Acme, Globex"
        assert "refused once" in error_of(again)
        monkeypatch.setattr(ops, "set_facts", set_facts)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(facts_events(store, ref)) == 2, what="the two facts written")
        assert ops.get_incident(store, ref).known_impacted_customers == "Acme, Globex"


async def test_text_is_shown_as_typed_and_control_characters_are_named(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await facts_dialog_of_the_incident(pilot)
        dialog.query_one("#functionality", Input).value = "[bold]checkout[/bold]"
        dialog.query_one("#state", Input).value = "fail\x1b[31ming"
        await pilot.pause()
        assert "Title: [bold]checkout[/bold] is fail␛[31ming" in str(dialog.query_one("#preview", Static).render())
        controls = dialog.query_one("#controls", Static)
        assert controls.display and "Control characters in state" in str(controls.render())
        dialog.query_one("#state", Input).value = "failing"
        await pilot.pause()
        assert not controls.display


async def test_a_pasted_block_keeps_every_line(demo: tuple[Store, str]) -> None:
    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await facts_dialog_of_the_incident(pilot)
        field = dialog.query_one("#customers", Input)
        field.value = ""
        field.focus()
        field.post_message(events.Paste("Acme\nGlobex\n\nInitech\n"))
        await pilot.pause()
        assert field.value == "Acme Globex Initech"


async def test_a_pasted_block_keeps_every_line_in_any_one_line_dialog_field(demo: tuple[Store, str]) -> None:
    from screens.pickers import HandoverDialog

    store, _ = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = HandoverDialog(store, "Subject Matter Expert", True, [], [])
        await app.push_screen(dialog)
        note = dialog.query_one("#note", Input)
        note.focus()
        note.post_message(events.Paste("payments-api\neu-gateway\r\n"))
        await until(pilot, lambda: note.value == "payments-api eu-gateway", what="both lines in the note")


async def test_the_declare_dialog_takes_every_fact(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "empty.db", policy=policy, clock=clock) as store:
        app = WarroomApp(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.action_declare()
            dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, DeclareDialog) else None)
            await pilot.pause()
            assert dialog is not None
            for name, value in (
                ("functionality", "checkout"), ("state", "failing"), ("audience", "everyone"),
                ("impact", "Card payments fail"), ("customers", "Acme"), ("ic", "Dana"),
            ):
                dialog.query_one(f"#{name}", Input).value = value
            dialog.query_one("#quantity", Select).value = "All"
            dialog.query_one("#full-outage", Checkbox).value = True
            await pilot.press("escape")  # something typed: asked, and Esc on the question keeps it
            await until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is dialog, what="the dialog again")
            assert dialog.query_one("#impact", Input).value == "Card payments fail"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="the new incident")
            (row,) = ops.list_incidents(store)
            incident = ops.get_incident(store, row.ref)
            assert (ops.title_of(store, incident), row.commander) == ("checkout is failing for everyone", "Dana")
            assert (incident.customer_impact, incident.quantity_impacted, incident.known_impacted_customers) == (
                "Card payments fail", "All", "Acme",
            )
            assert incident.full_outage is True


def test_declare_on_the_command_line_takes_full_outage(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all", full_outage=True).ref
    assert ops.get_incident(store, ref).full_outage is True
    with pytest.raises(InvalidInput, match="customer impact holds a NUL"):
        ops.declare(store, severity=1, functionality="api", state="down", audience="all", customer_impact="a\x00")


async def edited(pilot: Pilot[Any]) -> None:
    """The facts dialog with the state emptied and saved: refused, the reason shown."""
    await keys("shift+f2", screen="FactsDialog")(pilot)
    pilot.app.screen.query_one("#state", Input).value = ""
    await typed("", "ctrl+s")(pilot)
    await steady(pilot)


FLOWS = {
    "facts dialog": keys("shift+f2", screen="FactsDialog"),
    "facts dialog refusing an empty title part": edited,
}
"""(The declare dialog's are in test_snapshots.py, at both sizes.)"""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("flow", list(FLOWS), ids=[name.replace(" ", "_") for name in FLOWS])
def test_snapshot(snap_compare: Any, demo: tuple[Store, str], flow: str, size: tuple[int, int]) -> None:
    store, _ = demo
    assert snap_compare(WarroomApp(store), terminal_size=size, run_before=FLOWS[flow])


async def test_the_declare_dialog_names_the_owner_of_the_typed_functionality(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from textual.widgets import Static

    from storage.services import import_ownership

    with Store(tmp_path / "owned.db", policy=policy, clock=clock) as store:
        import_ownership(store, "functionality,service,team,paging_url\ncheckout,payments-api,Payments,"
                                "https://pager.example.com/payments\n")
        app = WarroomApp(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.action_declare()
            dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, DeclareDialog) else None)
            await pilot.pause()
            assert dialog is not None
            owner = dialog.query_one("#owner", Static)
            assert not owner.display
            await pilot.press(*"Checkout")
            await until(pilot, lambda: owner.display, what="the owner named")
            assert str(owner.render()) == "Owned by Payments (payments-api) · page https://pager.example.com/payments"
            await pilot.press("x")  # checkoutx: nobody owns it
            await until(pilot, lambda: not owner.display, what="the owner gone")
            dialog._show_owner("Checkout", "Owned by Payments")  # a look-up for "Checkout" ending late
            assert not owner.display


async def test_a_fact_changed_elsewhere_while_the_dialog_was_open_is_not_written_over_unseen(
    demo: tuple[Store, str],
) -> None:
    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await facts_dialog_of_the_incident(pilot)
        ops.set_facts(store, ref, customer_impact="Theirs: card payments fail", author="Lee Chen")  # another terminal
        dialog.query_one("#impact", Input).value = "Mine: checkout is down"
        await pilot.press("ctrl+s")
        again = await until(
            pilot, lambda: app.screen if isinstance(app.screen, FactsDialog) and app.screen is not dialog else None,
            what="the dialog again",
        )
        await pilot.pause()
        assert again is not None
        assert "customer impact: “Theirs: card payments fail”" in error_of(again)
        assert again.query_one("#impact", Input).value == "Mine: checkout is down"  # nothing typed is lost
        assert ops.get_incident(store, ref).customer_impact == "Theirs: card payments fail"
        await pilot.press("ctrl+s")  # seen: now it goes over theirs, both in the record
        await until(pilot, lambda: ops.get_incident(store, ref).customer_impact == "Mine: checkout is down",
                    what="the impact written")
        assert [detail for _, detail in facts_events(store, ref)] == ["customer_impact", "customer_impact"]
