"""The `warroom` command end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tui.cli import main

FROZEN = "2026-11-23T14:40:00Z"


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Invoke the CLI in-process against the test database, with the clock frozen."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        depth = 2 if args[0] == "services" else 1  # --db goes after the (sub)command's name
        result = runner.invoke(main, [*args[:depth], "--db", db_url, *args[depth:]], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


def declare(run) -> str:  # noqa: ANN001
    result = run("declare", "--sev", "1", "--functionality", "login", "--state", "failing",
                 "--audience", "EU customers", "--ic", "Dana", "--at", "-10m")
    last = result.stdout.strip().splitlines()[-1]
    assert last == "inc-26-11-23-SEV-1 login is failing for EU customers"
    return last.split()[0]


def test_declare_log_and_list(run) -> None:  # noqa: ANN001
    ref = declare(run)
    assert run("log", ref, "!/decision", "roll", "back").stdout == "#3 decision (key) at 2026-11-23 15:40:00 CET\n"
    assert run("log", ref, "pager fired", "--at", "15:35", "--author", "Lee").stdout.startswith("#4 note")
    listing = json.loads(run("list", "--json").stdout)
    assert listing == [{
        "ref": ref, "title": "login is failing for EU customers", "severity": 1, "status": "investigating",
        "declared_at": "2026-11-23T14:30:00Z", "updated_at": "2026-11-23T14:40:00Z", "ic": "Dana", "primary": None,
    }]
    assert ref in run("list").stdout
    timeline = run("timeline", ref).stdout.splitlines()
    assert timeline[-1].startswith("#3") and "Lee: pager fired" in timeline[-2]


def test_every_change_command(run) -> None:  # noqa: ANN001
    ref = declare(run)
    assert run("sev", ref, "2").stdout == f"{ref} is now SEV2\n"
    assert run("role", ref, "ic", "Priya").stdout == "Priya is Incident Commander\n"
    assert run("role", ref, "sme", "Marta", "--note", "payments").exit_code == 0
    assert run("role", ref, "sme", "Marta", "--release").stdout == "Marta no longer holds Subject Matter Expert\n"
    assert run("milestone", ref, "started", "--at", "-30m").stdout == "started at 2026-11-23 15:10:00 CET\n"
    assert run("milestone", ref, "retrospective-done", "--yes").exit_code == 0  # before resolution: asked
    assert run("status", ref, "identified").stdout == f"{ref} is identified\n"
    assert run("update", ref, "internal", "initial", "--subject", "SEV1 Incident").exit_code == 0
    assert "sev1_20261123" in run("action", ref, "Add alerting", "--owner", "Sam", "--due", "2026-12-01").stdout
    doc = json.loads(run("export", ref, "--format", "json").stdout)
    assert [c["severity"] for c in doc["severity_history"]] == [1, 2]
    assert [(r["role"], r["person"], r["until"] is None) for r in doc["roles"]] == [
        ("ic", "Dana", False), ("ic", "Priya", True), ("sme", "Marta", False),
    ]
    assert set(doc["incident"]["milestones"]) == {"started", "retrospective_done"}
    assert doc["incident"]["status"] == "identified"
    assert [(u["channel"], u["kind"]) for u in doc["status_updates"]] == [("internal", "initial")]
    assert doc["action_items"][0]["due_date"] == "2026-12-01"


def test_edit_strike_history(run) -> None:  # noqa: ANN001
    ref = declare(run)
    run("log", ref, "frist note")
    run("edit", ref, "3", "first note")
    run("strike", ref, "3")
    assert run("history", ref, "3").stdout.splitlines() == [
        "r1 note: frist note  [replaced 2026-11-23 15:40:00 CET by tester]",
        "r2 note: first note  [replaced 2026-11-23 15:40:00 CET by tester]",
        "r3 note (struck): first note  [current]",
    ]
    assert run("timeline", ref).stdout.splitlines()[-1].endswith("tester: first note (struck)")
    assert run("strike", ref, "3", "--undo", "--as", "Dana Okafor").stdout == "#3 restored\n"
    assert run("history", ref, "3").stdout.splitlines()[2:] == [
        "r3 note (struck): first note  [replaced 2026-11-23 15:40:00 CET by Dana Okafor]",
        "r4 note: first note  [current]",
    ]
    assert not run("timeline", ref).stdout.splitlines()[-1].endswith("(struck)")


def test_key_marks_an_event_and_off_takes_the_mark_back(run) -> None:  # noqa: ANN001
    ref = declare(run)
    run("log", ref, "pager fired")
    assert run("key", ref, "3", "--as", "Dana").stdout == "#3 is a key event\n"
    assert " ! note " in run("timeline", ref).stdout.splitlines()[-1]
    assert run("key", ref, "3", "--off").stdout == "#3 is no longer a key event\n"
    refused = run("key", ref, "3", "--off", ok=False)
    assert refused.exit_code != 0 and "event #3 is not a key event" in refused.stderr
    assert [line.split("  [")[0] for line in run("history", ref, "3").stdout.splitlines()] == [
        "r1 note: pager fired", "r2 note: pager fired", "r3 note: pager fired",
    ]
    assert " ! note " not in run("timeline", ref).stdout.splitlines()[-1]


def test_reminders_are_listed_snoozed_and_done_from_the_command_line(run) -> None:  # noqa: ANN001
    ref = declare(run)
    run("log", ref, "/remind 10m check the canary")
    run("log", ref, "/remind 1h call the vendor", "--author", "Lee")
    assert run("reminders", ref).stdout.splitlines() == [
        "#3  15:50  check the canary  [tester]", "#4  16:40  call the vendor  [Lee]",
    ]
    snoozed = run("reminders", ref, "--snooze", "3", "--for", "1h").stdout
    assert snoozed == "#5 Reminder #3 snoozed to 16:40: check the canary\n"
    assert run("reminders", ref, "--done", "4").stdout == "#6 Reminder #4 done: call the vendor\n"
    assert run("reminders", ref).stdout.splitlines() == ["#3  16:40  check the canary  [tester]"]
    refused = run("reminders", ref, "--done", "4", ok=False)
    assert refused.exit_code != 0 and "has no open reminder #4" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("log", "inc-nope", "hello"), "no incident 'inc-nope'"),
        (("log", "{ref}", "/bogus x"), "unknown command '/bogus'"),
        (("log", "{ref}", "hello", "--at", "25:99"), "'25:99' is not a time"),
        (("log", "{ref}", "hello", "--at", "+2h"), "not a time"),
        (("sev", "{ref}", "9"), "unknown severity"),
        (("role", "{ref}", "janitor", "Sam"), "unknown role"),
        (("milestone", "{ref}", "lunch"), "unknown milestone"),
        (("action", "{ref}", "x", "--due", "soon"), "'soon' is not a date"),
    ],
)
def test_errors_are_one_line_and_change_nothing(run, args: tuple[str, ...], message: str) -> None:  # noqa: ANN001
    ref = declare(run)
    before = run("export", ref, "--format", "json").stdout
    result = run(*(a.format(ref=ref) for a in args), ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: ") and message in lines[0]
    assert run("export", ref, "--format", "json").stdout == before


def test_export_and_import_round_trip(run, tmp_path: Path) -> None:  # noqa: ANN001
    ref = declare(run)
    run("log", ref, "/query error rate by region https://grafana.example.com/d/1")
    out = tmp_path / "incident.json"
    run("export", ref, "--format", "json", "-o", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    runner = CliRunner()
    other = tmp_path / "other.db"
    result = runner.invoke(main, ["import", "--db", str(other), str(out)])
    assert result.exit_code == 0 and result.stdout == f"imported {ref}\n"
    again = runner.invoke(main, ["export", "--db", str(other), ref, "--format", "json"])
    assert again.stdout == out.read_text()
    markdown = run("export", ref).stdout
    assert markdown.startswith(f"# {ref} login is failing for EU customers")


def test_import_rejects_a_bad_file(run, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "warroom.incident", "version": 1, "incident": {}}')
    result = run("import", str(bad), ok=False)
    assert result.exit_code == 1 and "invalid export: incident.ref" in result.stderr
    assert run("list").stdout.startswith("No incidents")
    missing = run("import", str(tmp_path / "nope.json"), ok=False)
    assert "cannot read" in missing.stderr


def test_config_prints_the_default_policy() -> None:
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0 and "[severity.SEV1]" in result.stdout


def _console(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "warroom"
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env, timeout=60)


def test_installed_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_DB": str(tmp_path / "w.db"), "WARROOM_FROZEN_TIME": FROZEN}
    declared = _console("declare", "--sev", "2", "--functionality", "search", "--state", "slow",
                        "--audience", "all customers", env=env)
    assert declared.returncode == 0, declared.stderr
    assert declared.stdout.splitlines()[-1] == "inc-26-11-23-SEV-2 search is slow for all customers"
    assert stat.S_IMODE((tmp_path / "w.db").stat().st_mode) == 0o600
    failed = _console("sev", "inc-26-11-23-SEV-2", "banana", env=env)
    assert failed.returncode == 1 and failed.stderr.startswith("warroom: unknown severity")
    assert "Traceback" not in failed.stderr


def test_unreadable_database_is_one_clear_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 512)
    result = CliRunner().invoke(main, ["list", "--db", str(corrupt)])
    assert result.exit_code == 1
    assert result.stderr.startswith("warroom: ") and "not a readable warroom database" in result.stderr


def test_bad_config_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[severity.SEV1]\ncheckin = "20x"\n')
    result = CliRunner().invoke(main, ["list", "--db", str(tmp_path / "w.db"), "--config", str(config)])
    assert result.exit_code == 1
    assert "severity.SEV1.checkin" in result.stderr and "'20x' is not a duration" in result.stderr


def test_services_import_and_list(run, tmp_path: Path) -> None:  # noqa: ANN001
    csv_file = tmp_path / "owners.csv"
    csv_file.write_text("functionality,service,team,paging_url\ncheckout,payments-api,Payments,https://pager.example.com/p\n")
    assert run("services", "import", str(csv_file)).stdout == "imported 1 ownership rows\n"
    assert run("services", "list", "checkout").stdout == "checkout  payments-api  Payments  https://pager.example.com/p\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("team\nCore\n")
    assert "'functionality' column" in run("services", "import", str(bad), ok=False).stderr


def test_resolve_checks_the_criteria(run) -> None:  # noqa: ANN001
    ref = declare(run)
    refused = run("resolve", ref, ok=False)
    assert refused.exit_code == 1 and "retrospective" in refused.stderr.lower()
    assert "open" in run("checklist", ref).stdout
    forced = run("resolve", ref, "--force")
    assert forced.stdout.splitlines()[-1] == f"{ref} is resolved"
    doc = json.loads(run("export", ref, "--format", "json").stdout)
    assert doc["incident"]["status"] == "resolved"
    assert any(e["text"].startswith("Resolved with unmet criteria") for e in doc["timeline"])
    assert "Dana (ic)" in run("checklist", ref).stdout


def test_postmortem_exports_and_due_list(run, tmp_path: Path) -> None:  # noqa: ANN001
    ref = declare(run)
    run("milestone", ref, "resolved", "--force")
    assert run("postmortem", ref).stdout.startswith("# Post-mortem")
    refused = run("postmortem", ref, "--ics", ok=False)
    assert refused.exit_code == 1 and "meeting" in refused.stderr
    run("action", ref, "Alert on TLS handshake failures", "--owner", "Sam", "--priority", "P0")
    out = tmp_path / "items.csv"
    run("postmortem", ref, "--csv", "-o", str(out))
    assert "Alert on TLS handshake failures" in out.read_text() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert ref in run("due").stdout


@pytest.mark.parametrize("before", [True, False])
def test_demo_builds_its_incident_in_the_database_named_before_or_after_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch, before: bool
) -> None:
    from tui.app import WarroomApp

    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    monkeypatch.setattr(WarroomApp, "run", lambda self, *args, **kwargs: None)
    args = ["--db", db_url, "demo"] if before else ["demo", "--db", db_url]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    listed = CliRunner().invoke(main, ["list", "--db", db_url], catch_exceptions=False)
    assert "checkout is failing for EU customers" in listed.stdout
