"""Who you are: `--as`, WARROOM_USER, the config's `user`, the first-start question, and
the name on every event, update and sign-off."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from textual.pilot import Pilot

from screens.command import CommandScreen
from screens.help import HelpScreen
from screens.identity import NameDialog
from screens.incident_list import IncidentListScreen
from storage import checklists, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.errors import ConfigError, InvalidInput
from storage.identity import (
    AS_OPTION,
    ASKED,
    CONFIG,
    ENV,
    LOGIN,
    Identity,
    check_name,
    resolve_identity,
    save_user,
    toml_string,
)
from storage.policy import load_policy, user_config_file
from tests.conftest import TEST_CONFIG
from tests.waiting import until
from tui.app import WarroomApp
from tui.cli import main
from widgets.incident_header import IncidentHeader
from widgets.literal_input import LiteralInput

FROZEN = "2026-11-23T14:40:00Z"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> str:
    """The operating system's login name, as the tests see it (not the real one: `root` here)."""
    monkeypatch.setattr("getpass.getuser", lambda: "opslogin")
    return "opslogin"


@pytest.fixture
def nameless(monkeypatch: pytest.MonkeyPatch, login: str, isolated_environment: Path) -> Path:
    """No --as, no WARROOM_USER, no `user` in the config file; returns that file."""
    monkeypatch.delenv("WARROOM_USER", raising=False)
    return isolated_environment / "config.toml"


# --- the rule ----------------------------------------------------------------------------


def test_as_wins_over_the_environment_which_wins_over_the_config(monkeypatch: pytest.MonkeyPatch, login: str) -> None:
    monkeypatch.setenv("WARROOM_USER", "Env Person")
    assert resolve_identity("  Dana Okafor ", "Config Person") == Identity("Dana Okafor", AS_OPTION)
    assert resolve_identity(None, "Config Person") == Identity("Env Person", ENV)
    monkeypatch.setenv("WARROOM_USER", "")  # empty counts as unset
    assert resolve_identity(None, "Config Person") == Identity("Config Person", CONFIG)
    monkeypatch.delenv("WARROOM_USER")
    assert resolve_identity(None, None) == Identity("opslogin", LOGIN)
    assert not resolve_identity(None, None).chosen and resolve_identity(None, "x").chosen


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "a name cannot be empty"),
        ("   ", "a name cannot be empty"),
        ("Dana\x00Okafor", "holds a control character"),
        ("Dana\x1b[31m", "holds a control character"),
        ("Dana\nOkafor", "holds a control character"),
        ("Dana\u202eOkafor", "holds a control character"),
        ("x" * 201, "a name is at most 200 characters; this one has 201"),
        ("J\udcf6rg", "holds bytes that are not UTF-8 text"),
    ],
)
def test_a_name_that_cannot_be_shown_is_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=f"^--as: .*{reason}"):
        check_name(name, "--as")


def test_a_name_is_kept_as_typed_without_surrounding_spaces() -> None:
    assert check_name("  Zoë O'Brien-Łukasz [ops] \"DJ\" ", "--as") == "Zoë O'Brien-Łukasz [ops] \"DJ\""
    assert check_name("x" * 200, "--as") == "x" * 200


@pytest.mark.parametrize("name", ['Dana "DJ" Okafor', "back\\slash", "tab\there", "Zoë 🚒", "'single'"])
def test_toml_strings_read_back_as_written(name: str) -> None:
    assert tomllib.loads(f"user = {toml_string(name)}\n")["user"] == name


def test_the_config_file_sets_user(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('user = "  Dana Okafor"\n' + TEST_CONFIG)
    assert load_policy(config).user == "Dana Okafor"
    config.write_text('user = "Dana\\u001b[2J"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: user: .* holds a control character"):
        load_policy(config)
    config.write_text("user = 42\n")
    with pytest.raises(ConfigError, match=r"config\.toml: user: expected text in quotes, got the number 42"):
        load_policy(config)
    config.write_text('user = ""\n')
    with pytest.raises(ConfigError, match=r"config\.toml: user: a name cannot be empty"):
        load_policy(config)


def test_the_store_carries_the_name_into_every_write(tmp_path: Path, clock: FrozenClock, nameless: Path) -> None:
    nameless.write_text('user = "Dana Okafor"\n' + TEST_CONFIG)
    with Store(tmp_path / "w.db", policy=load_policy(), clock=clock) as store:
        assert store.identity == Identity("Dana Okafor", CONFIG)
        ref = ops.declare(
            store, severity=1, functionality="login", state="failing", audience="all", ic="Dana Okafor"
        ).ref
        ops.log(store, ref, "first")
        ops.edit_event(store, ref, 3, "first, edited")
        ops.record_status_update(store, ref, channel="internal", kind="update")
        checklists.sign_off(store, ref)  # Dana is the IC
        assert {event.author for event in ops.timeline(store, ref)} == {"Dana Okafor"}
        assert ops.event_history(store, ref, 3)[0].replaced_by == "Dana Okafor"


# --- saving the name ---------------------------------------------------------------------


def test_saving_creates_a_private_file(tmp_path: Path) -> None:
    config = tmp_path / "new" / "warroom" / "config.toml"
    save_user(config, ' Dana "DJ" Okafor ')
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert load_policy(config).user == 'Dana "DJ" Okafor'


def test_saving_keeps_what_the_file_held(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    before = '# my settings\ntimezone = "Europe/Berlin"\n\n[severity.SEV1]\ncheckin = "15m"\n'
    config.write_text(before)
    config.chmod(0o640)
    link = tmp_path / "link.toml"
    link.symlink_to(config)
    save_user(link, "Dana Okafor")
    assert link.is_symlink()
    assert config.read_text() == 'user = "Dana Okafor"\n' + before
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    policy = load_policy(config)
    assert (policy.user, policy.timezone, policy.severities[1].checkin.total_seconds()) == (
        "Dana Okafor",
        "Europe/Berlin",
        900,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "link.toml"]  # no temporary file left


@pytest.mark.parametrize(
    ("text", "reason"),
    [('user = "Lee"\n', "already sets user"), ("timezone = \n", "invalid TOML")],
)
def test_saving_leaves_a_file_it_cannot_extend_untouched(tmp_path: Path, text: str, reason: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=reason):
        save_user(config, "Dana Okafor")
    assert config.read_text() == text


# --- the command line --------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "cli.db"))
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


def _declare(cli: Callable[..., Result], *before: str) -> str:
    result = cli(
        *before,
        "declare",
        "--sev",
        "1",
        "--functionality",
        "login",
        "--state",
        "failing",
        "--audience",
        "EU customers",
        "--ic",
        "Dana Okafor",
    )
    return result.stdout.split()[0]


def _authors(cli: Callable[..., Result], ref: str) -> list[str]:
    """The author of each event, from `warroom timeline`."""
    lines = cli("timeline", ref).stdout.splitlines()
    return [re.match(r"#\d+ +\S+ \S+ \S+ [! ] \S+ +(.+?): ", line)[1] for line in lines]  # type: ignore[index]


def test_as_before_the_command_sets_the_author_of_events_updates_and_the_sign_off(cli: Callable[..., Result]) -> None:
    ref = _declare(cli, "--as", "Dana Okafor")
    cli("--as", "Dana Okafor", "log", ref, "rolled back")
    cli("--as", "Dana Okafor", "update", ref, "internal", "initial")
    assert cli("--as", "Dana Okafor", "signoff", ref).stdout.startswith(
        "IC has reviewed and signed off the record: signed off by Dana Okafor at"
    )
    assert _authors(cli, ref) == ["Dana Okafor"] * 5


def test_the_ic_cannot_sign_off_as_someone_else(cli: Callable[..., Result]) -> None:
    ref = _declare(cli)
    refused = cli("signoff", ref, ok=False)  # as WARROOM_USER=tester
    assert refused.exit_code == 1
    assert refused.stderr == "warroom: only the Incident Commander (Dana Okafor) can sign off the record, not tester\n"
    assert cli("signoff", ref, "--as", "dana okafor").exit_code == 0


def test_as_after_the_command_wins_and_author_still_overrides(cli: Callable[..., Result]) -> None:
    ref = _declare(cli, "--as", "Dana Okafor")
    cli("--as", "Dana Okafor", "log", ref, "--as", "Lee Chen", "one")
    cli("log", ref, "--as", "Lee Chen", "--author", "Sam Lee", "two")
    cli("--as", "Lee Chen", "edit", ref, "3", "one, edited")
    assert _authors(cli, ref)[2:] == ["Lee Chen", "Sam Lee"]
    assert "by Lee Chen]" in cli("history", ref, "3").stdout


def test_the_config_user_and_the_environment_set_the_author(
    cli: Callable[..., Result], nameless: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nameless.write_text('user = "Config Person"\n' + TEST_CONFIG)
    ref = _declare(cli)
    cli("status", ref, "identified")
    monkeypatch.setenv("WARROOM_USER", "Env Person")
    cli("log", ref, "from the environment")
    cli("--as", "As Person", "log", ref, "from --as")
    assert _authors(cli, ref)[-4:] == ["Config Person", "Config Person", "Env Person", "As Person"]


def test_with_no_name_set_the_command_line_uses_the_login_name(cli: Callable[..., Result], nameless: Path) -> None:
    ref = _declare(cli)
    assert set(_authors(cli, ref)) == {"opslogin"}


def test_a_name_that_cannot_be_used_is_refused_before_anything_is_written(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _declare(cli)
    refused = cli("--as", "Dana\x1b[2J", "log", ref, "never written", ok=False)
    assert refused.exit_code == 2
    assert "Invalid value for '--as': 'Dana\\x1b[2J' holds a control character" in refused.stderr
    refused = cli("log", ref, "--as", "", "never written", ok=False)
    assert "Invalid value for '--as': a name cannot be empty" in refused.stderr
    monkeypatch.setenv("WARROOM_USER", "   ")
    refused = cli("log", ref, "never written", ok=False)
    assert refused.exit_code == 1 and refused.stderr == "warroom: WARROOM_USER: a name cannot be empty\n"
    monkeypatch.setenv("WARROOM_USER", "tester")
    assert "never written" not in cli("timeline", ref).stdout


def test_the_default_config_and_the_help_tell_how_to_set_a_name(cli: Callable[..., Result]) -> None:
    config = cli("config").stdout
    assert '# user = "Dana Okafor"' in config
    uncommented = config.replace('# user = "Dana Okafor"', 'user = "Dana Okafor"')
    assert tomllib.loads(uncommented)["user"] == "Dana Okafor"
    assert "--as NAME" in cli("--help").stdout and "--as NAME" in cli("log", "--help").stdout


def test_the_installed_command_takes_as_before_the_subcommand(tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_DB": str(tmp_path / "s.db"), "WARROOM_FROZEN_TIME": FROZEN}
    env.pop("WARROOM_USER")

    def warroom(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    ref = warroom(
        "--as",
        "Dana Okafor",
        "declare",
        "--sev",
        "2",
        "--functionality",
        "api",
        "--state",
        "slow",
        "--audience",
        "all",
        "--ic",
        "Dana Okafor",
    ).split()[0]
    warroom("--as", "Dana Okafor", "log", ref, "text")
    assert "Dana Okafor: text" in warroom("timeline", ref)


# --- the app -----------------------------------------------------------------------------


def _seeded(path: Path, clock: FrozenClock) -> str:
    with Store(path, policy=load_policy(), clock=clock, identity=Identity("Seeder", AS_OPTION)) as seed:
        return build_demo(seed)


def _app(path: Path, clock: FrozenClock) -> WarroomApp:
    """The app as `warroom` runs it: the record (and who you are) opened in a worker."""
    return WarroomApp(opener=lambda: Store(path, policy=load_policy(), clock=clock))


async def _first_start(
    path: Path, clock: FrozenClock, answer: Callable[[Pilot[None], NameDialog], Awaitable[None]]
) -> tuple[WarroomApp, Store]:
    app = _app(path, clock)
    toasts: list[str] = []  # every toast, kept: on a loaded machine one can time out before it is read
    shown = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        toasts.append(message)
        shown(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, NameDialog), what="the name dialog")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NameDialog)
        command = app.screen_stack[-2]
        assert isinstance(command, CommandScreen) and command.ref is None  # nothing shown, nothing written yet
        await answer(pilot, dialog)
        await until(
            pilot,
            lambda: isinstance(app.screen, CommandScreen) and app.screen.ref is not None,
            what="the incident open on the command screen",
        )
        await until(
            pilot, lambda: not any(w.group == "identity" and w.is_running for w in app.workers), what="the name saved"
        )
        store = app.store
        assert store is not None
        header = app.screen.query_one(IncidentHeader)
        app.screen.query_one("#scribe", LiteralInput).value = "first line"
        await pilot.press("enter")
        await until(
            pilot,
            lambda: ops.timeline(store, app.screen.ref)[-1].text == "first line",  # type: ignore[attr-defined]
            what="the first line in the record",
        )
        app.header_text = header.render().plain  # type: ignore[attr-defined]
        app.toasts = toasts  # type: ignore[attr-defined]
    store.close()
    return app, store


async def test_the_first_start_asks_saves_and_shows_the_name(
    tmp_path: Path, clock: FrozenClock, nameless: Path
) -> None:
    path = tmp_path / "w.db"
    ref = _seeded(path, clock)
    config_before = nameless.read_text()

    async def answer(pilot: Pilot[None], dialog: NameDialog) -> None:
        field = dialog.query_one("#name", LiteralInput)
        assert field.value == "opslogin"  # the login name, offered
        await pilot.press("D", "a")
        assert field.value == "Da"  # typing replaces the offer
        field.value = "Dana \x1b Okafor"  # as pasted
        await pilot.press("enter")
        assert "holds a control character" in str(dialog.query_one(".dialog-error").render())
        assert field.value == "Dana \x1b Okafor"  # kept, to correct
        field.value = "  Dana Okafor "
        await pilot.press("enter")

    app, store = await _first_start(path, clock, answer)
    assert store.identity == Identity("Dana Okafor", ASKED)
    assert "you: Dana Okafor" in app.header_text  # type: ignore[attr-defined]
    assert ops.timeline(store, ref)[-1].author == "Dana Okafor"
    assert nameless.read_text() == 'user = "Dana Okafor"\n' + config_before
    assert load_policy().user == "Dana Okafor" and load_policy().timezone == "Europe/Berlin"
    assert any("saved as user in" in toast for toast in app.toasts)  # type: ignore[attr-defined]
    assert load_policy().user == "Dana Okafor"
    # The next start does not ask.
    app = _app(path, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: isinstance(app.screen, CommandScreen) and app.screen.ref is not None,
            what="the incident open on the command screen",
        )
        assert not any(isinstance(screen, NameDialog) for screen in app.screen_stack)
        assert app.screen.query_one(IncidentHeader).you == "Dana Okafor"
    assert app.store is not None
    app.store.close()


async def test_escape_keeps_the_login_name_for_this_run_only(
    tmp_path: Path, clock: FrozenClock, nameless: Path
) -> None:
    path = tmp_path / "w.db"
    ref = _seeded(path, clock)
    config_before = nameless.read_text()

    async def answer(pilot: Pilot[None], dialog: NameDialog) -> None:
        await pilot.press("escape")

    app, store = await _first_start(path, clock, answer)
    assert store.identity == Identity("opslogin", LOGIN)
    assert ops.timeline(store, ref)[-1].author == "opslogin"
    assert "you: opslogin" in app.header_text  # type: ignore[attr-defined]
    assert nameless.read_text() == config_before
    assert any("for this run only" in toast for toast in app.toasts)  # type: ignore[attr-defined]


async def test_a_config_file_that_cannot_be_written_keeps_the_name_for_this_run(
    tmp_path: Path, clock: FrozenClock, nameless: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.db"
    ref = _seeded(path, clock)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.delenv("WARROOM_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker / "config"))  # under a file: no folder can be made
    assert user_config_file().parent.parent == blocker / "config"

    async def answer(pilot: Pilot[None], dialog: NameDialog) -> None:
        dialog.query_one("#name", LiteralInput).value = "Dana Okafor"
        await pilot.press("enter")

    app, store = await _first_start(path, clock, answer)
    assert ops.timeline(store, ref)[-1].author == "Dana Okafor"
    shown = app.toasts  # type: ignore[attr-defined]
    assert any("You are Dana Okafor for this run, but the name was not saved: cannot write" in toast for toast in shown)


async def test_the_app_does_not_ask_when_a_name_is_set(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "w.db"
    _seeded(path, clock)
    app = _app(path, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: isinstance(app.screen, CommandScreen) and app.screen.ref is not None,
            what="the incident open on the command screen",
        )
        assert not any(isinstance(screen, NameDialog) for screen in app.screen_stack)
        assert app.screen.query_one(IncidentHeader).you == "tester"  # WARROOM_USER
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        who = str(app.screen.query_one("#help-identity").render())
        assert "You are tester (from WARROOM_USER)" in who and "--as NAME" in who
    assert app.store is not None
    app.store.close()


async def test_the_incident_list_shows_who_you_are(tmp_path: Path, clock: FrozenClock, nameless: Path) -> None:
    async def answer(pilot: Pilot[None], dialog: NameDialog) -> None:
        dialog.query_one("#name", LiteralInput).value = "Dana Okafor"
        await pilot.press("enter")

    app = _app(tmp_path / "empty.db", clock)  # no incident: the list
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, NameDialog), what="the name dialog")
        await pilot.pause()
        await answer(pilot, app.screen)  # type: ignore[arg-type]
        await until(pilot, lambda: isinstance(app.screen, IncidentListScreen), what="the incident list")
        await pilot.pause()
        assert app.screen.sub_title == "you: Dana Okafor"
    assert app.store is not None
    app.store.close()


@pytest.mark.parametrize("name", ["\u200b", "\u3164", "a\u200fb", "\ufeffBOM", "\U000e0041x", " \u2800 "])
def test_an_invisible_or_blank_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(name, "--as")


def test_the_name_is_not_saved_over_a_file_that_is_not_a_plain_writable_one(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "config.toml"
    link.symlink_to(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        save_user(link, "Dana")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to(tmp_path / "missing" / "config.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        save_user(dangling, "Dana")
    assert not (tmp_path / "missing").exists()
    read_only = tmp_path / "read-only.toml"
    read_only.write_text('timezone = "UTC"\n')
    read_only.chmod(0o444)
    with pytest.raises(ConfigError, match="read-only"):
        save_user(read_only, "Dana")
    assert read_only.read_text() == 'timezone = "UTC"\n'


def test_sign_off_at_an_old_time_asks_like_every_at(cli: Callable[..., Result]) -> None:
    ref = _declare(cli)
    refused = cli("--as", "Dana Okafor", "signoff", ref, "--at", "2001-01-01T00:00", ok=False)
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert cli("--as", "Dana Okafor", "signoff", ref, "--at", "-1m", "--yes").exit_code == 0
