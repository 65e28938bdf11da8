"""Tests for the configurable incident policy, its loader and the template renderer."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import policy as policy_module
from storage.errors import ConfigError, InvalidInput
from storage.policy import (
    CONFIG_ENV,
    Deadline,
    Policy,
    default_config_text,
    load_policy,
    resolve_config_path,
    user_config_file,
)
from storage.templates import TemplateError, placeholders, render_template

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Never read the real user config: point platformdirs at an empty temp dir."""
    config_dir = tmp_path / "user-config"
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: str(config_dir))
    return config_dir


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


# --------------------------------------------------------------------------- defaults


def test_default_severities_match_domain() -> None:
    policy = load_policy()
    assert list(policy.severities) == [1, 2, 3]
    expected = {
        1: ("SEV1", "major", "20m", "30m", "1h", Deadline(amount=3, business=False)),
        2: ("SEV2", "minor", "50m", "1h", "3h", Deadline(amount=5, business=True)),
        3: ("SEV3", "investigation", "2h50m", "3h", None, None),
    }
    durations = {
        "20m": timedelta(minutes=20),
        "30m": timedelta(minutes=30),
        "50m": timedelta(minutes=50),
        "1h": timedelta(hours=1),
        "3h": timedelta(hours=3),
        "2h50m": timedelta(hours=2, minutes=50),
        None: None,
    }
    for level, (key, name, checkin, internal, status, deadline) in expected.items():
        sev = policy.severities[level]
        assert (sev.level, sev.key, sev.name) == (level, key, name)
        assert sev.definition
        assert sev.checkin == durations[checkin]
        assert sev.internal_update == durations[internal]
        assert sev.status_page == durations[status]
        assert sev.postmortem_deadline == deadline
        assert policy.cadences(level) == {
            "checkin": durations[checkin],
            "internal_update": durations[internal],
            "status_page": durations[status],
        }


def test_default_process_naming_and_roles_match_domain() -> None:
    policy = load_policy()
    assert policy.process.decide_within == timedelta(minutes=10)
    assert policy.process.declare_within == timedelta(minutes=20)
    declared = datetime(2026, 11, 23, 9, 5, tzinfo=policy.tz)
    assert policy.reference(declared, 1) == "inc-26-11-23-SEV-1"
    assert policy.title("login", "failing", "EU customers") == "login is failing for EU customers"

    assert list(policy.roles) == [
        "ic", "deputy", "scribe", "sme", "customer_liaison", "internal_liaison",
    ]
    names = {key: role.name for key, role in policy.roles.items()}
    assert names == {
        "ic": "Incident Commander",
        "deputy": "Deputy",
        "scribe": "Scribe",
        "sme": "Subject Matter Expert",
        "customer_liaison": "Customer Liaison",
        "internal_liaison": "Internal Liaison",
    }
    assert [key for key, role in policy.roles.items() if role.many] == ["sme"]
    follow = {key: len(role.follow_up) for key, role in policy.roles.items()}
    assert follow == {
        "ic": 6, "deputy": 0, "scribe": 2, "sme": 1, "customer_liaison": 2, "internal_liaison": 0,
    }
    assert policy.roles["ic"].follow_up[0] == "Set the final severity"


def test_default_config_text_is_the_packaged_file() -> None:
    text = default_config_text()
    assert text == (Path(policy_module.__file__).parent / "default_config.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert set(data) == {"confirm_times_older_than", "naming", "process", "severity", "roles", "templates", "keys"}
    assert data["keys"] == {}
    assert '# timezone = "Europe/Berlin"' in text


def test_copied_defaults_load_identically(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, default_config_text())) == load_policy()


def test_default_timezone_is_machine_zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Zone:
        name = "Asia/Tokyo"

    import pendulum

    from storage import policy_check

    # The system files name no zone: pendulum is asked.
    monkeypatch.setattr(policy_check, "ZONE_FILES", (tmp_path / "timezone", tmp_path / "localtime"))
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(pendulum, "local_timezone", lambda: Zone())
    assert load_policy().timezone == "Asia/Tokyo"
    Zone.name = "+05:00"  # a fixed offset with no IANA name
    assert load_policy().timezone == "UTC"


def test_machine_zone_is_read_from_tz_then_etc_timezone_then_the_localtime_link(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pendulum

    from storage import policy_check

    def no_pendulum() -> None:
        raise AssertionError("pendulum asked although the system names the zone")

    monkeypatch.setattr(pendulum, "local_timezone", no_pendulum)
    named, link = tmp_path / "timezone", tmp_path / "localtime"
    monkeypatch.setattr(policy_check, "ZONE_FILES", (named, link))
    zoneinfo = tmp_path / "usr/share/zoneinfo/America"
    zoneinfo.mkdir(parents=True)
    (zoneinfo / "New_York").write_bytes(b"TZif2")
    link.symlink_to(zoneinfo / "New_York")
    monkeypatch.delenv("TZ", raising=False)
    assert load_policy().timezone == "America/New_York"  # the link's name
    named.write_text("Asia/Tokyo # set by the installer\n")
    assert load_policy().timezone == "Asia/Tokyo"  # /etc/timezone before the link
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert load_policy().timezone == "Europe/Berlin"  # TZ first
    monkeypatch.setenv("TZ", "/usr/share/zoneinfo/Europe/Lisbon")
    assert load_policy().timezone == "Europe/Lisbon"
    named.write_text("Not/AZone\n")
    monkeypatch.delenv("TZ")
    assert load_policy().timezone == "America/New_York"  # a wrong name is passed over


def test_timezone_from_config(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, 'timezone = "Europe/Berlin"\n'))
    assert policy.timezone == "Europe/Berlin"
    assert policy.tz == BERLIN
    # 23:30 UTC is already the next day in Berlin.
    assert policy.reference(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "SEV2") == "inc-26-11-24-SEV-2"
    # A naive time is taken as local.
    assert policy.reference(datetime(2026, 1, 2, 23, 30), 3) == "inc-26-01-02-SEV-3"


# --------------------------------------------------------------------------- merging


def test_partial_user_file_merges_over_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [severity.SEV1]
        checkin = "15m"

        [severity.SEV2]
        postmortem_deadline = "2 business days"

        [roles.scribe]
        follow_up = ["Tidy the timeline"]
        """,
    )
    policy = load_policy(path)
    defaults = load_policy()
    assert policy.severities[1].checkin == timedelta(minutes=15)
    assert policy.severities[1].internal_update == defaults.severities[1].internal_update
    assert policy.severities[1].name == "major"
    assert policy.severities[2].postmortem_deadline == Deadline(amount=2, business=True)
    assert policy.severities[3] == defaults.severities[3]
    assert policy.roles["scribe"].follow_up == ("Tidy the timeline",)
    assert policy.roles["scribe"].name == "Scribe"
    assert policy.roles["ic"] == defaults.roles["ic"]
    assert policy.naming == defaults.naming


def test_new_severity_and_role_are_added(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [severity.SEV4]
        name = "cosmetic"
        definition = "Looks wrong, works fine."
        checkin = "1d"
        internal_update = "1d"
        status_page = "never"
        postmortem_deadline = "none"

        [severity.SEV0]
        name = "critical"
        definition = ""
        checkin = "10m"
        internal_update = "15m"
        status_page = "30m"
        postmortem_deadline = "1 day"

        [roles.comms_lead]
        name = "Comms Lead"
        """,
    )
    policy = load_policy(path)
    assert list(policy.severities) == [0, 1, 2, 3, 4]
    assert policy.severity("sev4").checkin == timedelta(days=1)
    assert policy.severity(0).postmortem_deadline == Deadline(amount=1)
    assert list(policy.roles)[-1] == "comms_lead"
    assert policy.role("comms lead").many is False
    assert policy.role("Comms-Lead").follow_up == ()


def test_new_severity_must_be_complete(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[severity.SEV4]\nname = "cosmetic"\n')
    assert "severity.SEV4.definition: missing" in message
    assert "checkin" in message


# --------------------------------------------------------------------------- file resolution


def test_user_config_dir_is_used_when_present(isolated_config: Path) -> None:
    assert resolve_config_path() is None
    isolated_config.mkdir()
    (isolated_config / "config.toml").write_text('[process]\ndecide_within = "5m"\n', "utf-8")
    assert user_config_file() == isolated_config / "config.toml"
    assert resolve_config_path() == isolated_config / "config.toml"
    assert load_policy().process.decide_within == timedelta(minutes=5)


def test_env_var_wins_over_user_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_config: Path
) -> None:
    isolated_config.mkdir()
    (isolated_config / "config.toml").write_text('[process]\ndecide_within = "5m"\n', "utf-8")
    env_file = write(tmp_path, '[process]\ndecide_within = "7m"\n', "env.toml")
    monkeypatch.setenv(CONFIG_ENV, str(env_file))
    assert load_policy().process.decide_within == timedelta(minutes=7)


def test_env_var_pointing_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError, match=rf"^{CONFIG_ENV}=.*nope\.toml: config file not found$"):
        load_policy()


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml: config file not found$"):
        load_policy(tmp_path / "absent.toml")


def test_explicit_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r": not a file$"):
        load_policy(tmp_path)


# --------------------------------------------------------------------------- config errors


def test_bad_duration(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[severity.SEV1]\ncheckin = "20x"\n')
    assert message.endswith(
        "config.toml: severity.SEV1.checkin: '20x' is not a duration: use forms like 20m, 2h50m, 90s"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[severity.SEV1]\ncheckin = 20\n', "severity.SEV1.checkin: expected a duration in quotes"),
        ('[severity.SEV1]\ncheckin = "0m"\n', "severity.SEV1.checkin: '0m' must be longer than zero"),
        ('[severity.SEV1]\ncheckin = "never"\n', "severity.SEV1.checkin: 'never' is not allowed here"),
        ('[severity.SEV1]\nstatus_page = "soon"\n', "severity.SEV1.status_page: 'soon' is not a duration"),
        ('[process]\ndeclare_within = "x"\n', "process.declare_within: 'x' is not a duration"),
        ('[severity.SEV2]\npostmortem_deadline = "5 weeks"\n',
         "severity.SEV2.postmortem_deadline: '5 weeks' is not a deadline"),
        ('[severity.SEV2]\npostmortem_deadline = "0 days"\n',
         "severity.SEV2.postmortem_deadline: '0 days': the number of days must be 1 to"),
        ('[severity.SEV2]\nname = ""\n', "severity.SEV2.name: must not be empty"),
        ('[roles.sme]\nmany = "yes"\n', "roles.sme.many: expected true or false, got the text 'yes'"),
        ('[roles.sme]\nfollow_up = ["ok", 3]\n', "roles.sme.follow_up[1]: expected text in quotes"),
        ('naming = "x"\n', "naming: expected a table, got the text 'x'"),
        ('[roles.Bad-Key]\nname = "Bad"\n', "roles.Bad-Key: role keys use lowercase letters"),
        ('[roles.boss]\nname = "incident commander"\n',
         "roles.boss.name: 'incident commander' clashes with role 'ic'"),
        ('[roles.boss]\nmany = true\n', "roles.boss.name: missing"),
    ],
)
def test_value_errors_name_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    assert f"config.toml: {expected}" in config_error(tmp_path, text)


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[severity.SEV1]\nchekin = "15m"\n')
    assert message.endswith("config.toml: severity.SEV1.chekin: unknown key: did you mean 'checkin'?")
    message = config_error(tmp_path, 'colour = "red"\n')
    assert message.endswith(
        "config.toml: colour: unknown key: use one of timezone, user, confirm_times_older_than, naming, process, "
        "severity, roles, templates, keys, send"
    )
    message = config_error(tmp_path, '[process]\ndecide_in = "5m"\n')
    assert "process.decide_in: unknown key: did you mean 'decide_within'?" in message


def test_severity_keys_must_look_like_sevn(tmp_path: Path) -> None:
    for key in ("sev1", "SEV", "SEV01", "critical"):
        message = config_error(tmp_path, f'[severity.{key}]\nname = "x"\n')
        assert f"config.toml: severity.{key}: severity tables are named SEV followed by a number" in message
    assert config_error(tmp_path, '[severity.sev2]\nname = "x"\n').endswith("like SEV1: write SEV2")


def test_toml_syntax_error_quotes_line_and_column(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[process]\ndecide_within = "5m"\ndeclare_within 20m\n')
    assert "config.toml: invalid TOML:" in message
    assert "line 3" in message and "column" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[naming]\ntitle = "\xff"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: not UTF-8 text"):
        load_policy(path)


def test_bad_template_placeholder(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[naming]\ntitle = "{functionality} broke for {customer}"\n')
    assert message.endswith(
        "config.toml: naming.title: unknown placeholder {customer}: use one of {functionality}, {state}, {audience}"
    )
    message = config_error(tmp_path, '[naming]\nreference = "inc-{yyyy}-{month}"\n')
    assert "naming.reference: unknown placeholder {month}: use one of {yy}, {yyyy}, {mm}, {dd}, {sev}" in message
    message = config_error(tmp_path, '[naming]\nreference = "inc-{sev.__class__}"\n')
    assert "naming.reference: invalid placeholder '{sev.__class__}'" in message


def test_escaped_braces_in_naming(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, '[naming]\nreference = "{{inc}}-{yyyy}{mm}{dd}-{sev}"\n'))
    assert policy.reference(datetime(2026, 3, 4, 12, tzinfo=policy.tz), 2) == "{inc}-20260304-2"


def test_bad_timezone(tmp_path: Path) -> None:
    for zone in ("Mars/Olympus", "Europe", "../etc", ""):
        message = config_error(tmp_path, f'timezone = "{zone}"\n')
        if zone:
            assert f"config.toml: timezone: '{zone}' is not a known time zone" in message
        else:
            assert "config.toml: timezone: must not be empty" in message


# --------------------------------------------------------------------------- lookups


def test_severity_lookup() -> None:
    policy = load_policy()
    for spelling in (1, "1", "SEV1", "sev1", " Sev-1 ", "SEV 1"):
        assert policy.severity(spelling).key == "SEV1"
    with pytest.raises(InvalidInput, match=r"^unknown severity 'SEV9': use one of SEV1, SEV2, SEV3$"):
        policy.severity("SEV9")
    with pytest.raises(InvalidInput, match=r"^unknown severity 'SEV9': use one of SEV1, SEV2, SEV3$"):
        policy.severity(9)
    for bad in ("", "major", "SEV1.5", True):
        with pytest.raises(InvalidInput, match="unknown severity"):
            policy.severity(bad)


def test_role_lookup() -> None:
    policy = load_policy()
    for spelling in ("ic", "IC", "Incident Commander", "incident-commander", "INCIDENT_COMMANDER"):
        assert policy.role(spelling).key == "ic"
    assert policy.role("customer-liaison").key == "customer_liaison"
    assert policy.role("Customer Liaison").key == "customer_liaison"
    assert policy.role("subject matter expert").key == "sme"
    assert policy.role("SME").many is True
    with pytest.raises(InvalidInput) as info:
        policy.role("boss")
    assert str(info.value) == (
        "unknown role 'boss': use one of ic, deputy, scribe, sme, customer_liaison, internal_liaison"
    )


def test_policy_is_frozen() -> None:
    policy = load_policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.timezone = "UTC"  # type: ignore[misc]
    assert isinstance(policy, Policy)


# --------------------------------------------------------------------------- deadlines


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        (berlin(2026, 11, 20, 15), 5, berlin(2026, 11, 27, 15)),  # Friday -> next Friday
        (berlin(2026, 11, 20, 15), 1, berlin(2026, 11, 23, 15)),  # Friday -> Monday
        (berlin(2026, 11, 21, 10), 1, berlin(2026, 11, 23, 10)),  # Saturday -> Monday
        (berlin(2026, 11, 22, 10), 1, berlin(2026, 11, 23, 10)),  # Sunday -> Monday
        (berlin(2026, 11, 21, 10), 5, berlin(2026, 11, 27, 10)),  # Saturday -> Friday
        (berlin(2026, 11, 22, 23, 59), 2, berlin(2026, 11, 24, 23, 59)),  # Sunday -> Tuesday
        (berlin(2026, 11, 18, 9), 2, berlin(2026, 11, 20, 9)),  # Wednesday -> Friday
        (berlin(2026, 11, 18, 9), 3, berlin(2026, 11, 23, 9)),  # Wednesday -> Monday
        (berlin(2026, 11, 18, 9), 10, berlin(2026, 12, 2, 9)),  # two weeks
        (berlin(2026, 11, 20, 15), 11, berlin(2026, 12, 7, 15)),  # Friday + 11 -> Monday
    ],
)
def test_business_days(start: datetime, amount: int, due: datetime) -> None:
    result = Deadline(amount=amount, business=True).due(start, BERLIN)
    assert result == due
    assert result.tzinfo is BERLIN
    assert result.weekday() < 5


def test_business_days_across_dst_change_keep_local_time() -> None:
    # Europe/Berlin springs forward on Sunday 2026-03-29 (CET +01:00 -> CEST +02:00).
    start = berlin(2026, 3, 27, 15)  # Friday, CET
    due = Deadline(amount=5, business=True).due(start, BERLIN)
    assert due == berlin(2026, 4, 3, 15)
    assert (due.hour, due.utcoffset()) == (15, timedelta(hours=2))
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7, hours=-1)
    # Falls back on Sunday 2026-10-25; a UTC start is read in local time.
    start_utc = datetime(2026, 10, 23, 13, tzinfo=UTC)  # Friday 15:00 CEST
    due = Deadline(amount=1, business=True).due(start_utc, BERLIN)
    assert due == berlin(2026, 10, 26, 15)
    assert due.utcoffset() == timedelta(hours=1)


def test_calendar_days_keep_local_time_across_dst() -> None:
    start = berlin(2026, 3, 27, 15)
    assert Deadline(amount=3).due(start, BERLIN) == berlin(2026, 3, 30, 15)
    assert Deadline(amount=3).due(berlin(2026, 11, 21, 10), BERLIN) == berlin(2026, 11, 24, 10)


def test_due_on_a_skipped_wall_time_moves_forward() -> None:
    # Asia/Jerusalem springs forward on Friday 2026-03-27 at 02:00 -> 03:00.
    israel = ZoneInfo("Asia/Jerusalem")
    start = datetime(2026, 3, 26, 2, 30, tzinfo=israel)  # Thursday
    due = Deadline(amount=1, business=True).due(start, israel)
    assert (due.day, due.hour, due.minute) == (27, 3, 30)
    assert due.astimezone(UTC) == datetime(2026, 3, 27, 0, 30, tzinfo=UTC)


def test_due_refuses_naive_start() -> None:
    with pytest.raises(ValueError):
        Deadline(amount=1).due(datetime(2026, 1, 1), BERLIN)


def test_deadline_text() -> None:
    assert str(Deadline(amount=3)) == "3 days"
    assert str(Deadline(amount=1, business=True)) == "1 business day"
    assert str(Deadline(amount=5, business=True)) == "5 business days"


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(BERLIN)),
    amount=st.integers(min_value=1, max_value=60),
)
def test_business_days_property(start: datetime, amount: int) -> None:
    due = Deadline(amount=amount, business=True).due(start, BERLIN)
    local = start.astimezone(BERLIN)
    assert due.weekday() < 5
    assert due > start
    weekdays_between = sum(
        1
        for offset in range(1, (due.date() - local.date()).days + 1)
        if (local.date() + timedelta(days=offset)).weekday() < 5
    )
    assert weekdays_between == amount


# --------------------------------------------------------------------------- templates


def test_render_template_basics() -> None:
    values = {"functionality": "login", "state": "failing", "audience": "EU customers"}
    assert render_template("{functionality} is {state} for {audience}", values) == ("login is failing for EU customers")
    assert render_template("{{literal}} {state} }}{{", values) == "{literal} failing }{"
    assert render_template("{{{state}}}", values) == "{failing}"
    assert render_template("", values) == ""
    assert render_template("{a_1}{B}", {"a_1": "x", "B": "y"}) == "xy"
    assert placeholders("{a} {{b}} {c} {a}") == {"a", "c"}


def test_render_template_does_not_interpret_values() -> None:
    assert render_template("{x}", {"x": "{y} {0.__class__}"}) == "{y} {0.__class__}"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{nope}", "unknown placeholder {nope}: use one of {name}"),
        ("{x.__class__}", "invalid placeholder '{x.__class__}'"),
        ("{0}", "invalid placeholder '{0}'"),
        ("{name!r}", "invalid placeholder '{name!r}'"),
        ("{name:>10}", "invalid placeholder '{name:>10}'"),
        ("{name[0]}", "invalid placeholder '{name[0]}'"),
        ("{}", "invalid placeholder '{}'"),
        ("{ name }", "invalid placeholder '{ name }'"),
        ("oops {name", "unmatched '{' at position 6"),
        ("oops } here", "unmatched '}' at position 6"),
    ],
)
def test_render_template_rejections(template: str, expected: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_template(template, {"name": "x"})
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_unknown_placeholder_without_known_names() -> None:
    with pytest.raises(TemplateError, match="takes no placeholders"):
        render_template("{x}", {})


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    template=st.text(alphabet=st.sampled_from("{}ab_0.!:[] \n") | st.characters(), max_size=40),
    values=st.dictionaries(_names, st.text(max_size=10), max_size=4),
)
def test_render_template_only_raises_template_error(template: str, values: dict[str, str]) -> None:
    try:
        result = render_template(template, values)
    except TemplateError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, str)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_escaped_text_renders_to_itself(text: str) -> None:
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert render_template(escaped, {}) == text
    assert placeholders(escaped) == set()
