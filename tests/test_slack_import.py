"""A channel's history from a Slack workspace export comes onto the timeline: authors by
display name, times, first links, pins and the key reaction as key events, joins and bots
left out, and nothing twice however often it is imported. The exports are built here, in
the layout Slack writes (users.json, channels.json, CHANNEL/YYYY-MM-DD.json)."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.slack_import import import_slack, plain_text
from tests.conftest import NOW
from tui.cli import main

USERS = [
    {"id": "U1", "name": "dana", "real_name": "Dana Okafor",
     "profile": {"display_name": "Dana", "real_name": "Dana Okafor"}},
    {"id": "U2", "name": "lee", "profile": {"display_name": "", "real_name": "Lee Chen"}},
    {"id": "UB", "name": "pagerbot", "is_bot": True, "profile": {"display_name": "PagerBot"}},
]


def ts(at: datetime, micro: int = 100) -> str:
    return f"{int(at.timestamp())}.{micro:06d}"


def message(at: datetime, user: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": ts(at), **extra}


FIRST_DAY = [
    message(NOW - timedelta(minutes=50), "U1", "", subtype="channel_join"),
    message(NOW - timedelta(minutes=45), "U2",
            "<@U1> checkout errors up, see <https://grafana.example.com/d/1?a=1&amp;b=2|the graph>"),
    message(NOW - timedelta(minutes=40), "U1", "rolling back payments-api &lt;4.12&gt; &amp; watching",
            pinned_to=["C1"]),
    {"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": "ALERT firing",
     "ts": ts(NOW - timedelta(minutes=39))},
    message(NOW - timedelta(minutes=30), "U2", "error rate back under 1% <#C2|payments>",
            reactions=[{"name": "pushpin", "users": ["U1"], "count": 1}]),
]
SECOND_DAY = [
    message(NOW - timedelta(minutes=20), "U1", "customers confirm checkout works <!here>"),
    message(NOW + timedelta(hours=1), "U1", "a time to come: not a message of the record yet"),
]


def build_export(root: Path, days: dict[str, list[dict[str, Any]]], pins: list[str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.json").write_text(json.dumps(USERS))
    channels = [{"id": "C1", "name": "inc-checkout", "pins": [{"id": pin, "type": "C"} for pin in pins or []]},
                {"id": "C2", "name": "payments"}]
    (root / "channels.json").write_text(json.dumps(channels))
    (root / "inc-checkout").mkdir(exist_ok=True)
    for day, messages in days.items():
        (root / "inc-checkout" / f"{day}.json").write_text(json.dumps(messages))
    (root / "payments").mkdir(exist_ok=True)
    (root / "payments" / "2026-11-23.json").write_text(json.dumps([message(NOW, "U1", "another channel")]))
    return root


def zipped(folder: Path, target: Path) -> Path:
    """The export zipped as a folder (one level down), as a download of it is."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, f"export/{path.relative_to(folder)}")
    return target


def declare(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="checkout", state="failing", audience="EU").ref


def imported(store: Store, ref: str) -> list[tuple[str, str, str, str | None, bool]]:
    return [(e.occurred_at.strftime("%H:%M"), e.author, e.text, e.link, e.key)
            for e in ops.timeline(store, ref) if e.kind == "note"]


EXPECTED = [
    ("13:55", "Lee Chen", "@Dana checkout errors up, see the graph (https://grafana.example.com/d/1?a=1&b=2)",
     "https://grafana.example.com/d/1?a=1&b=2", False),
    ("14:00", "Dana", "rolling back payments-api <4.12> & watching", None, True),
    ("14:10", "Lee Chen", "error rate back under 1% #payments", None, True),
    ("14:20", "Dana", "customers confirm checkout works @here", None, False),
]


def test_a_channel_comes_in_with_names_times_links_and_key_events_and_only_once(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    export = build_export(tmp_path / "slack", {"2026-11-23": FIRST_DAY, "2026-11-24": SECOND_DAY})
    done = import_slack(store, ref, export, "#inc-checkout")
    assert (done.added, done.already, done.noise, done.unreadable, done.keys, done.days) == (4, 0, 2, 1, 2, 2)
    assert imported(store, ref) == EXPECTED
    again = import_slack(store, ref, export, "inc-checkout")
    assert (again.added, again.already) == (0, 4)
    assert imported(store, ref) == EXPECTED


def test_a_zip_and_a_later_overlapping_export_add_only_what_is_new(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    first = zipped(build_export(tmp_path / "one", {"2026-11-23": FIRST_DAY}), tmp_path / "one.zip")
    assert import_slack(store, ref, first, "inc-checkout").added == 3
    later = build_export(tmp_path / "two", {"2026-11-23": FIRST_DAY, "2026-11-24": SECOND_DAY})
    done = import_slack(store, ref, zipped(later, tmp_path / "two.zip"), "inc-checkout")
    assert (done.added, done.already) == (1, 3)
    assert imported(store, ref) == EXPECTED


def test_a_message_pinned_in_the_channel_list_and_a_chosen_reaction_are_key(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    day = [message(NOW - timedelta(minutes=10), "U1", "first"), message(NOW - timedelta(minutes=5), "U2", "second",
           reactions=[{"name": "rotating_light", "count": 1}])]
    export = build_export(tmp_path / "slack", {"2026-11-23": day}, pins=[day[0]["ts"]])
    import_slack(store, ref, export, "inc-checkout", key_reaction=":rotating_light:")
    assert [(text, key) for _, _, text, _, key in imported(store, ref)] == [("first", True), ("second", True)]


def test_text_is_kept_as_written_and_markup_is_not_followed() -> None:
    text, link = plain_text("\x1b[2J <mailto:a@b.c|a@b.c> <javascript:alert(1)|x> &amp;lt; <!subteam^S1|@oncall> \x00",
                            {"U1": "Dana"})
    assert text == "\x1b[2J a@b.c <javascript:alert(1)|x> &lt; @oncall"
    assert link is None


def _missing(root: Path) -> Path:
    return root / "missing"


def _not_a_zip(root: Path) -> Path:
    (root / "f.txt").write_text("not a zip")
    return root / "f.txt"


def _another_channel_only(root: Path) -> Path:
    return build_export(root / "s", {"2026-11-23": FIRST_DAY})


@pytest.mark.parametrize(
    ("make", "refusal"),
    [(_missing, "no Slack export at"), (_not_a_zip, "neither a folder nor a zip"), (_another_channel_only, None)],
    ids=["missing", "not-a-zip", "other-channel"],
)
def test_what_is_not_an_export_of_the_channel_is_refused_in_one_line_and_writes_nothing(
    store: Store, tmp_path: Path, make: Any, refusal: str | None
) -> None:
    ref = declare(store)
    before = len(ops.timeline(store, ref))
    with pytest.raises(InvalidInput, match=refusal or "has no messages of channel #incidents"):
        import_slack(store, ref, make(tmp_path), "incidents")
    assert len(ops.timeline(store, ref)) == before


def test_a_day_file_that_is_not_json_writes_nothing(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    export = build_export(tmp_path / "slack", {"2026-11-23": FIRST_DAY})
    (export / "inc-checkout" / "2026-11-24.json").write_text("[{")
    with pytest.raises(InvalidInput, match=r"inc-checkout/2026-11-24\.json in .* is not JSON"):
        import_slack(store, ref, export, "inc-checkout")
    assert imported(store, ref) == []


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.isoformat())
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, [args[0], "--db", db_url, *args[1:]], catch_exceptions=False)

    return invoke


def test_the_command_says_what_it_added_and_prints_hostile_text_as_pictures(cli: Any, store: Store,
                                                                            tmp_path: Path) -> None:
    ref = declare(store)
    day = [*FIRST_DAY, message(NOW - timedelta(minutes=1), "U1", "\x1b]52;c;ZXZpbA==\x07 [bold]x[/]")]
    export = build_export(tmp_path / "slack", {"2026-11-23": day})
    result = cli("import-slack", str(export), ref, "--channel", "inc-checkout")
    assert result.exit_code == 0, result.output
    assert result.output == f"added 4 messages of #inc-checkout to {ref} (2 key; 2 joins and bot messages skipped)\n"
    again = cli("import-slack", str(export), ref, "--channel", "inc-checkout")
    skipped = "4 already there; 2 joins and bot messages skipped"
    assert again.output == f"added 0 messages of #inc-checkout to {ref} ({skipped})\n"
    shown = cli("timeline", ref).output
    assert "Dana: ␛]52;c;ZXZpbA==␇ [bold]x[/]" in shown and "\x1b" not in shown
    refused = cli("import-slack", str(tmp_path / "nothing"), ref, "--channel", "inc-checkout")
    assert refused.exit_code != 0 and "no Slack export at" in refused.output


# --- hostile exports (adversarial pass) ------------------------------------------------


@pytest.mark.parametrize("channel", ["../outside", "/outside", "inc/../../outside", "..", "a\\b"],
                         ids=["dotdot", "absolute", "nested-dotdot", "parent", "backslash"])
def test_a_channel_name_cannot_reach_outside_the_export(store: Store, tmp_path: Path, channel: str) -> None:
    ref = declare(store)
    export = build_export(tmp_path / "slack", {"2026-11-23": FIRST_DAY})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2026-11-23.json").write_text(json.dumps([message(NOW - timedelta(minutes=1), "U1", "SECRET")]))
    name = str(tmp_path / "outside") if channel == "/outside" else channel
    with pytest.raises(InvalidInput, match="is not a channel name"):
        import_slack(store, ref, export, name)
    assert imported(store, ref) == []


def test_a_day_file_linked_from_outside_the_export_is_not_read(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    export = build_export(tmp_path / "slack", {"2026-11-23": FIRST_DAY})
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps([message(NOW - timedelta(minutes=1), "U1", "SECRET")]))
    (export / "inc-checkout" / "2026-11-24.json").symlink_to(secret)
    with pytest.raises(InvalidInput, match="outside the export"):
        import_slack(store, ref, export, "inc-checkout")
    assert imported(store, ref) == []


def test_a_time_past_year_9999_is_skipped_not_a_crash(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    day = [{"type": "message", "user": "U1", "text": "far", "ts": "999999999999.000001"},
           {"type": "message", "user": "U1", "text": "end", "ts": "253402300800.500000"},
           message(NOW - timedelta(minutes=1), "U1", "kept")]
    done = import_slack(store, ref, build_export(tmp_path / "slack", {"2026-11-23": day}), "inc-checkout")
    assert (done.added, done.unreadable) == (1, 2)
    assert [text for _, _, text, _, _ in imported(store, ref)] == ["kept"]


def test_two_different_times_never_share_an_entry_id(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    day = [{"type": "message", "user": "U1", "text": "fifteen", "ts": "15"},
           {"type": "message", "user": "U1", "text": "one and a half", "ts": "1.5"}]
    done = import_slack(store, ref, build_export(tmp_path / "slack", {"2026-11-23": day}), "inc-checkout")
    assert done.added == 2


def test_an_overlong_user_name_is_cut_not_a_refusal_of_the_whole_import(store: Store, tmp_path: Path) -> None:
    ref = declare(store)
    export = build_export(tmp_path / "slack", {"2026-11-23": [message(NOW - timedelta(minutes=1), "U9", "hello")]})
    (export / "users.json").write_text(json.dumps([{"id": "U9", "name": "n" * 300}]))
    assert import_slack(store, ref, export, "inc-checkout").added == 1
    (author,) = [author for _, author, _, _, _ in imported(store, ref)]
    assert len(author) == 200 and author.endswith("…")
