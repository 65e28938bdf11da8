"""Bad input: every hostile text, argument, config file or import gets a result or one clear
line. The scribe grammar under prefixes and 1 MB of hostile text; command-line arguments,
hostile or not UTF-8, through every command on both backends; any config file, and config
files mutated from the shipped one; any bytes as an import, and imported JSON mutated or
holding values no column can hold (on a database in use, which a refused import leaves as it
was); the widgets showing random hostile text with no control character and no live markup.
Stored text is kept verbatim. Values past a limit or outside the supported range of times
are in tests/test_one_clear_line.py.
"""


from __future__ import annotations

import copy
import json
import math
import os
import random
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.strip import Strip
from textual.widget import Widget

from storage import checklists, export, live, ops, postmortem
from storage.clock import FrozenClock
from storage.countdowns import due_times
from storage.db import Store
from storage.demo import build_demo
from storage.errors import ConfigError, InvalidInput, WarroomError
from storage.grammar import ScribeLine, ScribeLineError, find_link, parse_scribe_line
from storage.models import SQLModel
from storage.policy import Policy, default_config_text, load_policy
from tests.conftest import NOW, CliInvoke
from tui.app import WarroomApp
from tui.cli import main
from widgets.text import printable

FROZEN = "2026-11-23T14:40:00Z"
WARROOM = str(Path(sys.executable).parent / "warroom")

PIECES = [
    "[bold red]x[/]",
    "[link=https://evil.example]x[/link]",
    "[@click=app.quit]quit[/]",
    "[/]",
    "\x1b[2J\x1b[H",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x9b31m",
    "\x90q\x9c",
    "\u202eevil",
    "\u2066iso\u2069",
    "\x07\x08\x0b\x0c\x7f",
    "\r\n",
    "\t",
    "\u2028",
    "🔥",
    "事故",
    "e\u0301",
    "\u200b",
    "https://grafana.example.com/d/1?x=[1]",
]
"""Pieces of text that mean something to Rich, Textual, a terminal or the grammar."""

STORABLE_CHAR = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
hostile_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(STORABLE_CHAR, min_size=1, max_size=6)), min_size=1, max_size=8
).map("".join)
stripped_text = hostile_text.map(str.strip).filter(bool)
"""Hostile text as the record keeps it: commands trim surrounding whitespace (documented)."""

NO_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def is_postgres(db_url: str) -> bool:
    return db_url.startswith("postgresql")


def one_line(message: str) -> None:
    """A refusal the user can read: one line, no traceback, no terminal control."""
    assert message.strip() and "\n" not in message.strip(), message
    assert "Traceback" not in message
    assert not _controls(message.strip()), message


def _controls(text: str) -> list[str]:
    """Characters a terminal would act on (line breaks between lines allowed)."""
    return [char for char in text if (ord(char) < 0x20 and char != "\n") or 0x7F <= ord(char) < 0xA0]


HOSTILE = [
    "[bold red]alarm[/]",
    "[link=https://evil.example]click[/link]",
    "[@click=app.quit]quit[/]",
    "\x1b[2J\x1b[H wiped",
    "\x1b]52;c;ZXZpbA==\x07 clipboard",
    "\x9b31m C1 CSI",
    "bell\x07 back\x08space tab\tcr\rdel\x7f",
    "\u202eevil bidi",
    "emoji 🔥 and 中文 wide",
]
"""Whole texts that mean something to Rich, Textual or a terminal."""

short_hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=200),
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- the scribe grammar -------------------------------------------------------------------

PREFIXES = {"time": "@-5m", "key": "!", "kind": "/decision"}


def parse(line: str) -> ScribeLine:
    return parse_scribe_line(line, now=NOW, tz=load_policy().tz)


@settings(max_examples=150, deadline=None)
@given(
    prefixes=st.permutations(list(PREFIXES)).flatmap(lambda order: st.integers(0, 3).map(lambda n: order[:n])),
    gaps=st.lists(st.sampled_from([" ", "   ", "\t", " \u3000 "]), min_size=3, max_size=3),
    text=hostile_text,
)
def test_prefixes_then_a_backslash_log_any_text_as_typed(prefixes: list[str], gaps: list[str], text: str) -> None:
    line = "".join(PREFIXES[name] + gap for name, gap in zip(prefixes, gaps, strict=False)) + "\\" + text
    if not text.strip():
        with pytest.raises(ScribeLineError, match="nothing to log"):
            parse(line)
        return
    parsed = parse(line)
    assert parsed.text == text.strip()
    assert parsed.kind == ("decision" if "kind" in prefixes else "note")
    assert parsed.key == ("key" in prefixes)
    assert parsed.occurred_at == (NOW - timedelta(minutes=5) if "time" in prefixes else None)
    assert parsed.link == find_link(parsed.text)


@pytest.mark.parametrize("lead", ["", "!", "/todo ", "@-5m ", "\\", "!/comms @-1h \\"])
def test_a_one_megabyte_line_of_hostile_text_is_kept_whole(lead: str) -> None:
    pasted = "".join(PIECES) + " "
    body = (pasted * (1_000_000 // len(pasted) + 1))[:1_000_000]
    parsed = parse(lead + body)
    assert parsed.text == body.strip() and len(parsed.text) > 999_000
    assert parsed.link is not None and parsed.link == find_link(parsed.text)


@settings(max_examples=60, deadline=None)
@given(
    before=hostile_text,
    surrogate=st.integers(0xD800, 0xDFFF).map(chr),
    after=st.text(STORABLE_CHAR, max_size=20),
    lead=st.sampled_from(["", "\\", "!/todo ", "@-5m "]),
)
def test_bytes_that_are_not_utf8_are_refused_with_a_reason(before: str, surrogate: str, after: str, lead: str) -> None:
    line = lead + before + surrogate + after  # how Python passes on bytes that are not UTF-8
    with pytest.raises(ScribeLineError) as refused:
        parse(line)
    assert refused.value.line == line
    assert "not UTF-8" in str(refused.value)
    one_line(str(refused.value))


# --- command-line arguments -----------------------------------------------------------------



def declared_ref(warroom: CliInvoke, *fields: str) -> str:
    result = warroom("declare", "--sev", "2", *fields)
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[0]


def test_every_command_keeps_hostile_text_verbatim_and_prints_it_safely(warroom: CliInvoke, db_url: str) -> None:
    @settings(max_examples=8 if is_postgres(db_url) else 25, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
    @given(texts=st.lists(stripped_text, min_size=9, max_size=9))
    def check(texts: list[str]) -> None:
        functionality, state, audience, ic, impact, line, edited, title, person = texts
        ref = declared_ref(
            warroom, f"--functionality={functionality}", f"--state={state}", f"--audience={audience}",
            f"--ic={ic}", f"--impact={impact}",
        )
        logged = warroom("log", ref, "--", "\\" + line)
        assert logged.exit_code == 0, logged.stderr
        seq = logged.stdout.split()[0].lstrip("#")
        assert warroom("edit", ref, seq, "--", "\\" + edited).exit_code == 0
        tag = title.replace(",", ";")  # tags are kept comma-separated
        assert warroom("action", f"--owner={person}", f"--tag={tag}", "--", ref, title).exit_code == 0
        assert warroom("role", f"--note={impact}", "--", ref, "sme", person).exit_code == 0

        document = json.loads(warroom("export", ref, "--format", "json").stdout)
        incident = document["incident"]
        assert (incident["functionality"], incident["state"], incident["audience"]) == (functionality, state, audience)
        assert incident["customer_impact"] == impact
        event = next(e for e in document["timeline"] if e["seq"] == int(seq))
        assert event["text"] == edited and [r["text"] for r in event["revisions"]] == [line]
        item = document["action_items"][0]
        assert (item["title"], item["owner"], item["tags"][-1]) == (title, person, tag)
        roles = {(r["role"], r["person"], r["note"]) for r in document["roles"]}
        assert roles >= {("ic", ic, ""), ("sme", person, impact)}

        printed = warroom("timeline", ref).stdout + warroom("history", ref, seq).stdout
        assert printable(edited) in printed and printable(line) in printed
        assert not _controls(printed)

    check()


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliInvoke, str]:
    """The CLI on a SQLite file holding one declared incident; and its reference."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    runner = CliRunner()
    db = str(tmp_path / "w.db")

    def invoke(command: str, *args: str) -> Result:
        return runner.invoke(main, [command, "--db", db, *args], catch_exceptions=False)

    return invoke, declared_ref(invoke, "--functionality=search", "--state=slow", "--audience=all")


NOT_UTF8 = "caf\udce9"
"""How Python hands on `café` typed in a Latin-1 terminal: the byte 0xe9 as a lone surrogate."""


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("log", "{ref}", NOT_UTF8), "TEXT"),
        (("log", "{ref}", "fine", "--author", NOT_UTF8), "--author"),
        (("edit", "{ref}", "1", NOT_UTF8), "TEXT"),
        (("declare", "--sev", "1", "--functionality", NOT_UTF8, "--state", "s", "--audience", "a"), "--functionality"),
        (("role", "{ref}", "sme", NOT_UTF8), "PERSON"),
        (("role", "{ref}", "sme", "Sam", "--note", NOT_UTF8), "--note"),
        (("action", "{ref}", NOT_UTF8), "TITLE"),
        (("action", "{ref}", "title", "--tag", NOT_UTF8), "--tag"),
        (("link", "{ref}", NOT_UTF8), "REF"),
        (("timeline", NOT_UTF8), "REF"),
        (("update", "{ref}", "internal", "update", "--body", NOT_UTF8), "--body"),
    ],
)
def test_arguments_that_are_not_utf8_are_refused_by_name_and_change_nothing(
    sqlite_cli: tuple[CliInvoke, str], args: tuple[str, ...], label: str
) -> None:
    warroom, ref = sqlite_cli
    before = warroom("export", ref, "--format", "json").stdout, warroom("list", "--json").stdout
    result = warroom(*(arg.format(ref=ref) for arg in args))
    assert result.exit_code == 1 and result.stdout == ""
    one_line(result.stderr)
    assert result.stderr.startswith(f"warroom: {label} 'caf\\udce9' holds bytes that are not UTF-8 text")
    assert (warroom("export", ref, "--format", "json").stdout, warroom("list", "--json").stdout) == before


def test_the_real_command_line_refuses_latin1_bytes_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_FROZEN_TIME": FROZEN}
    db = str(tmp_path / "w.db")

    def run(*args: str | bytes) -> subprocess.CompletedProcess[str]:
        return subprocess.run([WARROOM, *args], capture_output=True, text=True, env=env, timeout=60, check=False)

    refused = run(
        "declare", "--db", db, "--sev", "1", "--functionality", b"caf\xe9", "--state", "down", "--audience", "all"
    )
    assert refused.returncode == 1, refused.stderr
    one_line(refused.stderr)
    assert "--functionality" in refused.stderr and "not UTF-8" in refused.stderr
    declared = run(
        "declare", "--db", db, "--sev", "1", "--functionality", "café", "--state", "down", "--audience", "all"
    )
    ref = declared.stdout.split()[0]
    logged = run("log", "--db", db, ref, b"\xff\xfe pasted garbage")
    assert logged.returncode == 1 and "not UTF-8" in logged.stderr
    one_line(logged.stderr)
    assert [
        event["text"] for event in json.loads(run("export", "--db", db, ref, "--format", "json").stdout)["timeline"]
    ] == ["Declared SEV1: café is down for all"]


def test_a_one_megabyte_hostile_paste_is_stored_whole_and_printed_safely(warroom: CliInvoke) -> None:
    pasted = "".join(PIECES) + " "
    paste = (pasted * (1_000_000 // len(pasted) + 1))[:1_000_000]
    ref = declared_ref(warroom, "--functionality=search", "--state=slow", "--audience=all")
    logged = warroom("log", ref, "--", "\\" + paste)
    assert logged.exit_code == 0, logged.stderr
    document = json.loads(warroom("export", ref, "--format", "json").stdout)
    assert document["timeline"][-1]["text"] == paste.strip()
    printed = warroom("timeline", ref).stdout
    assert printable(paste.strip()) in printed and not _controls(printed)


def one_line_refusal(output: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), output
    assert "Traceback" not in output


class CliOnOneIncident:
    """`warroom COMMAND --db DB ARGS...` in-process, on a database holding one declared incident."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()
        declared = self("declare", "--sev", "2", "--functionality", "search", "--state", "slow", "--audience", "all")
        assert declared.exit_code == 0, declared.output
        self.ref: str = declared.stdout.strip().splitlines()[-1].split()[0]

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, [args[0], "--db", str(self.db), *args[1:]], catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliOnOneIncident:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    return CliOnOneIncident(tmp_path / "cli.db")


@SETTINGS
@given(text=short_hostile_text)
def test_cli_log_stores_any_text_verbatim_or_refuses_in_one_line(cli: CliOnOneIncident, text: str) -> None:
    result = cli("log", cli.ref, "\\" + text)  # a backslash logs the rest as typed
    if result.exit_code == 0:
        with Store(cli.db) as store:
            rows, _ = live.event_rows(store, cli.ref)
        assert rows[-1].text == text.strip() or rows[-1].text == text
    else:
        assert result.exit_code == 1
        one_line_refusal(result.stderr)


@SETTINGS
@given(
    command=st.sampled_from(["declare", "role", "action", "link", "sev", "milestone", "status", "edit", "strike"]),
    values=st.lists(short_hostile_text, min_size=0, max_size=4),
)
def test_any_cli_arguments_end_in_a_result_or_one_line(cli: CliOnOneIncident, command: str, values: list[str]) -> None:
    args = {
        "declare": ["--sev", *values[:1], "--functionality", *values[1:2], "--state", "x", "--audience", "y"],
        "role": [cli.ref, *values[:2]],
        "action": [cli.ref, *values[:1], "--owner", *values[1:2]],
        "link": [cli.ref, *values[:2]],
        "sev": [cli.ref, *values[:1]],
        "milestone": [cli.ref, *values[:1]],
        "status": [*values[:1]],
        "edit": [cli.ref, *values[:1], *values[1:2]],
        "strike": [cli.ref, *values[:1]],
    }[command]
    result = cli(command, *args)
    if result.exit_code == 1:
        one_line_refusal(result.stderr)
    else:
        assert result.exit_code in (0, 2), result.output  # 2: click's own usage message
        assert "Traceback" not in result.output


def test_a_one_megabyte_paste_is_logged_whole(cli: CliOnOneIncident) -> None:
    paste = ("grafana says 500s " * 60_000)[:1_000_000]
    result = cli("log", cli.ref, paste)
    assert result.exit_code == 0, result.stderr
    with Store(cli.db) as store:
        rows, _ = live.event_rows(store, cli.ref)
    assert rows[-1].text == paste.strip()


# --- config files ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["a = " + "[" * 50_000 + "]" * 50_000, "a = " + "{b = " * 5_000 + "1" + "}" * 5_000])
def test_a_config_nested_too_deeply_is_one_clear_error(tmp_path: Path, body: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    with pytest.raises(ConfigError, match="nested too deeply") as refused:
        load_policy(config)
    one_line(str(refused.value))


@pytest.mark.parametrize(
    "body",
    [
        '[severity.SEV1]\ncheckin = "99999999d"',
        '[severity.SEV2]\ninternal_update = "3651d"',
        '[severity.SEV1]\nstatus_page = "999999999h"',
        '[process]\ndeclare_within = "99999999d"',
        '[process]\ndecide_within = "87601h"',
    ],
)
def test_a_duration_too_long_to_count_on_from_today_is_refused(tmp_path: Path, body: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    with pytest.raises(ConfigError, match="too long") as refused:
        load_policy(config)
    one_line(str(refused.value))


def test_the_longest_durations_allowed_still_count_on_from_today(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[severity.SEV1]\ncheckin = "3650d"\ninternal_update = "3650d"\n[process]\ndeclare_within = "3650d"'
    )
    policy = load_policy(config)
    due = due_times(policy, severity=1, status="investigating", declared_at=NOW, milestones={}, updates=[])
    assert due["checkin"] == NOW + timedelta(days=3650)


@pytest.mark.parametrize(
    "reference", [" inc-{yy}{mm}{dd}", "inc-{yy}{mm}{dd}-{sev} ", "inc\t{sev}", "inc\u001b[2J{sev}"]
)
def test_a_reference_that_could_not_be_typed_back_is_refused(tmp_path: Path, reference: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[naming]\nreference = {json.dumps(reference)}\n")
    with pytest.raises(ConfigError, match=r"naming.reference") as refused:
        load_policy(config)
    one_line(str(refused.value))


def toml_value(value: object) -> str:
    """`value` as TOML (tables inline, strings as JSON-style basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return (
        "{"
        + ", ".join(f"{json.dumps(key, ensure_ascii=False)} = {toml_value(item)}" for key, item in value.items())
        + "}"
    )


def toml_document(data: dict[str, object]) -> str:
    return "".join(f"{json.dumps(key, ensure_ascii=False)} = {toml_value(value)}\n" for key, value in data.items())


def leaf_paths(value: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path in nested tables."""
    found: list[tuple[str, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += leaf_paths(item, (*prefix, key))
    return found


DEFAULT_CONFIG = tomllib.loads(default_config_text())
config_values = st.one_of(
    st.sampled_from(
        [
            "15m",
            "-5m",
            "0s",
            "0m",
            "3650d",
            "3651d",
            "99999999d",
            "999999999h",
            "never",
            "none",
            "20x",
            "",
            " ",
            "5 business days",
            "0 days",
            "3651 days",
            "Mars/Olympus",
            "UTC",
            "../../etc/passwd",
            "{ref}",
            "{nope}",
            "{",
            "}",
            "inc-{yy}",
            " inc-{yy} ",
            "SEV1",
            "[bold]x[/]",
            "\x1b[2J",
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.datetimes(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_shipped_config_loads_into_a_usable_policy_or_one_clear_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    document = copy.deepcopy(DEFAULT_CONFIG)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(leaf_paths(document)), label="path")
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        if action == "delete":
            del parent[path[-1]]
        elif action == "add":
            parent[data.draw(st.sampled_from(["SEV4", "sev1", "SEV-1", "SEVX", "extra", "ic2", ""]))] = data.draw(
                config_values
            )
        else:
            parent[path[-1]] = data.draw(config_values, label="value")
    config = tmp_path / "config.toml"
    config.write_text(toml_document(document), encoding="utf-8")
    try:
        policy = load_policy(config)
    except ConfigError as refused:
        one_line(str(refused))
        assert str(refused).startswith(str(config))
        return
    for level, severity in policy.severities.items():  # whatever loads can be used from today
        due_times(
            policy, severity=level, status="investigating", declared_at=NOW, milestones={}, updates=[("internal", NOW)]
        )
        assert policy.reference(NOW, level) == policy.reference(NOW, level).strip()
        if severity.postmortem_deadline is not None:
            severity.postmortem_deadline.due(NOW, policy.tz)
    assert policy.title("login", "failing", "everyone")
    for key in policy.roles:
        assert policy.role(key).key == key


config_keys = st.sampled_from(
    [
        "timezone",
        "[severity.SEV1]\ncheckin",
        "[severity.SEV9]\nname",
        "[roles.ic]\nname",
        "[severity.SEV2]\ninternal",
        "[templates]\nx",
        "[roles.new]\nmany",
        "[postmortem]\ndeadline",
    ]
)
config_values = st.one_of(
    st.sampled_from(['"15m"', '"-5m"', '"0m"', '"20x"', "15", "-1", "true", "[]", "{}", '"Mars/Olympus"', '"UTC"']),
    st.text(max_size=30).map(json.dumps),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.text(max_size=200),
        st.lists(st.tuples(config_keys, config_values), max_size=4).map(
            lambda pairs: "\n".join(f"{key} = {value}" for key, value in pairs)
        ),
    )
)
def test_any_config_file_loads_or_gives_one_clear_error(tmp_path: Path, body: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body, encoding="utf-8")
    try:
        load_policy(config)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip() and "Traceback" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[severity.SEV1\ncheckin = 1", "config"),
        ('[severity.SEV1]\ncheckin = "-15m"', "checkin"),
        ("[severity.SEV1]\ncheckin = 15", "checkin"),
        ('timezone = "Mars/Olympus"', "timezone"),
        ('[roles.ic]\nmany = "yes"', "roles.ic"),
    ],
)
def test_config_errors_are_one_line_from_the_cli(tmp_path: Path, body: str, expected: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    result = CliRunner().invoke(main, ["list", "--db", str(tmp_path / "w.db"), "--config", str(config)])
    assert result.exit_code == 1
    one_line_refusal(result.stderr)
    assert expected in result.stderr


# --- imported JSON --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The demo incident's export, with an action item and a checklist step added."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store(path, policy=load_policy(), clock=FrozenClock(NOW)) as store:
        document = json.loads(export.export_json(store, build_demo(store)))
    document["incident"]["ref"] = "imported-demo"  # the store in use has a declared SEV2 of the same day
    document["action_items"] = [{"title": "Alert on TLS expiry", "owner": "Sam", "tags": ["tls"], "created_at": FROZEN}]
    document["checklists"] = [{"list": "process", "key": "declare", "label": "Declare", "position": 1}]
    return document


@pytest.fixture
def store_in_use(db_url: str, policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    """A store already holding an incident of its own, which an import must not disturb."""
    with Store(db_url, policy=policy, clock=clock) as opened:
        ref = ops.declare(opened, severity=2, functionality="search", state="slow", audience="all", ic="Dana").ref
        ops.log(opened, ref, "already here")
        ops.assign_role(opened, ref, "sme", "Sam")
        yield opened


def snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


def value_at(document: dict[str, object], path: tuple[object, ...]) -> object:
    value: object = document
    for part in path:
        value = value[part]  # type: ignore[index]
    return value


def set_at(document: dict[str, object], path: tuple[object, ...], value: object) -> None:
    parent: object = document
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    parent[path[-1]] = value  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("timeline", 0, "seq"), 2**31, "timeline.0.seq"),
        (("timeline", 0, "seq"), 2**63, "timeline.0.seq"),
        (("checklists", 0, "position"), 2**64, "checklists.0.position"),
        (("postmortem", "impact", "accounts_affected"), 2**63, "accounts_affected"),
        (("postmortem", "impact", "users_affected"), -(2**31) - 1, "users_affected"),
        (
            ("timeline", 0, "revisions"),
            [{"revision": 2**64, "at": FROZEN, "kind": "note", "text": "x", "replaced_at": FROZEN}],
            "revision",
        ),
        (("incident", "declared_at"), "9999-12-31T23:59:59-01:00", "out of range"),
        (("timeline", 0, "at"), "0001-01-01T00:00:00+01:00", "out of range"),
        (("incident", "declared_at"), "9999-12-31T23:59:59Z", "out of range"),
        (("timeline", 0, "text"), "lone \ud800 surrogate", "not valid Unicode"),
        (("incident", "milestones", "\udcff"), FROZEN, "not valid Unicode"),
        (("timeline", 0, "text"), "nul \x00 byte", "NUL"),
        (("incident", "ref"), " inc-spaced ", "incident.ref"),
        (("incident", "ref"), "inc\x1b[2J", "incident.ref"),
        (("incident", "status"), "x" * 100_000, "incident.status"),
        (("incident", "a\nb\x1b[2J"), 1, "incident."),
        (("checklists", 1), {"list": "process", "key": "declare", "label": "again"}, "checklist"),
        (
            ("timeline", 0, "revisions"),
            [{"revision": 1, "at": FROZEN, "kind": "note", "text": "x", "replaced_at": FROZEN}] * 2,
            "revisions",
        ),
        (("roles", 0, "person"), "   ", "name"),
    ],
)
def test_values_no_column_can_hold_are_refused_in_one_line_and_change_nothing(
    store_in_use: Store, demo_document: dict[str, object], path: tuple[object, ...], value: object, reason: str
) -> None:
    document = copy.deepcopy(demo_document)
    if path[0] == "checklists" and path[1] == 1:
        document["checklists"].append(value)  # type: ignore[attr-defined]
    else:
        set_at(document, path, value)
    before = snapshot(store_in_use)
    with pytest.raises(WarroomError) as refused:
        export.import_json(store_in_use, json.dumps(document))
    one_line(str(refused.value))
    assert reason in str(refused.value) and len(str(refused.value)) < 400
    assert snapshot(store_in_use) == before


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 100_000])
def test_json_nested_too_deeply_is_one_clear_error(text: str) -> None:
    with pytest.raises(WarroomError, match="nested too deeply") as refused:
        export.parse_document(text)
    one_line(str(refused.value))


INT_EDGES = [2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, 2**64, -1, 0, 1]
import_values = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.sampled_from(INT_EDGES),
    st.sampled_from(
        [
            "8999-12-31T23:59:59Z",
            "9000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00",
            "1969-12-31T23:59:59Z",
            "2026-11-23T15:40:00+01:00",
            "2026-13-01T00:00:00Z",
            "2026-11-23",
            "P1",
            "resolved",
            "ic",
            "../../x",
        ]
    ),
    hostile_text,
    st.just("x" * 200_000),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


def json_paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += json_paths(item, (*prefix, index))
    return found


def test_a_mutated_export_imports_whole_and_usable_or_leaves_the_database_as_it_was(
    store_in_use: Store, demo_document: dict[str, object], db_url: str
) -> None:
    numbers = iter(range(1, 10_000))

    @settings(max_examples=12 if is_postgres(db_url) else 80, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        document = copy.deepcopy(demo_document)
        document["incident"]["ref"] = f"imported-{next(numbers)}"  # type: ignore[index]
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            paths = json_paths(document)
            if data.draw(st.booleans(), label="same type"):  # a value of the right type: mostly imported
                leaves = [path for path in paths if type(value_at(document, path)) in (str, int)]
                path = data.draw(st.sampled_from(leaves), label="path")
                same_type = hostile_text if isinstance(value_at(document, path), str) else st.sampled_from(INT_EDGES)
                set_at(document, path, data.draw(same_type, label="value"))
                continue
            path = data.draw(st.sampled_from(paths), label="path")
            parent: object = document
            for part in path[:-1]:
                parent = parent[part]  # type: ignore[index]
            if isinstance(parent, dict) and data.draw(st.booleans(), label="delete"):
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(import_values, label="value")  # type: ignore[index]
        before = snapshot(store_in_use)
        try:
            incident = export.import_json(store_in_use, json.dumps(document))
        except WarroomError as refused:
            one_line(str(refused))
            assert snapshot(store_in_use) == before
            return
        again = json.loads(export.export_json(store_in_use, incident.ref))  # imported whole and verbatim
        kept = ("functionality", "state", "audience", "status", "customer_impact", "declared_at")
        expected = export.parse_document(json.dumps(document)).model_dump(mode="json", by_alias=True)
        assert {key: again["incident"][key] for key in kept} == {key: expected["incident"][key] for key in kept}
        assert sorted((e["seq"], e["text"], e["at"]) for e in again["timeline"]) == sorted(
            (e["seq"], e["text"], e["at"]) for e in expected["timeline"]
        )
        # ...and every reader of the record copes with what was let in.
        export.export_markdown(store_in_use, incident.ref)
        postmortem.postmortem_markdown(store_in_use, incident.ref)
        checklists.process_checklist(store_in_use, incident.ref)
        checklists.resolution_criteria(store_in_use, incident.ref)
        view = live.incident_view(store_in_use, incident.ref)
        due_times(
            store_in_use.policy,
            severity=view.severity,
            status=view.status,
            declared_at=view.declared_at,
            milestones=view.milestones,
            updates=view.updates,
        )

    check()


def test_a_huge_hostile_text_imports_and_exports_verbatim(
    store_in_use: Store, demo_document: dict[str, object]
) -> None:
    document = copy.deepcopy(demo_document)
    pasted = "".join(PIECES)
    huge = (pasted * (1_000_000 // len(pasted) + 1))[:1_000_000]
    document["timeline"][-1]["text"] = huge  # type: ignore[index]
    document["incident"]["functionality"] = pasted  # type: ignore[index]
    incident = export.import_json(store_in_use, json.dumps(document))
    again = json.loads(export.export_json(store_in_use, incident.ref))
    assert again["timeline"][-1]["text"] == huge and again["incident"]["functionality"] == pasted


_mutated_numbers = iter(range(1, 1_000_000))


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for every example of a property: each import gets its own reference, so a
    refused one must leave the list of incidents as it was (one migration, not one per example)."""
    with Store(tmp_path_factory.mktemp("import") / "target.db", policy=load_policy(), clock=FrozenClock(NOW)) as store:
        yield store


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    short_hostile_text,
    st.just("x" * 100_000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(data=st.data())
def test_a_mutated_export_imports_whole_or_not_at_all(
    demo_document: dict[str, object], empty_store: Store, data: st.DataObject
) -> None:
    document = copy.deepcopy(demo_document)
    document["incident"]["ref"] = f"mutated-{next(_mutated_numbers)}"  # type: ignore[index]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(json_paths(document)))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    before = ops.list_incidents(empty_store)
    try:
        incident = export.import_json(empty_store, json.dumps(document))
    except WarroomError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert ops.list_incidents(empty_store) == before  # all or nothing
    else:
        assert json.loads(export.export_json(empty_store, incident.ref))["incident"]["ref"] == incident.ref


@settings(max_examples=40, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_bytes_as_an_import_file_give_one_clear_error(text: str | bytes) -> None:
    with pytest.raises(WarroomError) as raised:
        export.parse_document(text)
    assert "\n" not in str(raised.value)


# --- what the widgets show ------------------------------------------------------------------


def random_hostile_text(rng: random.Random) -> str:
    """Pieces of markup and control sequences among random code points from every plane."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            parts.append(rng.choice(PIECES))
        else:
            code = rng.choice(
                [
                    rng.randrange(0, 0x250),
                    rng.randrange(0x2000, 0x2100),
                    rng.randrange(0x80, 0xA0),
                    rng.randrange(0xE000, 0x110000),
                ]
            )
            parts.append(chr(code if code != 0 else 0x1B))
    return "".join(parts).strip() or "[bold]x[/]"


def assert_terminal_safe(strip: Strip) -> None:
    """No control character reaches the terminal and no text carries an action or a link."""
    assert not _controls(strip.text), strip.text
    for segment in strip:
        style = segment.style
        assert style is None or (not style.link and "@click" not in (style.meta or {})), (segment.text, style)


def content_offset(widget: Widget) -> tuple[int, int]:
    """Where `render_line(0)` starts inside the widget (inside its border and padding)."""
    return widget.content_region.x - widget.region.x, widget.content_region.y - widget.region.y


def drawn_lines(root: Widget) -> dict[Widget, list[Strip]]:
    """The lines `root` and every widget inside it draw (a container's rows are its children)."""
    widgets = [root, *root.query("*")]
    return {
        widget: [widget.render_line(y) for y in range(widget.content_region.height)]
        for widget in widgets
        if widget.display and widget.content_region.area
    }


async def test_random_hostile_text_is_shown_literally_by_the_timeline_header_and_roster(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.command import CommandScreen

    rng = random.Random(20261123)
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(
            store,
            severity=1,
            functionality="[@click=app.quit]api[/]",
            state=random_hostile_text(rng),
            audience="\x1b]52;c;ZXZpbA==\x07all",
            ic="[@click=app.quit]Dana[/]",
        ).ref
        ops.assign_role(store, ref, "sme", "[@click=app.quit]Sam[/]", note=random_hostile_text(rng))
        texts = [random_hostile_text(rng) for _ in range(40)] + ["[@click=app.quit]quit[/] [bold red]x[/]"]
        for text in texts:
            ops.log(store, ref, "\\" + text, author=random_hostile_text(rng)[:20])
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(200, 70)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, CommandScreen)
            for selector in ("#timeline", "#incident-header", "#roster"):
                drawn = drawn_lines(app.screen.query_one(selector))
                for strip in (strip for lines in drawn.values() for strip in lines):
                    assert_terminal_safe(strip)
                shown = "\n".join(strip.text for lines in drawn.values() for strip in lines)
                assert "[@click=app.quit]" in shown, selector
                if selector == "#timeline":
                    assert "[@click=app.quit]quit[/] [bold red]x[/]" in shown
                widget, row, text = next(
                    (widget, row, strip.text)
                    for widget, lines in drawn.items()
                    for row, strip in enumerate(lines)
                    if "[@click=app.quit]" in strip.text
                )
                dx, dy = content_offset(widget)
                column = cell_len(text[: text.index("[@click=app.quit]")]) + 3
                await pilot.click(widget, offset=(dx + column, dy + row))
                await pilot.pause()
                assert app.is_running, f"clicking the text in {selector} ran its action"
                while not isinstance(app.screen, CommandScreen):  # a click on a role opens the handover
                    app.pop_screen()
                    await pilot.pause()


async def test_the_event_dialog_shows_hostile_text_and_its_history_literally(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.event import EventDialog

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
        first = ops.log(store, ref, "\\[@click=app.quit]first[/] \x1b[2J\x9b31m", author="[red]Eve[/]\x1b]0;x\x07")
        ops.edit_event(store, ref, first.seq, "\\[link=https://evil.example]second[/link] \x1b]52;c;ZXZpbA==\x07")
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            app.push_screen(EventDialog(store, ref, first.seq))
            await pilot.pause()
            shown: list[str] = []
            for static in app.screen.query("Static"):  # the facts, the text and each earlier version
                for y in range(static.size.height):
                    strip = static.render_line(y)
                    assert_terminal_safe(strip)
                    shown.append(strip.text)
            text = "\n".join(shown)
            assert "[link=https://evil.example]second[/link] ␛]52;c;ZXZpbA==␇" in text
            assert "[@click=app.quit]first[/] ␛[2J�31m" in text and "[red]Eve[/]␛]0;x␇" in text


async def test_a_refused_hostile_line_is_explained_literally(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from widgets.scribe_input import ScribeInput

    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            scribe = app.screen.query_one(ScribeInput)
            scribe.value = "/bogus[@click=app.quit]x[/]\x1b[2J\x9b"
            await pilot.press("enter")
            await pilot.pause()
            held = app.screen.query_one("#scribe-held")  # set aside, with the reason
            lines = [held.render_line(y) for y in range(held.size.height)]
            for strip in lines:
                assert_terminal_safe(strip)
            shown = " ".join(s.text for s in lines)
            assert "unknown command '/bogus[@click=app.quit]x[/]\\x1b[2J\\x9b'" in shown
            assert "/bogus[@click=app.quit]x[/]␛[2J" in shown  # the line itself, as pictures
            assert [event.text for event in ops.timeline(store, ref)][1:] == []


# --- names and tags ---------------------------------------------------------------------------


def test_a_tag_holding_a_comma_is_refused_not_split(store: Store) -> None:
    ref = ops.declare(store, severity=2, functionality="api", state="down", audience="all").ref
    with pytest.raises(WarroomError, match="a tag cannot hold a comma: 'db,cache'"):
        ops.add_action_item(store, ref, "Alert on lag", tags=["db,cache"])
    assert ops.action_items(store, ref) == []
    item = ops.add_action_item(store, ref, "Alert on lag", tags=["db", "cache"])
    assert item.tags.split(",")[-2:] == ["db", "cache"]


def test_an_export_with_a_tag_holding_a_comma_is_refused(store: Store) -> None:
    ref = build_demo(store)
    ops.add_action_item(store, ref, "Alert on lag", tags=["db"])
    document = json.loads(export.export_json(store, ref))
    document["action_items"][0]["tags"] = ["db,cache"]
    document["incident"]["ref"] = "inc-other"
    with pytest.raises(WarroomError, match=r"action_items\.0\.tags\.0: .*a tag cannot hold a comma"):
        export.import_json(store, json.dumps(document))
    assert "inc-other" not in [row.ref for row in ops.list_incidents(store)]


def test_a_user_name_that_is_not_utf8_is_refused_as_with_the_as_option(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name the terminal could not decode is refused, as `--as` refuses it, rather than
    stored on every event as `J\ufffdrg`."""
    monkeypatch.setenv(ops.AUTHOR_ENV, os.fsdecode(b"J\xf6rg"))  # Latin-1, as a misconfigured shell passes it
    with pytest.raises(InvalidInput, match=r"WARROOM_USER: .* holds bytes that are not UTF-8 text"):
        Store(store.url, policy=store.policy, clock=store.clock)  # who you are is read on opening
