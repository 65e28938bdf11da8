"""Incident messages: templates in the config, filled drafts, checks, sending, and `warroom comms`.

The drafts of the six kinds are compared with golden files in tests/golden/comms/.
After a deliberate change to a template, regenerate them with
`WARROOM_UPDATE_GOLDEN=1 pytest tests/test_comms.py` and read every one.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage import comms, ops, postmortem
from storage.clock import FrozenClock
from storage.countdowns import due_times
from storage.db import Store
from storage.errors import ConfigError, InvalidInput
from storage.live import incident_view
from storage.policy import MESSAGE_PLACEHOLDERS, default_config_text, load_policy
from storage.templates import placeholders
from tui.cli import main

GOLDEN = Path(__file__).parent / "golden" / "comms"
UPDATE_GOLDEN = bool(os.environ.get("WARROOM_UPDATE_GOLDEN"))
FROZEN = "2026-11-23T14:40:00Z"
NOW = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)
KINDS = list(comms.MESSAGE_KINDS)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


@pytest.fixture
def incident(store: Store) -> str:
    """A SEV1 declared 25 minutes ago (15:15 CET), started 15:00, detected 15:08."""
    declared = ops.declare(
        store, severity=1, functionality="checkout", state="failing", audience="EU customers",
        at=minutes_ago(25), ic="Dana Okafor", author="Dana Okafor",
        customer_impact="Card payments fail with an error at the last checkout step.",
        quantity_impacted="Some", known_impacted_customers="Northwind Traders\n- Fabrikam\n\n",
    )
    ref = declared.ref
    ops.set_milestone(store, ref, "started", at=minutes_ago(40), author="Dana Okafor")
    ops.set_milestone(store, ref, "detected", at=minutes_ago(32), author="Dana Okafor")
    ops.assign_role(store, ref, "scribe", "Lee Chen", at=minutes_ago(24), author="Dana Okafor")
    ops.assign_role(store, ref, "sme", "Marta Kowalski", at=minutes_ago(20), author="Dana Okafor")
    ops.assign_role(store, ref, "ic", "Priya Natarajan", at=minutes_ago(10), author="Dana Okafor")
    return ref


def bring_to_stage(store: Store, ref: str, kind: str) -> None:
    """Move the incident to where a message of `kind` is typically sent."""
    update_kind = comms.MESSAGE_KINDS[kind].update_kind
    if update_kind in ("update", "resolved"):
        ops.record_status_update(
            store, ref, channel="internal", kind="initial", at=minutes_ago(15), author="Dana Okafor"
        )
        ops.set_status(store, ref, "identified", at=minutes_ago(12), author="Dana Okafor")
    if update_kind == "resolved":
        ops.set_milestone(store, ref, "mitigated", at=minutes_ago(6), author="Dana Okafor")
        ops.set_milestone(store, ref, "resolved", at=minutes_ago(2), author="Dana Okafor")
        meeting = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wed 10:00 in Berlin
        postmortem.update_postmortem(store, ref, owner="Priya Natarajan", meeting_at=meeting)


def shown(draft: comms.Draft) -> str:
    return f"Subject: {draft.subject}\n\n{draft.body}\n"


# --- golden drafts -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_draft_matches_golden(store: Store, incident: str, kind: str) -> None:
    bring_to_stage(store, incident, kind)
    draft = comms.draft_message(store, incident, kind, author="Priya Natarajan")
    spec = comms.MESSAGE_KINDS[kind]
    assert (draft.kind, draft.channel, draft.update_kind) == (kind, spec.channel, spec.update_kind)
    golden = GOLDEN / f"{kind}.txt"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(shown(draft), encoding="utf-8")
    assert shown(draft) == golden.read_text(encoding="utf-8")
    assert comms.lint(draft, comms.lint_context(store, incident)) == []  # the templates leak nothing


def test_golden_files_cover_every_kind() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.txt")) == sorted(KINDS)


def test_public_drafts_name_no_people_or_internal_references(store: Store, incident: str) -> None:
    bring_to_stage(store, incident, "status_resolved")
    for kind in ("status_investigating", "status_update", "status_resolved"):
        draft = comms.draft_message(store, incident, kind, author="Priya Natarajan")
        text = draft.subject + draft.body
        for internal in ("Priya", "Dana", "Lee", "Marta", incident, "SEV"):
            assert internal not in text, (kind, internal)


# --- values --------------------------------------------------------------------------------


def test_message_values(store: Store, incident: str) -> None:
    values = comms.message_values(store, incident, author="Lee Chen")
    assert tuple(values) == MESSAGE_PLACEHOLDERS
    assert values["sev"] == "1" and values["severity_name"] == "major"
    assert values["title"] == "checkout is failing for EU customers"
    assert values["identified_time"] == "15:08 CET"
    assert values["customer_impact"] == "Card payments fail with an error at the last checkout step"
    assert values["known_customers"] == "* Northwind Traders\n* Fabrikam"
    assert values["phase"] == "investigating"
    assert values["phase_sentence"] == "The team is investigating the issue."
    # Sent now, the next internal message is due one cadence (30m) later.
    assert (values["next_update"], values["next_update_in"]) == ("16:10 CET", "30 minutes")
    assert values["responder"] == "Lee Chen"
    assert values["responders"] == "Dana Okafor, Lee Chen, Marta Kowalski and Priya Natarajan"
    assert values["retrospective"] == "to be scheduled"
    assert (values["started_time"], values["started_date"]) == ("15:00 CET", "Mon 23 Nov 2026")
    assert (values["resolved_time"], values["duration"]) == ("15:40 CET", "40 minutes")

    page = comms.message_values(store, incident, author="Lee Chen", channel="status_page")
    assert (page["next_update"], page["next_update_in"]) == ("16:40 CET", "1 hour")


def test_message_values_defaults_and_no_cadence(store: Store) -> None:
    ref = ops.declare(
        store,
        severity=3,
        functionality="exports",
        state="slow",
        audience="admins",
        at=minutes_ago(5),
    ).ref
    values = comms.message_values(store, ref, channel="status_page")
    assert values["customer_impact"] == "Unknown"
    assert values["known_customers"] == "None known"
    assert values["responders"] == "all responders"
    assert values["responder"] == "tester"  # WARROOM_USER
    assert (values["next_update"], values["next_update_in"]) == ("", "")  # SEV3: no status page
    assert comms.message_values(store, ref)["next_update_in"] == "3 hours"
    draft = comms.draft_message(store, ref, "status-update")
    assert comms.lint(draft) == [
        'no next-update time: say when the next update comes, e.g. "by 15:10" or "in 30 minutes"'
    ]


def test_resolved_on_another_day_names_that_date(store: Store, clock: FrozenClock) -> None:
    ref = ops.declare(
        store, severity=2, functionality="search", state="slow", audience="all customers", at=minutes_ago(30)
    ).ref
    clock.advance(hours=9)  # 00:40 CET the next day
    ops.set_milestone(store, ref, "resolved")
    values = comms.message_values(store, ref)
    assert values["resolved_time"] == "00:40 CET on Tue 24 Nov 2026"
    assert values["duration"] == "9 hours 30 minutes"
    assert (values["next_update"], values["next_update_in"]) == ("", "")


def test_unknown_channel_and_kind(store: Store, incident: str) -> None:
    with pytest.raises(InvalidInput, match="unknown update channel 'email'"):
        comms.message_values(store, incident, channel="email")
    with pytest.raises(InvalidInput, match="unknown message kind 'sms': use one of internal_initial, "):
        comms.draft_message(store, incident, "sms")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("internal_initial", "internal_initial"),
        ("internal-initial", "internal_initial"),
        (" Internal Update ", "internal_update"),
        ("status-page-resolved", "status_resolved"),
        ("STATUS_INVESTIGATING", "status_investigating"),
    ],
)
def test_message_kind_aliases(name: str, kind: str) -> None:
    assert comms.message_kind(name).kind == kind


def test_message_kinds_are_ordered_and_labelled() -> None:
    assert [(k.kind, k.channel, k.update_kind) for k in comms.MESSAGE_KINDS.values()] == [
        ("internal_initial", "internal", "initial"),
        ("internal_update", "internal", "update"),
        ("internal_resolved", "internal", "resolved"),
        ("status_investigating", "status_page", "investigating"),
        ("status_update", "status_page", "update"),
        ("status_resolved", "status_page", "resolved"),
    ]
    assert comms.MESSAGE_KINDS["internal_initial"].label == "Internal: initial message"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=3), "3 hours"),
        (timedelta(hours=2, minutes=50), "2 hours 50 minutes"),
        (timedelta(days=1, minutes=1), "1 day 1 minute"),
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(0), "0 minutes"),
    ],
)
def test_duration_in_words(delta: timedelta, text: str) -> None:
    assert comms.duration_in_words(delta) == text


# --- lint ------------------------------------------------------------------------------------

NEXT = "We will post another update by 16:40 CET, or sooner."


def public(body: str, subject: str = "Checkout problems", kind: str = "status_update") -> comms.Draft:
    spec = comms.MESSAGE_KINDS[kind]
    return comms.Draft(kind, spec.channel, spec.update_kind, subject, body)


def internal(body: str, subject: str = "SEV1 Incident - x", kind: str = "internal_update") -> comms.Draft:
    spec = comms.MESSAGE_KINDS[kind]
    return comms.Draft(kind, spec.channel, spec.update_kind, subject, body)


def test_lint_outage_in_public_text() -> None:
    warnings = comms.lint(public(f"Checkout had an Outage. {NEXT}"), full_outage=False)
    assert warnings == [
        "the public body says 'Outage': use it only for a full outage (describe what customers notice instead)"
    ]
    assert comms.lint(public(NEXT, subject="Partial outages in EU"), full_outage=False) == [
        "the public subject says 'outages': use it only for a full outage (describe what customers notice instead)"
    ]
    assert comms.lint(public(f"Checkout had an outage. {NEXT}"), full_outage=True) == []
    assert comms.lint(internal(f"Checkout had an outage. {NEXT}"), full_outage=False) == []
    assert comms.lint(public(f"Requests hit a timeout; outaged is not a word. {NEXT}"), full_outage=False) == []


def test_lint_public_text_naming_responders_references_or_severities(store: Store, incident: str) -> None:
    context = comms.lint_context(store, incident)
    assert context.names == ("Dana Okafor", "Lee Chen", "Marta Kowalski", "Priya Natarajan")
    text = (f"Marta kowalski rolled back payments under {incident}; see INC-26-11-20-SEV-2 too. "
            f"This is a Sev 1. {NEXT}")
    assert comms.lint(public(text, subject="SEV1: checkout"), context) == [
        "the public subject gives the severity 'SEV1': describe the impact instead",
        "the public body names 'Marta Kowalski', who responded: keep people's names out of public text",
        f"the public body gives the internal reference {incident!r}: leave it out",
        "the public body gives the severity 'Sev 1': describe the impact instead",
    ]
    assert comms.lint(internal(text), context) == []  # internal text may say all of it
    # Not a name, reference or severity: a part of a word, "incident", "several".
    assert comms.lint(public(f"Lee Chenault's incident report covers several regions. {NEXT}"), context) == []


def test_lint_references_follow_the_naming_policy(tmp_path: Path, db_url: str, clock: FrozenClock) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[naming]\nreference = "OPS-{yyyy}{mm}{dd}-{sev}"\n', encoding="utf-8")
    store = Store(db_url, policy=load_policy(config), clock=clock)
    ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="everyone").ref
    context = comms.lint_context(store, ref)
    assert comms.lint(public(f"Tracked as OPS-20261101-3. {NEXT}"), context) == [
        "the public body gives the internal reference 'OPS-20261101-3': leave it out"
    ]


def test_lint_leftovers() -> None:
    draft = internal(
        f"Impact: {{customer}}. State: <describe the state>. Cause TBD. Started 14:xx, fixed xx:xx. {NEXT}",
        subject="SEV{sev} Incident",
    )
    assert comms.lint(draft, full_outage=False) == [
        "unfilled placeholder {sev} in the subject: fill it in or remove it",
        "unfilled placeholder {customer} in the body: fill it in or remove it",
        "unfilled placeholder <describe the state> in the body: fill it in or remove it",
        "unfinished marker TBD in the body: fill it in or remove it",
        "unfilled time 14:xx in the body: fill it in or remove it",
        "unfilled time xx:xx in the body: fill it in or remove it",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "We are on it. We will post another update soon.",
        "Identified at 14:32 CET.\n\nNext update by  (in ), or sooner.\n\nDana at 14:50",
        "Identified at 14:32 CET. No word on when we post again.",
    ],
)
def test_lint_missing_next_update(body: str) -> None:
    warning = 'no next-update time: say when the next update comes, e.g. "by 15:10" or "in 30 minutes"'
    assert comms.lint(internal(body), full_outage=False) == [warning]
    assert comms.lint(public(body, kind="status_investigating"), full_outage=False) == [warning]
    assert comms.lint(internal(body, kind="internal_resolved"), full_outage=False) == []
    assert comms.lint(public(body, kind="status_resolved"), full_outage=False) == []


@pytest.mark.parametrize(
    "body",
    [NEXT, "Expect an update in 30 minutes or sooner.", "Next update in 1 hour.", "Updates every 20m; next at 9:05."],
)
def test_lint_next_update_given(body: str) -> None:
    assert comms.lint(internal(body, kind="internal_initial"), full_outage=False) == []


def test_lint_empty_subject_only_matters_internally() -> None:
    assert comms.lint(internal(NEXT, subject="  "), full_outage=False) == [
        "the subject is empty: internal messages need one"
    ]
    assert comms.lint(public(NEXT, subject=""), full_outage=False) == []


# --- config --------------------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_templates_are_documented_and_complete() -> None:
    policy = load_policy()
    assert list(policy.templates) == KINDS
    text = default_config_text()
    for name in MESSAGE_PLACEHOLDERS:
        assert f"#   {{{name}}}" in text, f"placeholder {{{name}}} is not documented"
    used = set()
    for kind, template in policy.templates.items():
        assert (template.kind, template.channel, template.update_kind, template.label) == (
            kind,
            comms.MESSAGE_KINDS[kind].channel,
            comms.MESSAGE_KINDS[kind].update_kind,
            comms.MESSAGE_KINDS[kind].label,
        )
        assert f"[templates.{kind}]" in text
        used |= placeholders(template.subject) | placeholders(template.body)
    assert used <= set(MESSAGE_PLACEHOLDERS)
    internal_subjects = {k: t.subject for k, t in policy.templates.items() if t.channel == "internal"}
    assert internal_subjects == {
        "internal_initial": "SEV{sev} Incident - {functionality} is {state} for {audience}",
        "internal_update": "UPDATE: SEV{sev} Incident - {functionality} is {state} for {audience}",
        "internal_resolved": "RESOLVED: SEV{sev} Incident - {functionality} is {state} for {audience}",
    }


def test_override_one_template(tmp_path: Path, db_url: str, clock: FrozenClock) -> None:
    defaults = load_policy()
    path = write_config(
        tmp_path,
        'timezone = "Europe/Berlin"\n[templates.internal_update]\nsubject = "[SEV{sev}] Still ongoing: {{{title}}}"\n',
    )
    policy = load_policy(path)
    assert policy.templates["internal_update"].subject == "[SEV{sev}] Still ongoing: {{{title}}}"
    assert policy.templates["internal_update"].body == defaults.templates["internal_update"].body
    assert {k: t for k, t in policy.templates.items() if k != "internal_update"} == {
        k: t for k, t in defaults.templates.items() if k != "internal_update"
    }
    with Store(db_url, policy=policy, clock=clock) as store:
        ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="EU customers").ref
        draft = comms.draft_message(store, ref, "internal_update", author="Dana")
        assert draft.subject == "[SEV2] Still ongoing: {login is failing for EU customers}"
        assert draft.body.startswith("We are still in a SEV2 (minor) incident: login is failing for EU customers.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[templates.status_update]\nbody = "Fixed by {eta}"\n',
            "templates.status_update.body: unknown placeholder {eta}: use one of {sev}, {severity_name}, ",
        ),
        (
            '[templates.internal_initial]\nsubject = "SEV{sev.level}"\n',
            "templates.internal_initial.subject: invalid placeholder '{sev.level}'",
        ),
        (
            '[templates.internal_updates]\nsubject = "x"\n',
            "templates.internal_updates: unknown message kind: did you mean 'internal_update'?",
        ),
        (
            '[templates.email]\nsubject = "x"\n',
            (
                "templates.email: unknown message kind: use one of internal_initial, internal_update, "
                "internal_resolved, status_investigating, status_update, status_resolved"
            ),
        ),
        (
            '[templates.status_update]\ntitle = "x"\n',
            "templates.status_update.title: unknown key: use one of subject, body",
        ),
        ('[templates.internal_resolved]\nsubject = " "\n', "templates.internal_resolved.subject: must not be empty"),
        ('[templates.status_resolved]\nbody = ""\n', "templates.status_resolved.body: must not be empty"),
        ("[templates.status_resolved]\nbody = 3\n", "templates.status_resolved.body: expected text in quotes"),
        ('templates = "none"\n', "templates: expected a table, got the text 'none'"),
    ],
)
def test_bad_templates_are_config_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {expected}")


def test_status_page_subject_may_be_empty(tmp_path: Path) -> None:
    policy = load_policy(write_config(tmp_path, '[templates.status_update]\nsubject = ""\n'))
    assert policy.templates["status_update"].subject == ""


# --- sending -------------------------------------------------------------------------------


def countdowns(store: Store, ref: str) -> dict[str, datetime | None]:
    view = incident_view(store, ref)
    return due_times(
        store.policy,
        severity=view.severity,
        status=view.status,
        declared_at=view.declared_at,
        milestones=view.milestones,
        updates=view.updates,
    )


def test_send_message_logs_and_moves_the_countdown(store: Store, incident: str, clock: FrozenClock) -> None:
    before = countdowns(store, incident)
    assert before["initial"] == minutes_ago(32) + timedelta(minutes=20)  # detection + declare_within
    assert "internal" not in before
    assert before["status_page"] == minutes_ago(25) + timedelta(hours=1)

    draft = comms.draft_message(store, incident, "internal_initial", author="Priya Natarajan")
    update = comms.send_message(store, incident, draft, author="Priya Natarajan")
    assert (update.channel, update.kind, update.subject, update.body, update.posted) == (
        "internal",
        "initial",
        draft.subject,
        draft.body,
        True,
    )
    assert update.sent_at == NOW
    after = countdowns(store, incident)
    assert "initial" not in after
    assert after["internal"] == NOW + timedelta(minutes=30)
    # The draft promised the next update exactly when the countdown now says it is due.
    assert "Next update by 16:10 CET (in 30 minutes)" in draft.body

    event = ops.timeline(store, incident)[-1]
    assert (event.kind, event.author, event.detail) == ("update", "Priya Natarajan", "internal")
    assert event.text == f"Internal update sent (initial): {draft.subject}"

    clock.advance(minutes=10)
    page = comms.draft_message(store, incident, "status-investigating", author="Priya Natarajan")
    comms.send_message(store, incident, page, author="Priya Natarajan")
    assert countdowns(store, incident)["status_page"] == NOW + timedelta(minutes=10, hours=1)
    stored = ops.status_updates(store, incident)
    assert [(u.channel, u.kind) for u in stored] == [("internal", "initial"), ("status_page", "investigating")]
    assert stored[-1].body == page.body


def test_send_message_at_an_earlier_time(store: Store, incident: str) -> None:
    draft = comms.draft_message(store, incident, "internal_initial", author="Dana Okafor")
    comms.send_message(store, incident, draft, author="Dana Okafor", at=minutes_ago(5))
    assert countdowns(store, incident)["internal"] == minutes_ago(5) + timedelta(minutes=30)


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Invoke the CLI in-process against the test database, with the clock frozen."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(main, [args[0], "--db", db_url, *args[1:]], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


def declare(run, sev: str = "1") -> str:  # noqa: ANN001
    result = run(
        "declare",
        "--sev",
        sev,
        "--functionality",
        "login",
        "--state",
        "failing",
        "--audience",
        "EU customers",
        "--ic",
        "Dana",
        "--at",
        "-10m",
        "--impact",
        "Sign-in fails",
    )
    return result.stdout.strip().splitlines()[-1].split()[0]


def test_cli_comms_prints_the_draft(run) -> None:  # noqa: ANN001
    ref = declare(run)
    result = run("comms", ref, "internal-initial", "--author", "Dana")
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Subject: SEV1 Incident - login is failing for EU customers",
        "",
        (
            "We have declared a SEV1 (major) incident: login is failing for EU customers. The teams that own the "
            "affected services have been paged and are working on it now."
        ),
    ]
    assert "Identified at: 15:30 CET" in lines
    assert "Customer impact: Sign-in fails" in lines
    assert lines[-3:] == ["Next update by 16:10 CET (in 30 minutes), or sooner if anything changes.", "", "Dana"]
    assert result.stderr == ""
    assert "update" not in run("timeline", ref).stdout  # printing records nothing


def test_cli_comms_send(run) -> None:  # noqa: ANN001
    ref = declare(run)
    result = run("comms", ref, "status_investigating", "--send", "--author", "Ana")
    assert result.stdout.startswith("Subject: Investigating: login is failing for EU customers\n\n")
    assert result.stdout.splitlines()[-1] == f"Sent status_investigating for {ref} at 2026-11-23 15:40:00 CET"
    timeline = run("timeline", ref).stdout.splitlines()
    assert (
        "Ana: Status page update sent (investigating): Investigating: login is failing for EU customers" in timeline[-1]
    )


def test_cli_comms_warnings_go_to_stderr(run) -> None:  # noqa: ANN001
    ref = declare(run, sev="3")
    result = run("comms", ref, "status-update")
    assert "We will post another update by  (in )" in result.stdout
    assert result.stderr == (
        'warning: no next-update time: say when the next update comes, e.g. "by 15:10" or "in 30 minutes"\n'
    )


def test_cli_comms_unknown_kind(run) -> None:  # noqa: ANN001
    ref = declare(run)
    result = run("comms", ref, "email", ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "warroom: unknown message kind 'email': use one of internal_initial, internal_update, internal_resolved, "
        "status_investigating, status_update, status_resolved\n"
    )
    missing = run("comms", "inc-nope", "internal_update", ok=False)
    assert missing.exit_code == 1 and missing.stderr.startswith("warroom: no incident 'inc-nope'")
