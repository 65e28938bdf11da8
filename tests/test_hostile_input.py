"""Hostile input everywhere a user or a file can put text: CLI arguments, config files,
imported JSON. Nothing crashes; a refusal is one line; stored text is verbatim. What the
screens show is checked in test_bad_input.py and test_shown_literally.py.

(The scribe grammar has its own property tests in test_grammar.py, 1 MB lines included.)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import export, live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import ConfigError, WarroomError
from storage.policy import Policy, load_policy
from tests.conftest import NOW
from tui.cli import main

FROZEN = "2026-11-23T14:40:00Z"

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
"""Texts that mean something to Rich, Textual or a terminal."""

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200),
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def one_line_refusal(output: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), output
    assert "Traceback" not in output


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    db = tmp_path / "cli.db"
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(main, [args[0], "--db", str(db), *args[1:]], catch_exceptions=False)

    declared = invoke("declare", "--sev", "2", "--functionality", "search", "--state", "slow", "--audience", "all")
    assert declared.exit_code == 0, declared.output
    invoke.ref = declared.stdout.strip().splitlines()[-1].split()[0]  # type: ignore[attr-defined]
    invoke.db = db  # type: ignore[attr-defined]
    return invoke


@SETTINGS
@given(text=hostile_text)
def test_cli_log_stores_any_text_verbatim_or_refuses_in_one_line(cli, text: str) -> None:  # noqa: ANN001
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
    values=st.lists(hostile_text, min_size=0, max_size=4),
)
def test_any_cli_arguments_end_in_a_result_or_one_line(cli, command: str, values: list[str]) -> None:  # noqa: ANN001
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


def test_a_one_megabyte_paste_is_logged_whole(cli) -> None:  # noqa: ANN001
    paste = ("grafana says 500s " * 60_000)[:1_000_000]
    result = cli("log", cli.ref, paste)
    assert result.exit_code == 0, result.stderr
    with Store(cli.db) as store:
        rows, _ = live.event_rows(store, cli.ref)
    assert rows[-1].text == paste.strip()


# --- config files -----------------------------------------------------------------------

config_keys = st.sampled_from([
    "timezone", "[severity.SEV1]\ncheckin", "[severity.SEV9]\nname", "[roles.ic]\nname", "[severity.SEV2]\ninternal",
    "[templates]\nx", "[roles.new]\nmany", "[postmortem]\ndeadline",
])
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


# --- imported JSON ----------------------------------------------------------------------


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a value inside a JSON document."""
    found: list[tuple[object, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


json_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False),
    hostile_text, st.just("x" * 100_000), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from storage.demo import build_demo

    path = tmp_path_factory.mktemp("export") / "source.db"
    with Store(path, policy=load_policy(), clock=FrozenClock(NOW)) as store:
        ref = build_demo(store)
        return json.loads(export.export_json(store, ref))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_export_imports_whole_or_not_at_all(
    exported: dict[str, object], tmp_path_factory: pytest.TempPathFactory, policy: Policy, data: st.DataObject
) -> None:
    document = copy.deepcopy(exported)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        parent = document
        for part in path[:-1]:
            parent = parent[part]  # type: ignore[index]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)  # type: ignore[index]
    path = tmp_path_factory.mktemp("import") / "target.db"
    with Store(path, policy=policy) as store:
        try:
            incident = export.import_json(store, json.dumps(document))
        except WarroomError as exc:
            assert str(exc) and "\n" not in str(exc)
            assert ops.list_incidents(store) == []  # all or nothing
        else:
            assert json.loads(export.export_json(store, incident.ref))["incident"]["ref"] == incident.ref


@settings(max_examples=40, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_bytes_as_an_import_file_give_one_clear_error(text: str | bytes) -> None:
    with pytest.raises(WarroomError) as raised:
        export.parse_document(text)
    assert "\n" not in str(raised.value)
