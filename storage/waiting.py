"""Lines entered in the app and not yet in the record, found again after a stop.

The app keeps every entered line on disk until the record has it (storage.drafts). When
warroom stopped first, the lines are still there at the next start, for whichever
incident they were typed into: `write_waiting_lines` writes them (each once: by its entry
id), `waiting_summary` names them for a command that does not write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storage import ops
from storage.db import Store
from storage.drafts import Drafts, HeldLine, PendingLine, new_entry_id, ref_digest
from storage.errors import (
    DatabaseError,
    InvalidInput,
    NeedsConfirmation,
    NotFound,
    WarroomError,
)


@dataclass
class WaitingLines:
    """What became of the lines waiting for one incident."""

    ref: str
    written: int = 0
    moved_aside: list[HeldLine] = field(default_factory=list)
    """Refused by the record, or waiting for a confirmation of their time: kept aside."""
    still_waiting: int = 0
    problem: str | None = None
    """Why the lines still waiting could not be written now."""


def unlogged(store: Store, ref: str, lines: Sequence[PendingLine]) -> list[PendingLine]:
    """The `lines` the record of `ref` lacks, each with an entry id. Lines kept by an
    older warroom (no id) are matched by kind and text, as that warroom did, and get one."""
    with_ids = [line for line in lines if line.entry_id]
    logged = ops.logged_entries(store, ref, [line.entry_id for line in with_ids])
    old = [line for line in lines if not line.entry_id]
    old_missing: set[int] = set()
    if old:
        from storage import live

        old_missing = set(live.lines_not_logged(store, ref, [(line.text, line.entered_at) for line in old]))
    result: list[PendingLine] = []
    old_position = 0
    for line in lines:
        if line.entry_id:
            if line.entry_id not in logged:
                result.append(line)
        else:
            if old_position in old_missing:
                result.append(line._replace(entry_id=new_entry_id()))
            old_position += 1
    return result


def _incidents_by_digest(store: Store) -> dict[str, str]:
    return {ref_digest(row.ref): row.ref for row in ops.list_incidents(store)}


def _waiting_by_ref(store: Store, drafts: Drafts) -> list[tuple[str | None, str, list[PendingLine]]]:
    """Drafts' waiting lines, with the refs of older files found by their digest."""
    found = drafts.waiting()
    if any(ref is None for ref, _, _ in found):
        by_digest = _incidents_by_digest(store)
        found = [(ref if ref is not None else by_digest.get(digest), digest, lines) for ref, digest, lines in found]
    return found


def waiting_summary(store: Store, drafts: Drafts) -> list[tuple[str | None, int, Path]]:
    """(incident, number of lines, the file keeping them) for every incident with lines
    waiting on this machine; the incident is None when this database has no incident of
    that name. Some lines may be in the record already (a stop between writing a line and
    forgetting it): the app writes only those it lacks."""
    found: list[tuple[str | None, int, Path]] = []
    waiting = _waiting_by_ref(store, drafts)
    if not waiting:  # the usual case: no read of the record at all
        return found
    known = {row.ref for row in ops.list_incidents(store)}
    for ref, digest, lines in waiting:
        path = drafts.directory / f"{drafts.prefix}-{digest}.pending.json"
        found.append((ref if ref in known else None, len(lines), path))
    return found


def write_waiting_lines(store: Store, drafts: Drafts, *, skip: str | None = None) -> list[WaitingLines]:
    """Write the waiting lines of every incident but `skip`, oldest first, each once.

    A line the record refuses (or whose time now needs a confirmation) is moved to the
    incident's lines aside, where the scribe finds it when the incident is opened. A busy
    or unreachable database leaves the rest waiting, with the reason."""
    reports: list[WaitingLines] = []
    for ref, _digest, lines in _waiting_by_ref(store, drafts):
        if ref is None or ref == skip:
            continue
        report = WaitingLines(ref)
        reports.append(report)
        try:
            missing = unlogged(store, ref, lines)
        except NotFound:
            report.still_waiting = len(lines)
            report.problem = f"this database has no such incident; the lines stay in {drafts.pending_file(ref)}"
            continue
        except WarroomError as exc:
            report.still_waiting = len(lines)
            report.problem = str(exc)
            continue
        missing_ids = {line.entry_id for line in missing}
        # Forget what the record already has (and swap older id-less lines for id'd ones).
        drafts.add_pending(ref, [line for line in missing])
        drafts.remove_pending(ref, {line.entry_id for line in lines if line.entry_id not in missing_ids} | {""})
        for position, line in enumerate(missing):
            try:
                ops.log(
                    store,
                    ref,
                    line.text,
                    author=line.author or None,
                    entered_at=line.entered_at,
                    entry_id=line.entry_id,
                    confirmed=line.confirmed,
                )
            except DatabaseError as exc:
                report.still_waiting = len(missing) - position
                report.problem = str(exc)
                break
            except InvalidInput as exc:
                held = HeldLine(line.text, str(exc), line.entered_at, line.entry_id,
                                isinstance(exc, NeedsConfirmation), line.author)
                drafts.save_held(ref, [*drafts.load_held(ref), held])
                report.moved_aside.append(held)
            else:
                report.written += 1
            drafts.remove_pending(ref, {line.entry_id})
    return reports
