"""The streamed JSON export and the bulk import: the same bytes as the whole-document
export (and as a golden file written by the exporter before it streamed), an exact round
trip across chunk and batch boundaries, errors named as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import DatabaseError, InvalidInput, NotFound
from storage.export import (
    build_document,
    export_json,
    import_json,
    importing,
    json_chunks,
    parse_document,
    stream,
    to_json,
)
from storage.models import UTCDateTime
from storage.policy import Policy
from tests.conftest import CliInvoke
from tests.test_export import full_incident

GOLDEN = Path(__file__).parent / "golden" / "export" / "hostile.json"

HOSTILE = (
    'quote " back\\slash \x1b[31m red \u202e bidi \u2028 sep \x85 C1 \x7f DEL \U0001f600 </script> '
    "\t tab \r\n crlf \u200b zero-width \ufeff bom ‮ end"
)


def hostile_incident(store: Store, clock: FrozenClock) -> str:
    """`full_incident` (roles, updates, action items, post-mortem, checklists, a linked
    incident) plus hostile text in events, revisions, an action item and the post-mortem."""
    ref = full_incident(store, clock)
    event = ops.log(store, ref, HOSTILE, author="Lee \x1b]0;title\x07 Chen")
    ops.edit_event(store, ref, event.seq, f"!{HOSTILE} edited https://example.com/a?b=\"c\"", author="Dana Okafor")
    ops.strike_event(store, ref, event.seq, author="Dana Okafor")
    ops.log(store, ref, "/decision roll back \\u0000 literally", author="Sam Whitfield")
    ops.add_action_item(store, ref, f"Check {HOSTILE}", owner="Sam Whitfield", priority="P2")
    sections = {"root_causes": HOSTILE, "went_badly": "\u2029 paragraph separator"}
    postmortem.update_postmortem(store, ref, sections=sections)
    return ref


def old_export(store: Store, ref: str) -> str:
    """The export as it was written before it streamed: the whole document, then its text."""
    return to_json(build_document(store, ref))


def test_the_streamed_export_is_the_whole_document_export_byte_for_byte(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = hostile_incident(store, clock)
    for _ in range(7):
        ops.log(store, ref, f"more {HOSTILE}")
    expected = old_export(store, ref)
    assert export_json(store, ref) == expected
    monkeypatch.setattr(stream, "EVENTS_PER_CHUNK", 3)  # many pieces, a revised event among them
    pieces = list(json_chunks(store, ref))
    assert len(pieces) > 5
    assert "".join(pieces) == expected
    for child in ops.related_incidents(store, ref):
        assert export_json(store, child) == old_export(store, child)


def test_the_export_matches_the_golden_file_written_before_it_streamed(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    with Store(tmp_path / "golden.db", policy=policy, clock=clock) as store:
        ref = hostile_incident(store, clock)
        assert export_json(store, ref) == GOLDEN.read_text(encoding="utf-8")


def test_an_incident_with_no_events_exports_as_before(store: Store) -> None:
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="everyone").ref
    with store.write() as session:
        from sqlmodel import delete

        from storage.models import Event

        session.exec(delete(Event))
    text = export_json(store, ref)
    assert '\n  "timeline": [],\n' in text
    assert text == old_export(store, ref)


def test_an_unknown_ref_is_refused_before_any_piece(store: Store) -> None:
    with pytest.raises(NotFound):
        json_chunks(store, "inc-nope")


def test_pieces_left_untaken_close_their_read_session(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "EVENTS_PER_CHUNK", 2)
    ref = hostile_incident(store, clock)
    expected = export_json(store, ref)
    for taken in (0, 1, 2):
        with json_chunks(store, ref) as pieces:
            for _, piece in zip(range(taken), pieces, strict=False):
                assert expected.startswith(piece) or piece in expected
    ops.log(store, ref, "written after the export stopped half way")
    assert export_json(store, ref) == old_export(store, ref) != expected


def test_export_to_a_file_of_an_unknown_ref_leaves_the_file_alone(warroom: CliInvoke, tmp_path: Path) -> None:
    out = tmp_path / "kept.json"
    out.write_text("keep me")
    out.chmod(0o600)
    result = warroom("export", "inc-nope", "--format", "json", "-o", str(out))
    assert result.exit_code != 0, result.output
    assert out.read_text() == "keep me"


def test_cli_export_to_stdout_and_to_a_file_are_the_same_text(
    store: Store, clock: FrozenClock, warroom: CliInvoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = hostile_incident(store, clock)
    monkeypatch.setattr(stream, "EVENTS_PER_CHUNK", 2)
    out = tmp_path / "out.json"
    printed = warroom("export", ref, "--format", "json").stdout
    assert warroom("export", ref, "--format", "json", "-o", str(out)).exit_code == 0
    written = out.read_text(encoding="utf-8")
    assert written == old_export(store, ref)
    assert printed == written  # no control character left for the pipe to show as a picture
    assert "\x1b" not in written and "\u202e" not in written and "\x85" not in written


def test_round_trip_across_batches_is_exact(
    store: Store, clock: FrozenClock, policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "EVENTS_PER_INSERT", 4)
    monkeypatch.setattr(stream, "EVENTS_PER_CHUNK", 5)
    with Store(tmp_path / "source.db", policy=policy, clock=clock) as source:
        ref = hostile_incident(source, clock)
        for number in range(11):
            event = ops.log(source, ref, f"step {number} {HOSTILE}", author="Lee Chen")
            if number % 3 == 0:
                ops.edit_event(source, ref, event.seq, f"step {number} edited", author="Dana Okafor")
        first = export_json(source, ref)
    assert import_json(store, first.encode()).ref == ref
    assert export_json(store, ref) == first
    assert old_export(store, ref) == first


def test_an_error_past_the_first_batch_names_its_event_as_before(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "EVENTS_PER_INSERT", 2)
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="everyone").ref
    for number in range(6):
        ops.log(store, ref, f"note {number}")
    document = json.loads(export_json(store, ref))
    document["incident"]["ref"] = "inc-copy"
    document["timeline"][5]["kind"] = "gossip"
    document["timeline"][6]["at"] = 12
    text = json.dumps(document)
    with pytest.raises(InvalidInput) as raised:
        import_json(store, text)
    with pytest.raises(InvalidInput) as whole:
        parse_document(text, now=store.now())  # the whole document validated at once, as import did
    assert str(raised.value) == str(whole.value)
    assert str(raised.value).startswith("invalid export: timeline.5.kind: ")
    assert str(raised.value).endswith("(and 1 more)")
    document["status_updates"] = "not a list"  # after the timeline: named second, counted
    document["roles"] = [{"surprise": 1}]  # before it: named first
    for broken in ({**document, "roles": []}, document):
        text = json.dumps(broken)
        with pytest.raises(InvalidInput) as raised:
            import_json(store, text)
        with pytest.raises(InvalidInput) as whole:
            parse_document(text, now=store.now())
        assert str(raised.value) == str(whole.value)
    assert str(raised.value).startswith("invalid export: roles.0.")
    del document["status_updates"], document["roles"]
    document["timeline"][5]["kind"] = "note"
    document["timeline"][6]["at"] = "2026-11-23T14:00:00Z"
    document["timeline"][4]["text"] = "a \x00 b"
    with pytest.raises(InvalidInput, match=r"^invalid export: timeline\.4\.text: holds a NUL character"):
        import_json(store, json.dumps(document))
    document["timeline"][4]["text"] = "an emoji written as an escape: \U0001f600"
    assert import_json(store, json.dumps(document, ensure_ascii=True)).ref == "inc-copy"
    assert any(event.text.endswith("\U0001f600") for event in ops.timeline(store, "inc-copy"))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 23, 14, 40, tzinfo=UTC),
        datetime(2026, 11, 23, 14, 40, 0, 5, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 23, 16, 40, 1, 250000, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_bulk_inserted_time_is_stored_as_the_orm_stores_it(value: datetime) -> None:
    for url in ("sqlite://", "postgresql+psycopg://nobody@localhost/none"):
        dialect = sa.create_engine(url).dialect
        process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        expected = process(value) if process else UTCDateTime().process_bind_param(value, dialect)
        assert importing.stored_time(dialect)(value) == expected


def test_a_spooled_document_is_given_out_whole_or_not_at_all() -> None:
    pieces = ["{\n", "a\r", "\nb" * 5, "\u00e9\U0001f600\ud800", "}\n"]
    for in_memory in (0, 3, 1000):
        with stream.spooled(iter(pieces), in_memory=in_memory) as document:
            given = list(document)
        assert "".join(given) == "".join(pieces)
        if in_memory < 10:  # read back from the file: a CRLF is never parted
            assert not any(piece.endswith("\r") for piece in given)

    def failing() -> Iterator[str]:
        yield "written "
        raise InvalidInput("the database broke half way")

    taken: list[str] = []
    with pytest.raises(InvalidInput), stream.spooled(failing(), in_memory=1) as document:
        taken.extend(document)
    assert taken == []


def test_an_export_failing_half_way_writes_nothing(
    store: Store, clock: FrozenClock, warroom: CliInvoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = hostile_incident(store, clock)
    monkeypatch.setattr(stream, "EVENTS_PER_CHUNK", 1)
    monkeypatch.setattr(stream, "SPOOL_IN_MEMORY", 10)
    calls: list[int] = []
    real = stream._event_text

    def failing_later(row: Any, revisions: list[str]) -> str:
        calls.append(1)
        if len(calls) == 5:
            raise DatabaseError("the record broke half way")
        return real(row, revisions)

    monkeypatch.setattr(stream, "_event_text", failing_later)
    out = tmp_path / "kept.json"
    out.write_text("keep me")
    out.chmod(0o600)
    for args in (["-o", str(out)], []):
        calls.clear()
        result = warroom("export", ref, "--format", "json", *args)
        assert result.exit_code == 1 and result.stdout == ""
        assert "the record broke half way" in result.stderr
    assert out.read_text() == "keep me"
