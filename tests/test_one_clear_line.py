"""Bad input that was still a traceback (issue 11): each is one clear line on stderr, exit
status 1 and nothing written, on SQLite and on PostgreSQL alike.

Numbers of thousands of digits (JSON import, config TOML), event numbers and ids past any
column, a CSV field past the csv module's limit, times outside the one supported range
(`storage.timeparse.out_of_range`) wherever a time comes in, imported values of the wrong
JSON type or named twice, and text longer than its column holds (`storage.limits`), the
same limit and message on both backends.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlmodel import AutoString

from storage import checklists, export, limits, ops, postmortem, services
from storage import policy as policy_module
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.errors import ConfigError, InvalidInput, NotFound
from storage.grammar import ScribeLineError, parse_scribe_line
from storage.identity import save_user
from storage.models import SQLModel
from storage.policy import Policy, load_policy
from tests.conftest import NOW, CliInvoke
from tui.cli import main

FROZEN = "2026-11-23T14:40:00Z"
HUGE = "9" * 5_000
"""A number past Python's int-string limit (4,300 digits)."""
DOCS = Path(__file__).resolve().parent.parent / "docs"


def one_line(message: str) -> None:
    """A refusal the user can read: one line, no traceback."""
    assert message.strip() and "\n" not in message.strip(), message
    assert "Traceback" not in message and len(message) < 400, message


def snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }




@pytest.fixture
def ref(store: Store) -> str:
    """An incident with a logged line (#2) and an action item."""
    declared = ops.declare(store, severity=2, functionality="search", state="slow", audience="all", ic="Dana").ref
    ops.log(store, declared, "first look at the dashboards")
    ops.add_action_item(store, declared, "Alert on lag")
    return declared


def refused(result: Result, *needles: str) -> str:
    """The one line a refused command printed, after checking it was refused."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    one_line(result.stderr)
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return result.stderr.strip()


# --- numbers of thousands of digits ------------------------------------------------------


@pytest.fixture
def exported(store: Store, ref: str) -> str:
    """The incident's export, its reference changed so that it can be imported beside it."""
    document = json.loads(export.export_json(store, ref))
    document["incident"]["ref"] = "inc-imported"
    return json.dumps(document, indent=2)


def test_an_import_with_a_number_of_5000_digits_is_one_line(
    warroom: CliInvoke, store: Store, exported: str, tmp_path: Path
) -> None:
    file = tmp_path / "huge.json"
    file.write_text(exported.replace('"severity": 2,', f'"severity": {HUGE},', 1))
    before = snapshot(store)
    refused(warroom("import", str(file)), "incident.severity", "5,000 digits")
    assert snapshot(store) == before


def test_a_config_with_a_number_of_5000_digits_is_one_line(warroom: CliInvoke, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "UTC"\nextra = {HUGE}\n')
    refused(warroom("list", "--config", str(config)), str(config), "a number is too long")
    with pytest.raises(ConfigError, match="a number is too long") as raised:
        load_policy(config)
    one_line(str(raised.value))
    with pytest.raises(ConfigError, match="a number is too long"):  # the app saving who you are into it
        save_user(config, "Dana")


# --- event numbers and ids past any column ----------------------------------------------


@pytest.mark.parametrize("command", ["edit", "strike", "history"])
@pytest.mark.parametrize("seq", ["99999999999999999999", "2147483648", HUGE])
def test_an_event_number_past_any_column_is_one_line(
    warroom: CliInvoke, store: Store, ref: str, command: str, seq: str
) -> None:
    before = snapshot(store)
    extra = ["new text"] if command == "edit" else []
    refused(warroom(command, ref, seq, *extra), "SEQ", "too large")
    assert snapshot(store) == before


@pytest.mark.parametrize("seq", [2**31, 2**63, 10**20, -(2**63), 0])
def test_storage_refuses_an_event_number_no_event_has_on_both_backends(store: Store, ref: str, seq: int) -> None:
    before = snapshot(store)
    for call in (
        lambda: ops.edit_event(store, ref, seq, "new text"),
        lambda: ops.strike_event(store, ref, seq),
        lambda: ops.event_history(store, ref, seq),
        lambda: ops.update_action_item(store, ref, seq, title="x"),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        one_line(str(raised.value))
    assert snapshot(store) == before


def test_an_impact_number_past_a_32_bit_column_is_refused_on_both_backends(store: Store, ref: str) -> None:
    before = snapshot(store)
    with pytest.raises(InvalidInput, match=r"^users affected is too large: at most 2,147,483,647$"):
        postmortem.update_postmortem(store, ref, numbers={"users_affected": 2**31})
    assert snapshot(store) == before
    assert postmortem.update_postmortem(store, ref, numbers={"users_affected": 2**31 - 1}).users_affected == 2**31 - 1


# --- a CSV field past the csv module's limit --------------------------------------------


def test_a_services_csv_with_a_field_past_the_csv_limit_is_one_line(
    warroom: CliInvoke, store: Store, tmp_path: Path
) -> None:
    file = tmp_path / "owners.csv"
    file.write_text("functionality,service\nsearch,api\n" + "x" * 140_000 + ",api\n")
    before = snapshot(store)
    refused(warroom("services import", str(file)), "line 3")
    assert snapshot(store) == before


def test_a_services_csv_naming_a_column_twice_or_too_long_a_value_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="names the column 'team' twice"):
        services.parse_ownership_csv("functionality,team,team\nsearch,a,b\n")
    with pytest.raises(InvalidInput, match=r"^line 2: the functionality is too long: 201 characters, at most 200$"):
        services.parse_ownership_csv("functionality\n" + "f" * 201 + "\n")
    assert services.parse_ownership_csv("functionality\n" + "f" * 200 + "\n")[0].functionality == "f" * 200


# --- one supported range of times --------------------------------------------------------

YEAR_ONE = datetime(1, 1, 1, 3, tzinfo=UTC)
OUT_OF_RANGE = [YEAR_ONE, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), NOW + timedelta(days=367)]


@pytest.fixture
def west_policy(tmp_path: Path) -> Policy:
    """A policy in a zone west of UTC, where year 1 cannot even be shown."""
    config = tmp_path / "west.toml"
    config.write_text('timezone = "America/New_York"\n')
    return load_policy(config)


@pytest.fixture
def west_store(db_url: str, west_policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    with Store(db_url, policy=west_policy, clock=clock) as opened:
        yield opened


@pytest.mark.parametrize("at", OUT_OF_RANGE, ids=["year-1", "1969", "a-year-ahead"])
def test_every_operation_refuses_a_time_outside_the_supported_range(west_store: Store, at: datetime) -> None:
    store = west_store
    ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="all", ic="Dana").ref
    before = snapshot(store)
    for call in (
        lambda: ops.declare(store, severity=1, functionality="api", state="down", audience="all", at=at),
        lambda: ops.log(store, ref, "backdated", at=at, confirmed=True),
        lambda: ops.log(store, ref, "entered then", entered_at=at),
        lambda: ops.log_many(store, ref, [("pasted", at)]),
        lambda: ops.change_severity(store, ref, 1, at=at),
        lambda: ops.set_milestone(store, ref, "started", at=at),
        lambda: ops.assign_role(store, ref, "scribe", "Lee", at=at),
        lambda: ops.record_status_update(store, ref, channel="internal", kind="update", at=at),
        lambda: postmortem.update_postmortem(store, ref, meeting_at=at),
        lambda: checklists.sign_off(store, ref, author="Dana", at=at),
        lambda: checklists.tick_step(store, ref, "triage", at=at),
    ):
        with pytest.raises(InvalidInput, match="out of range") as raised:
            call()
        one_line(str(raised.value))
    assert snapshot(store) == before


@pytest.mark.parametrize("at", ["0001-01-01T03:00Z", "0001-01-01T03:00", "1969-12-31T23:59Z", "9999-12-31T23:00"])
def test_declare_at_a_time_outside_the_range_is_one_line_in_a_zone_west_of_utc(
    warroom: CliInvoke, tmp_path: Path, at: str
) -> None:
    config = tmp_path / "west.toml"
    config.write_text('timezone = "America/New_York"\n')
    args = ("--sev", "1", "--functionality", "api", "--state", "down", "--audience", "all", "--yes")
    refused(warroom("declare", "--config", str(config), "--at", at, *args), "out of range")
    assert warroom("list", "--json").stdout.strip() == "[]"


def test_a_scribe_time_outside_the_range_is_refused_with_the_reason(west_policy: Policy) -> None:
    for token in ("@0001-01-01T00:00Z", "@0001-01-01T00:00", "@9999-12-31T23:59-05:00"):
        with pytest.raises(ScribeLineError, match="out of range"):
            parse_scribe_line(f"{token} pager fired", now=NOW, tz=west_policy.tz)


IMPORTED_TIMES = [
    ("incident", "declared_at"),
    ("incident", "milestones", "started"),
    ("severity_history", 0, "at"),
    ("severity_history", 0, "logged_at"),
    ("roles", 0, "from"),
    ("timeline", 0, "at"),
    ("timeline", 0, "logged_at"),
    ("timeline", 1, "revisions", 0, "at"),
    ("timeline", 1, "revisions", 0, "replaced_at"),
    ("status_updates", 0, "sent_at"),
    ("action_items", 0, "created_at"),
    ("postmortem", "meeting_at"),
    ("checklists", 0, "done_at"),
]


@pytest.fixture(scope="module")
def full_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo incident's export with every kind of time filled in."""
    path = tmp_path_factory.mktemp("full") / "demo.db"
    with Store(path, policy=load_policy(), clock=FrozenClock(NOW)) as store:
        ref = build_demo(store)
        seq = ops.log(store, ref, "to be edited").seq
        ops.edit_event(store, ref, seq, "edited")
        ops.add_action_item(store, ref, "Alert on TLS expiry")
        postmortem.update_postmortem(store, ref, meeting_at=NOW + timedelta(days=1), owner="Dana")
        checklists.tick_step(store, ref, "triage")
        document: dict[str, Any] = json.loads(export.export_json(store, ref))
    document["incident"]["ref"] = "inc-imported"
    document["incident"]["milestones"].setdefault("started", FROZEN)
    timeline = document["timeline"]
    edited = next(i for i, e in enumerate(timeline) if e["revisions"])
    timeline.insert(1, timeline.pop(edited))
    assert document["status_updates"] and document["checklists"]
    return document


def set_at(document: dict[str, Any], path: tuple[object, ...], value: object) -> None:
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value


def refused_import(store: Store, full_document: dict[str, Any], path: tuple[object, ...], value: object) -> str:
    """The one-line refusal of `full_document` with `value` at `path`, after checking that
    nothing was written."""
    document = copy.deepcopy(full_document)
    set_at(document, path, value)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as raised:
        export.import_json(store, json.dumps(document))
    one_line(str(raised.value))
    assert snapshot(store) == before
    return str(raised.value)


def test_the_full_document_imports_as_it_is(store: Store, full_document: dict[str, Any]) -> None:
    assert export.import_json(store, json.dumps(full_document)).ref == "inc-imported"


@pytest.mark.parametrize("path", IMPORTED_TIMES, ids=lambda path: ".".join(map(str, path)))
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2027-11-25T14:40:00Z"])
def test_an_imported_time_outside_the_range_is_refused_naming_the_field(
    store: Store, full_document: dict[str, Any], path: tuple[object, ...], value: str
) -> None:
    message = refused_import(store, full_document, path, value)
    assert message.startswith(f"invalid export: {'.'.join(map(str, path))}: {value} is out of range"), message


def test_an_imported_year_one_event_cannot_reach_the_timeline_or_the_checklist(
    warroom: CliInvoke, store: Store, full_document: dict[str, Any], tmp_path: Path
) -> None:
    document = copy.deepcopy(full_document)
    set_at(document, ("timeline", 0, "at"), "0001-01-01T00:00:00Z")
    file = tmp_path / "year-one.json"
    file.write_text(json.dumps(document))
    refused(warroom("import", str(file)), "timeline.0.at", "out of range")
    assert "inc-imported" not in warroom("list").stdout


# --- imported values of the wrong JSON type, or named twice -----------------------------


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("incident", "severity"), True, "incident.severity"),
        (("severity_history", 0, "severity"), True, "severity_history.0.severity"),
        (("incident", "full_outage"), 1, "incident.full_outage"),
        (("incident", "full_outage"), "yes", "incident.full_outage"),
        (("timeline", 0, "seq"), 1.0, "timeline.0.seq"),
        (("timeline", 0, "key"), "true", "timeline.0.key"),
        (("status_updates", 0, "posted"), 0, "status_updates.0.posted"),
        (("checklists", 0, "position"), False, "checklists.0.position"),
        (("postmortem", "impact", "users_affected"), True, "postmortem.impact.users_affected"),
        (("version",), True, "version"),
    ],
)
def test_an_imported_boolean_is_no_number_and_a_number_no_boolean(
    store: Store, full_document: dict[str, Any], path: tuple[object, ...], value: object, where: str
) -> None:
    assert where in refused_import(store, full_document, path, value)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            '"severity": 2,',
            '"severity": 1, "severity": 2,',
            "invalid export: incident: the key 'severity' is given twice",
        ),
        ('"format": ', '"incident": {}, "format": ', "invalid export: the document: the key 'incident' is given twice"),
        (
            '"kind": "declared",',
            '"kind": "note", "kind": "declared",',
            "invalid export: timeline.0: the key 'kind' is given twice",
        ),
    ],
)
def test_an_imported_key_given_twice_is_refused_naming_it_and_where(
    store: Store, exported: str, replace: str, by: str, message: str
) -> None:
    text = exported.replace(replace, by, 1)
    assert text != exported
    before = snapshot(store)
    with pytest.raises(InvalidInput) as raised:
        export.import_json(store, text)
    assert str(raised.value) == message
    assert snapshot(store) == before


# --- text longer than its column holds ---------------------------------------------------


def test_every_text_column_has_one_limit_and_the_docs_list_it() -> None:

    documented = (DOCS / "export-format.md").read_text()
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, AutoString):
                name = f"{table.name}.{column.name}"
                limit = limits.TEXT_LIMITS[name]
                if column.type.length is not None:
                    assert limit == column.type.length, name
                assert re.search(rf"`{re.escape(name)}`[^\n]*\| {limit:,} \|", documented), name
    assert limits.TEXT_LIMITS["role_assignment.role"] == policy_module.ROLE_KEY_MAX
    assert limits.TEXT_LIMITS["checklist_item.label"] == policy_module.FOLLOW_UP_MAX
    assert limits.TEXT_LIMITS["event.text"] >= 1_000_000  # a pasted block of a log still fits


def _overlong_calls(store: Store, ref: str) -> list[tuple[Callable[[], object], str]]:
    """Each way into the record with one text one character too long, and the one message
    it must give: the same on every backend."""
    name, part = "N" * 201, "f" * 201
    return [
        (
            lambda: ops.declare(store, severity=1, functionality=part, state="down", audience="all"),
            "the incident's functionality is too long: 201 characters, at most 200",
        ),
        (
            lambda: ops.declare(store, severity=1, functionality="api", state="down", audience=part),
            "the incident's audience is too long: 201 characters, at most 200",
        ),
        (lambda: ops.assign_role(store, ref, "sme", name), "a person's name is too long: 201 characters, at most 200"),
        (
            lambda: ops.assign_role(store, ref, "sme", "Sam", note="n" * 1_001),
            "the role assignment's note is too long: 1,001 characters, at most 1,000",
        ),
        (
            lambda: ops.log(store, ref, "ack", author=name),
            "the event's author is too long: 201 characters, at most 200",
        ),
        (
            lambda: ops.log_many(store, ref, [("ack", None)], author=name),
            "the event's author is too long: 201 characters, at most 200",
        ),
        (
            lambda: ops.log(store, ref, "x" * 1_000_001),
            "the line is too long: 1,000,001 characters, at most 1,000,000: split it",
        ),
        (
            lambda: ops.edit_event(store, ref, 3, "x" * 1_000_001),
            "the line is too long: 1,000,001 characters, at most 1,000,000: split it",
        ),
        (
            lambda: ops.set_impact(store, ref, customer_impact="i" * 10_001),
            "the incident's customer impact is too long: 10,001 characters, at most 10,000",
        ),
        (
            lambda: ops.record_status_update(store, ref, channel="internal", kind="k" * 21),
            "the status update's kind is too long: 21 characters, at most 20",
        ),
        (
            lambda: ops.add_action_item(store, ref, "t" * 1_001),
            "the action item's title is too long: 1,001 characters, at most 1,000",
        ),
        (
            lambda: ops.update_action_item(store, ref, 1, ticket_url="https://x/" + "u" * 1_991),
            "the action item's ticket url is too long: 2,001 characters, at most 2,000",
        ),
        (
            lambda: postmortem.update_postmortem(store, ref, sections={"overview": "s" * 200_001}),
            "a post-mortem section is too long: 200,001 characters, at most 200,000",
        ),
        (
            lambda: postmortem.update_postmortem(store, ref, owner=name),
            "the post-mortem's owner is too long: 201 characters, at most 200",
        ),
        (
            lambda: checklists.tick_step(store, ref, "triage", author=name),
            "the name of who ticked the step is too long: 201 characters, at most 200",
        ),
    ]


def test_text_one_character_too_long_is_refused_with_one_message_on_both_backends(store: Store, ref: str) -> None:
    before = snapshot(store)
    for call, message in _overlong_calls(store, ref):
        with pytest.raises(InvalidInput) as raised:
            call()
        assert str(raised.value) == message
    assert snapshot(store) == before


def test_text_at_the_limit_is_kept_whole_on_both_backends(store: Store, ref: str) -> None:
    name = "N" * 200
    declared = ops.declare(store, severity=1, functionality="f" * 200, state="s" * 200, audience="a" * 200, ic=name)
    ops.assign_role(store, ref, "sme", name, note="n" * 1_000)
    event = ops.log(store, ref, "x" * 1_000_000, author=name)
    ops.record_status_update(store, ref, channel="internal", kind="k" * 20, subject="s" * 1_000, body="b" * 200_000)
    postmortem.update_postmortem(store, ref, sections={"overview": "s" * 200_000}, owner=name)
    assert ops.get_incident(store, declared.ref).functionality == "f" * 200
    kept = next(e for e in ops.timeline(store, ref) if e.seq == event.seq)
    assert kept.text == "x" * 1_000_000 and kept.author == name


def test_a_role_given_a_201_character_name_is_one_line_from_the_cli(warroom: CliInvoke, store: Store, ref: str) -> None:
    before = snapshot(store)
    refused(warroom("role", ref, "sme", "N" * 201), "a person's name is too long: 201 characters, at most 200")
    refused(warroom("action", ref, "t" * 1_001), "the action item's title is too long")
    assert snapshot(store) == before


def test_a_scribe_line_longer_than_an_event_holds_is_refused_before_it_is_queued() -> None:
    with pytest.raises(ScribeLineError, match="too long: 1,000,001 characters, at most 1,000,000") as raised:
        parse_scribe_line("!/note " + "x" * 1_000_001, now=NOW, tz=UTC)
    assert raised.value.line.endswith("x")
    assert len(parse_scribe_line("!/note " + "x" * 1_000_000, now=NOW, tz=UTC).text) == 1_000_000


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("incident", "functionality"),
            "f" * 1_000_000,
            "incident.functionality: too long: 1,000,000 characters, at most 200",
        ),
        (("roles", 0, "person"), "N" * 201, "roles.0.person: too long: 201 characters, at most 200"),
        (("timeline", 0, "author"), "N" * 201, "timeline.0.author: too long: 201 characters, at most 200"),
        (
            ("timeline", 0, "text"),
            "x" * 1_000_001,
            "timeline.0.text: too long: 1,000,001 characters, at most 1,000,000",
        ),
        (("status_updates", 0, "kind"), "k" * 21, "status_updates.0.kind: too long: 21 characters, at most 20"),
        (
            ("action_items", 0, "tags"),
            ["t" * 600, "u" * 600],
            "action_items.0.tags: together too long: 1,201 characters, at most 1,000",
        ),
        (
            ("postmortem", "sections", "overview"),
            "s" * 200_001,
            "postmortem.sections.overview: too long: 200,001 characters, at most 200,000",
        ),
        (("checklists", 0, "done_by"), "N" * 201, "checklists.0.done_by: too long: 201 characters, at most 200"),
    ],
)
def test_an_import_with_text_longer_than_its_column_is_refused_naming_the_field(
    store: Store, full_document: dict[str, Any], path: tuple[object, ...], value: object, message: str
) -> None:
    document = copy.deepcopy(full_document)
    set_at(document, path, value)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as raised:
        export.import_json(store, json.dumps(document))
    assert str(raised.value) == f"invalid export: {message}"
    assert snapshot(store) == before


def test_a_long_text_stored_before_the_limits_leaves_the_incident_usable(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    with Store(tmp_path / "old.db", policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="all").ref
        with store.engine.begin() as connection:  # as an older warroom let an import store it
            connection.execute(sa.text("UPDATE incident SET functionality = :long"), {"long": "f" * 300})
        assert ops.log(store, ref, "still logging").text == "still logging"
        with pytest.raises(InvalidInput, match="functionality is too long"):
            ops.declare(store, severity=2, functionality="f" * 300, state="slow", audience="all")


@pytest.mark.postgres
def test_values_at_every_limit_go_from_sqlite_to_postgresql_and_back_unchanged(
    tmp_path: Path, pg_url: str, policy: Policy, clock: FrozenClock
) -> None:
    name = "N" * 200
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as sqlite:
        ref = ops.declare(
            sqlite,
            severity=1,
            functionality="f" * 200,
            state="s" * 200,
            audience="a" * 200,
            ic=name,
            customer_impact="i" * 10_000,
            known_impacted_customers="c" * 10_000,
        ).ref
        ops.assign_role(sqlite, ref, "sme", "M" * 200, note="n" * 1_000)
        ops.log(sqlite, ref, "!/decision " + "x" * 999_989, author=name)
        ops.record_status_update(
            sqlite, ref, channel="internal", kind="k" * 20, subject="s" * 1_000, body="b" * 200_000, author=name
        )
        ops.add_action_item(sqlite, ref, "t" * 1_000, owner=name, ticket_url="u" * 2_000, category="c" * 200)
        postmortem.update_postmortem(
            sqlite,
            ref,
            owner=name,
            recording_url="r" * 2_000,
            support_requests="q" * 10_000,
            sections={key: key[0] * 200_000 for key in ("overview", "what_happened")},
        )
        checklists.tick_step(sqlite, ref, "triage", author=name)
        text = export.export_json(sqlite, ref)
    with Store(pg_url, policy=policy, clock=clock) as postgresql:
        imported = export.import_json(postgresql, text)
        assert export.export_json(postgresql, imported.ref) == text


# --- from an adversarial pass ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("incident", "declared_at"), 1764103689, "a time is ISO 8601 text"),
        (("timeline", 0, "at"), 1764103689.5, "a time is ISO 8601 text"),
        (("postmortem", "impact", "users_affected"), -5, "postmortem.impact.users_affected"),
        (("postmortem", "impact", "time_in_sev", "SEV1"), -1, "postmortem.impact.time_in_sev.SEV1"),
        (("timeline", 1, "revisions", 0, "revision"), 0, "timeline.1.revisions.0.revision"),
        (("action_items", 0, "due_date"), "0001-01-01", "out of range: before 1970"),
        (("action_items", 0, "due_date"), "9999-12-31", "out of range: more than a year ahead"),
    ],
)
def test_an_import_holds_values_to_the_rules_of_every_other_way_in(
    store: Store, full_document: dict[str, Any], path: tuple[object, ...], value: object, needle: str
) -> None:
    message = refused_import(store, full_document, path, value)
    assert needle in message and message.startswith("invalid export: ")


def test_an_import_in_utf_16_is_refused(store: Store, full_document: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="invalid JSON") as raised:
        export.import_json(store, json.dumps(full_document).encode("utf-16"))
    one_line(str(raised.value))
    assert export.import_json(store, b"\xef\xbb\xbf" + json.dumps(full_document).encode()).ref == "inc-imported"


@pytest.mark.parametrize("due", ["1969-12-31", "2027-12-31"])
def test_a_due_date_outside_the_range_is_one_line(warroom: CliInvoke, store: Store, ref: str, due: str) -> None:
    before = snapshot(store)
    refused(warroom("action", ref, "Rotate the keys", "--due", due), f"the due date {due} is out of range")
    assert snapshot(store) == before


def test_a_database_path_or_user_name_that_is_not_utf8_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    path = str(tmp_path) + "/\udcff.db"  # the byte 0xff as Python receives it from argv
    result = runner.invoke(main, ["list", "--db", path], catch_exceptions=False)
    refused(result, "holds bytes that are not UTF-8 text")
    monkeypatch.setenv("WARROOM_DB", path)
    refused(runner.invoke(main, ["list"], catch_exceptions=False), "holds bytes that are not UTF-8 text")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "w.db"))
    monkeypatch.setenv("WARROOM_USER", "U\udcff")
    result = runner.invoke(main, ["declare", "--sev", "2", "--functionality", "a", "--state", "b", "--audience", "c"])
    refused(result, "WARROOM_USER", "holds bytes that are not UTF-8 text")
