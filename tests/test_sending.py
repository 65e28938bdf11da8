"""Messages go out through the command the config names for their channel, a real process
here: the message on its standard input, recorded as sent only when it succeeds; a failure,
a hang or a missing program records nothing and says why, in the CLI and the composer."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from screens.composer import ComposerScreen
from storage import comms, ops
from storage.db import Store
from storage.errors import ConfigError
from storage.policy import load_policy
from storage.policy_model import SendCommand
from storage.sending import SendFailed, message_text, send
from tests.conftest import NOW
from tests.waiting import until
from tui.app import WarroomApp
from tui.cli import main

SCRIPT = """
import json, os, sys, time
message = sys.stdin.read()
out = sys.argv[1]
env = {k: v for k, v in os.environ.items() if k.startswith("WARROOM_")}
with open(out, "w", encoding="utf-8") as f:
    json.dump({"message": message, "env": env}, f)
mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
if mode == "fail":
    print("relay refused: \\x1b[31m550 no such list", file=sys.stderr)
    sys.exit(3)
if mode == "hang":
    time.sleep(30)
print("queued as 42")
"""


@pytest.fixture
def sender(tmp_path: Path) -> Any:
    script = tmp_path / "send.py"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "sent.json"

    def make(mode: str = "ok", timeout: float = 10.0) -> SendCommand:
        headers = (("To", "incidents@example.com"),)
        return SendCommand((sys.executable, str(script), str(out), mode), timedelta(seconds=timeout), headers)

    make.out = out  # type: ignore[attr-defined]
    return make


def with_sender(store: Store, command: SendCommand) -> None:
    store.policy = dataclasses.replace(store.policy, senders={"internal": command})


def declare(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="checkout", state="failing", audience="EU").ref


def test_the_command_gets_the_message_and_its_facts_and_the_update_is_recorded(store: Store, sender: Any) -> None:
    ref = declare(store)
    with_sender(store, sender())
    draft = comms.draft_message(store, ref, "internal_update")
    sent = send(store, ref, draft)
    assert sent.said == "queued as 42"
    got = json.loads(sender.out.read_text())
    assert got["message"] == f"To: incidents@example.com\nSubject: {draft.subject}\n\n{draft.body.rstrip()}\n"
    facts = {"WARROOM_REF": ref, "WARROOM_KIND": "internal_update", "WARROOM_CHANNEL": "internal",
             "WARROOM_SUBJECT": draft.subject}
    assert {name: got["env"].get(name) for name in facts} == facts
    assert ops.status_updates(store, ref)[-1].subject == draft.subject


@pytest.mark.parametrize(
    ("mode", "timeout", "refusal"),
    [
        ("fail", 10.0, r"failed \(status 3\): relay refused: ␛\[31m550 no such list; not sent"),
        ("hang", 0.5, r"did not finish within 0\.5 s and was stopped: not recorded as sent"),
    ],
    ids=["exit-3", "hangs"],
)
def test_a_command_that_fails_or_hangs_records_nothing_and_says_why(
    store: Store, sender: Any, mode: str, timeout: float, refusal: str
) -> None:
    ref = declare(store)
    with_sender(store, sender(mode, timeout))
    before = len(ops.status_updates(store, ref))
    with pytest.raises(SendFailed, match=refusal):
        send(store, ref, comms.draft_message(store, ref, "internal_update"))
    assert len(ops.status_updates(store, ref)) == before


def test_a_missing_program_records_nothing(store: Store) -> None:
    ref = declare(store)
    with_sender(store, SendCommand(("/nonexistent/sendmail", "-t")))
    with pytest.raises(SendFailed, match="'/nonexistent/sendmail' was not found: not sent"):
        send(store, ref, comms.draft_message(store, ref, "internal_update"))
    assert ops.status_updates(store, ref) == []


def test_a_subject_cannot_add_a_header() -> None:
    draft = comms.Draft("internal_update", "internal", "update", "x\r\nBcc: all@example.com", "body")
    text = message_text(draft, SendCommand(("cat",), headers=(("To", "a@example.com"),)))
    assert text.splitlines()[:3] == ["To: a@example.com", "Subject: x Bcc: all@example.com", ""]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('[send.pager]\ncommand = ["x"]', "send.pager: no channel 'pager': use one of internal, status_page"),
        ("[send.internal]\ncommand = []", "send.internal.command: name the program to run first"),
        ('[send.internal]\ncommand = ["x"]\nheaders = { Subject = "y" }', "send.internal.headers.Subject: a header"),
        ('[send.internal]\ncommand = ["x"]\nheaders = { To = "a\\nBcc: b" }', "a header value is one line"),
        ('[send.internal]\ncommand = "sendmail -t"', "send.internal.command: expected an array of texts"),
        ('[send.internal]\ncommand = ["x", "a\\u0000b"]', "send.internal.command: a program or argument cannot hold"),
    ],
)
def test_a_bad_send_section_is_one_clear_config_error(tmp_path: Path, section: str, expected: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(section + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_policy(config)


def test_comms_send_runs_the_command_named_in_the_config(store: Store, db_url: str, tmp_path: Path,
                                                        sender: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.isoformat())
    ref = declare(store)
    command = sender()
    config = tmp_path / "config.toml"
    config.write_text(f"[send.internal]\ncommand = {json.dumps(list(command.command))}\ntimeout = \"10s\"\n")
    result = CliRunner().invoke(main, ["comms", ref, "internal_update", "--send", "--db", db_url,
                                       "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Sent through {' '.join(command.command)}: queued as 42" in result.output
    assert len(ops.status_updates(store, ref)) == 1
    failing = config.read_text().replace('"ok"', '"fail"')
    config.write_text(failing)
    refused = CliRunner().invoke(main, ["comms", ref, "internal_update", "--send", "--db", db_url,
                                        "--config", str(config)], catch_exceptions=False)
    assert refused.exit_code != 0 and "failed (status 3)" in refused.output
    assert len(ops.status_updates(store, ref)) == 1


def app_noting(store: Store) -> tuple[WarroomApp, list[tuple[str, str]]]:
    """The app on `store`, and the (title, message) of every notice it shows, as shown."""
    app = WarroomApp(store)
    shown: list[tuple[str, str]] = []
    notify = app.notify

    def noted(message: str, *args: Any, **kwargs: Any) -> None:
        shown.append((kwargs.get("title", ""), message))
        notify(message, *args, **kwargs)

    app.notify = noted  # type: ignore[method-assign]
    return app, shown


async def send_from_the_composer(pilot: Any, app: WarroomApp) -> ComposerScreen:
    """F8, then Ctrl+S on the message it opens with: the composer."""
    await pilot.press("f8")
    composer = await until(pilot, lambda: app.screen if isinstance(app.screen, ComposerScreen) else None)
    assert composer is not None
    await pilot.press("ctrl+s")
    return composer


async def test_the_composer_says_not_sent_and_stays_open_then_sends(demo: tuple[Store, str], sender: Any) -> None:
    store, ref = demo
    with_sender(store, sender("fail"))
    before = len(ops.status_updates(store, ref))
    app, shown = app_noting(store)
    async with app.run_test(size=(120, 40)) as pilot:
        composer = await send_from_the_composer(pilot, app)
        await until(pilot, lambda: any(title == "Not sent" for title, _ in shown), what="the failure said")
        assert app.screen is composer and len(ops.status_updates(store, ref)) == before
        with_sender(store, sender("ok"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ComposerScreen), what="the composer closed")
        assert ("Sent", "queued as 42") in shown
        assert len(ops.status_updates(store, ref)) == before + 1


# --- commands that misbehave (adversarial pass) ----------------------------------------


def _shell(tmp_path: Path, name: str, text: str) -> SendCommand:
    script = tmp_path / name
    script.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    script.chmod(0o755)
    return SendCommand((str(script),), timedelta(seconds=3))


def test_a_command_that_exits_leaving_a_child_behind_is_sent_at_once(store: Store, tmp_path: Path) -> None:
    """A command that hands the message to a background job and exits 0 (as a mailer
    queuing it may) has sent it: not a timeout because the job still holds its output."""
    ref = declare(store)
    with_sender(store, _shell(tmp_path, "queue.sh", "cat >/dev/null\n(sleep 20) &\necho queued\n"))
    started = time.monotonic()
    assert send(store, ref, comms.draft_message(store, ref, "internal_update")).said == "queued"
    assert time.monotonic() - started < 2.5
    assert len(ops.status_updates(store, ref)) == 1


def test_a_command_stopped_for_taking_too_long_stops_with_its_children(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    marker = tmp_path / "late"
    command = _shell(tmp_path, "hang.sh", f"sh -c 'sleep 4; touch {marker}' &\nsleep 30\n")
    with_sender(store, dataclasses.replace(command, timeout=timedelta(seconds=0.5)))
    with pytest.raises(SendFailed, match=r"did not finish within 0\.5 s"):
        send(store, ref, comms.draft_message(store, ref, "internal_update"))
    time.sleep(4.5)
    assert not marker.exists()
    assert ops.status_updates(store, ref) == []


def test_ten_megabytes_on_stdout_and_stderr_are_read_and_only_their_end_shown(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    with_sender(store, _shell(tmp_path, "loud.sh", "head -c 10000000 /dev/zero | tr '\\0' e >&2\n"
                                                   "head -c 10000000 /dev/zero | tr '\\0' o\necho done >&2\nexit 4\n"))
    with pytest.raises(SendFailed, match=r"failed \(status 4\): …e+\s?done; not sent") as refused:
        send(store, ref, comms.draft_message(store, ref, "internal_update"))
    assert len(str(refused.value)) < 500


async def test_the_composer_stays_open_while_its_command_runs_so_the_outcome_is_said(
    demo: tuple[Store, str], sender: Any
) -> None:
    """Escape while the send command runs would close the composer and lose what the command
    comes to (a failure said nowhere): it says the command is running and stays open."""
    store, _ref = demo
    with_sender(store, sender("hang", 2.0))
    app, shown = app_noting(store)
    async with app.run_test(size=(120, 40)) as pilot:
        composer = await send_from_the_composer(pilot, app)
        await until(pilot, lambda: any(title == "Sending" for title, _ in shown), what="the command said running")
        await pilot.press("escape")
        assert app.screen is composer
        await until(pilot, lambda: any(title == "Not sent" for title, _ in shown), what="the failure said", seconds=10)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ComposerScreen), what="the composer closed")
