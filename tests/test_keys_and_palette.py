"""Keys as data (`[keys]` in the config, applied with `App.set_keymap`) and the command
palette's context commands (`tui.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from screens.command import CommandScreen
from screens.help import HelpScreen
from screens.pickers import SeverityPicker
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.errors import ConfigError
from storage.policy import Policy, load_policy
from tests.waiting import until
from tui.app import WarroomApp
from tui.keymap import binding_ids, key_problem, unknown_ids, usable_keys


def policy_with(tmp_path: Path, text: str) -> Policy:
    config = tmp_path / "keys.toml"
    config.write_text('timezone = "Europe/Berlin"\n' + text)
    return load_policy(config)


def footer_keys(app: WarroomApp) -> dict[str, str]:
    """What the footer shows: each binding's description and its key."""
    return {key.description: key.key_display or key.key for key in app.screen.query(FooterKey)}


def recorded_notifications(app: WarroomApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def notify(message: str, **_: Any) -> None:
        seen.append(message)

    monkeypatch.setattr(app, "notify", notify)
    return seen


# --------------------------------------------------------------------------- [keys]


def test_keys_table_reads_dotted_and_quoted_ids(tmp_path: Path) -> None:
    policy = policy_with(tmp_path, '[keys]\ncommand.severity = "f10"\n"app.help" = "f1, question_mark"\n')
    assert policy.keys == {"command.severity": "f10", "app.help": "f1, question_mark"}
    assert load_policy().keys == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('keys = "f2"\n', "keys: expected a table"),
        ('[keys]\n"app.help" = 3\n', 'keys."app.help": expected text in quotes, got the number 3'),
        ('[keys]\n"app.help" = ""\n', 'keys."app.help": must not be empty'),
    ],
)
def test_a_keys_table_of_the_wrong_shape_is_one_config_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace('"', '"')):
        policy_with(tmp_path, text)


@pytest.mark.parametrize(
    "key", ["f10", "ctrl+s", "?", "question_mark", "ctrl+shift+x", "a", "escape", "pageup", "comma"]
)
def test_key_names_textual_knows(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("ctlr+s", "'ctlr' in 'ctlr+s' is not a modifier"),
        ("f66", "'f66' is not a key name: did you mean 'f6'?"),
        ("F10", "write 'f10'"),
        ("nokey", "'nokey' is not a key name"),
    ],
)
def test_bad_key_names_say_why(key: str, problem: str) -> None:
    found = key_problem(key)
    assert found is not None and problem in found


def test_every_binding_has_a_known_id_and_unknown_ones_get_a_suggestion() -> None:
    ids = binding_ids([WarroomApp])
    assert {"app.help", "app.quit", "command.severity", "timeline.up", "role_roster.handover"} <= ids
    assert unknown_ids(["command.sevrity"], ids) == [
        "no binding has the id 'command.sevrity' (did you mean 'command.severity'?)"
    ]
    assert usable_keys({"app.help": "f1,bogus", "command.utc": "f11"}) == (
        {"command.utc": "f11"},
        ["app.help: 'bogus' is not a key name"],
    )


async def test_a_remapped_key_works_and_the_footer_shows_it(tmp_path: Path, clock: FrozenClock) -> None:
    policy = policy_with(tmp_path, '[keys]\n"command.severity" = "f10"\n')
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as store:
        build_demo(store)
        app = WarroomApp(store)
        async with app.run_test(size=(160, 40)) as pilot:
            assert isinstance(app.screen, CommandScreen)
            await until(pilot, lambda: footer_keys(app).get("Severity") == "f10", what="f10 in the footer")
            await pilot.press("f2")  # the default key no longer opens it
            await pilot.pause()
            assert isinstance(app.screen, CommandScreen)
            await pilot.press("f10")
            await until(pilot, lambda: isinstance(app.screen, SeverityPicker), what="the severity picker")
            await pilot.press("escape")
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            keys = {description: key for key, description in help_screen.key_rows}
            assert keys["Change the incident's severity"].lower() == "f10"  # F1 lists the key in use, not the default


async def test_bad_keys_get_one_message_and_the_app_starts_with_the_defaults(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = policy_with(
        tmp_path, '[keys]\n"command.sevrity" = "f10"\n"command.milestone" = "ctlr+m"\n"command.utc" = "f11"\n'
    )
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as store:
        build_demo(store)
        app = WarroomApp(store)
        seen = recorded_notifications(app, monkeypatch)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: seen, what="the [keys] message")
            assert len(seen) == 1
            assert "command.milestone: 'ctlr' in 'ctlr+m' is not a modifier" in seen[0]
            assert "no binding has the id 'command.sevrity' (did you mean 'command.severity'?)" in seen[0]
            assert seen[0].endswith("Those actions keep their default keys.")
            await until(  # the footer is rebuilt after the next refresh
                pilot,
                lambda: tuple(footer_keys(app).get(name) for name in ("Severity", "Milestone", "UTC"))
                == ("f2", "f3", "f11"),
                what="the footer showing the default keys and F11 for UTC",
            )
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, SeverityPicker), what="the severity picker")


async def test_a_key_given_to_an_action_that_another_one_keeps_is_reported(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`"command.severity" = "f3"`: F3 is still the milestone key, so one of the two can no
    longer be reached from the keyboard; the [keys] message says so instead of nothing."""
    policy = policy_with(tmp_path, '[keys]\n"command.severity" = "f3"\n')
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as store:
        build_demo(store)
        app = WarroomApp(store)
        seen = recorded_notifications(app, monkeypatch)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: seen, what="the [keys] message")
            assert len(seen) == 1
            assert "'f3'" in seen[0] and "command.severity" in seen[0] and "command.milestone" in seen[0]


# --------------------------------------------------------------------------- palette


async def run_from_palette(pilot: Any, app: WarroomApp, query: str, expected: str) -> None:
    """Open the palette, type `query`, and choose the hit `expected` once it is listed."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*query)
    options = app.screen.query_one(CommandList)

    def hit_indexes() -> list[int]:
        return [i for i, option in enumerate(options.options) if expected in str(option.prompt)]

    found = await until(pilot, hit_indexes, what=f"{expected!r} listed")
    options.highlighted = found[0]
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette), what="the palette closed")


async def test_palette_opens_another_incident(demo: tuple[Store, str]) -> None:
    from storage import ops

    store, ref = demo
    resolved = next(row.ref for row in ops.list_incidents(store) if row.status == "resolved")
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, CommandScreen) and app.screen.ref == ref
        await run_from_palette(pilot, app, "open search", f"Open {resolved}")
        await until(
            pilot,
            lambda: isinstance(app.screen, CommandScreen) and app.screen.ref == resolved,
            what=f"the command screen of {resolved}",
        )
        assert len(app.screen_stack) == 2  # opened as the incident list opens one: over the default screen


async def test_palette_hands_a_role_over_to_someone_in_the_roster(demo: tuple[Store, str]) -> None:
    from storage import ops

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await run_from_palette(pilot, app, "hand over scribe to ana", "Hand over Scribe to Ana Souza")

        def scribes() -> set[str]:
            return {h.person for h in ops.role_history(store, ref) if h.role == "scribe" and h.ended_at is None}

        await until(pilot, lambda: scribes() == {"Ana Souza"}, what="Ana Souza as scribe")


async def test_palette_sets_the_severity_and_marks_a_milestone(demo: tuple[Store, str]) -> None:
    from storage import ops

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        assert ops.get_incident(store, ref).severity == 1
        await run_from_palette(pilot, app, "set severity sev2", "Set severity SEV2")
        await until(pilot, lambda: ops.get_incident(store, ref).severity == 2, what="SEV2")
        await run_from_palette(pilot, app, "mark milestone mitigated", "Mark milestone mitigated")
        await until(pilot, lambda: "mitigated" in ops.milestones(store, ref), what="mitigated")


async def test_palette_resolving_with_unmet_criteria_asks_first(demo: tuple[Store, str]) -> None:
    """"Mark milestone resolved" from the palette checks the resolution criteria as F3 does:
    unmet ones are shown and nothing is written until confirmed; Escape leaves it open."""
    from screens.checklist import ResolveAnyway
    from storage import ops

    store, ref = demo
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await run_from_palette(pilot, app, "mark milestone resolved", "Mark milestone resolved")
        await until(pilot, lambda: isinstance(app.screen, ResolveAnyway), what="the unmet criteria shown")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CommandScreen), what="back on the incident")
        await pilot.pause(0.5)
        assert ops.get_incident(store, ref).status != "resolved"
        await run_from_palette(pilot, app, "mark milestone resolved", "Mark milestone resolved")
        await until(pilot, lambda: isinstance(app.screen, ResolveAnyway), what="asked again")
        await pilot.press("enter")
        await until(pilot, lambda: ops.get_incident(store, ref).status == "resolved", what="resolved anyway")


async def test_palette_shows_names_as_typed_never_as_markup(demo: tuple[Store, str]) -> None:
    from storage import ops

    store, ref = demo
    ops.assign_role(store, ref, "sme", "[@click=app.quit]Mallory[/]", note="")
    app = WarroomApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await run_from_palette(
            pilot, app, "hand over scribe to mallory", "Hand over Scribe to [@click=app.quit]Mallory[/]"
        )
        await until(
            pilot,
            lambda: any(h.person.endswith("Mallory[/]") and h.role == "scribe" for h in ops.role_history(store, ref)),
            what="the name as typed, as scribe",
        )
        assert app.is_running


async def test_keys_apply_when_the_record_opens_after_the_first_paint(tmp_path: Path, clock: FrozenClock) -> None:
    """The `warroom` command's way: the app paints, then opens the record (and its config)."""
    from textual.command import CommandList, CommandPalette

    policy = policy_with(tmp_path, '[keys]\n"command.severity" = "f10"\n')
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as seed:
        build_demo(seed)
    opened: list[Store] = []

    def opener() -> Store:
        opened.append(Store(tmp_path / "demo.db", policy=policy, clock=clock))
        return opened[-1]

    app = WarroomApp(opener=opener)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: footer_keys(app).get("Severity") == "f10", what="f10 in the footer")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"severity")
        options = app.screen.query_one(CommandList)
        await until(
            pilot,
            lambda: any("Severity (f10)" in str(o.prompt) for o in options.options),
            what="the palette naming f10",
        )
    opened[0].close()


async def test_the_default_configs_keys_example_works_as_it_says(tmp_path: Path, clock: FrozenClock) -> None:
    """The `[keys]` example in `warroom config`, uncommented: its comment names the action's
    real default key, and its key opens that action rather than another one's."""
    import re

    from storage.policy import default_config_text

    example = re.search(r'#   ("command\.severity" = "(\w+)")\s+# change the severity \(default: ([\w+]+)\)',
                        default_config_text())
    assert example is not None
    line, key, default = example.groups()
    assert default.lower() == "f2"  # CommandScreen's command.severity
    policy = policy_with(tmp_path, f"[keys]\n{line}\n")
    with Store(tmp_path / "demo.db", policy=policy, clock=clock) as store:
        build_demo(store)
        app = WarroomApp(store)
        async with app.run_test(size=(160, 40)) as pilot:
            assert isinstance(app.screen, CommandScreen)
            await until(pilot, lambda: footer_keys(app).get("Severity") == key, what="the key in the footer")
            assert list(footer_keys(app).values()).count(key) == 1  # no other action on the same key
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, SeverityPicker), what="the severity picker")


async def test_a_burst_of_binding_changes_redraws_the_footer_once(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Footer

    with Store(tmp_path / "demo.db", policy=load_policy(), clock=clock) as store:
        build_demo(store)
        app = WarroomApp(store)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: footer_keys(app).get("Severity") == "f2", what="the footer's keys")
            recomposed: list[bool] = []
            original = Footer.recompose

            async def counted(self: Footer) -> None:
                recomposed.append(True)
                await original(self)

            monkeypatch.setattr(Footer, "recompose", counted)
            for _ in range(5):
                app.screen.refresh_bindings()
            await pilot.pause()
            await pilot.pause()
            assert len(recomposed) <= 2, recomposed  # one per refresh at most, not one per change (5)
            assert footer_keys(app).get("Severity") == "f2"
