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
from storage.drafts import (
    Drafts,
    HeldLine,
    PendingLine,
    WaitingFile,
    new_entry_id,
    ref_digest,
)
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


def take_back(store: Store, drafts: Drafts, ref: str, lines: Sequence[PendingLine]) -> list[PendingLine]:
    """The waiting `lines` of `ref` the record still lacks (see `unlogged`), with the file
    brought in line: those the record has are forgotten, older id-less lines swapped for
    the same lines with ids. Raises WarroomError when the record cannot be read."""
    missing = unlogged(store, ref, lines)
    missing_ids = {line.entry_id for line in missing}
    drafts.add_pending(ref, missing)
    drafts.remove_pending(ref, {line.entry_id for line in lines if line.entry_id not in missing_ids} | {""})
    return missing


def _with_refs(files: list[WaitingFile], refs: Sequence[str]) -> list[WaitingFile]:
    """`files`, the ref of those an older warroom wrote found among `refs` by digest."""
    if all(file.ref is not None for file in files):
        return files
    by_digest = {ref_digest(ref): ref for ref in refs}
    return [file if file.ref is not None else file._replace(ref=by_digest.get(file.digest)) for file in files]


def _refs(store: Store) -> list[str]:
    return [row.ref for row in ops.list_incidents(store)]


def waiting_summary(store: Store, drafts: Drafts) -> list[tuple[str | None, int, Path]]:
    """(incident, number of lines, the file keeping them) for every incident with lines
    waiting on this machine; the incident is None when this database has no incident of
    that name. Some lines may be in the record already (a stop between writing a line and
    forgetting it): the app writes only those it lacks."""
    files = drafts.waiting()
    if not files:  # the usual case: no read of the record at all
        return []
    refs = _refs(store)
    return [(file.ref if file.ref in refs else None, len(file.lines), file.path) for file in _with_refs(files, refs)]


def write_waiting_lines(store: Store, drafts: Drafts, *, skip: str | None = None) -> list[WaitingLines]:
    """Write the waiting lines of every incident but `skip`, oldest first, each once.

    A line the record refuses (or whose time now needs a confirmation) is moved to the
    incident's lines aside, where the scribe finds it when the incident is opened. A busy
    or unreachable database leaves the rest waiting, with the reason."""
    reports: list[WaitingLines] = []
    files = drafts.waiting()
    if any(file.ref is None for file in files):
        files = _with_refs(files, _refs(store))
    for file in files:
        ref = file.ref
        if ref is None or ref == skip:
            continue
        report = WaitingLines(ref)
        reports.append(report)
        try:
            missing = take_back(store, drafts, ref, file.lines)
        except NotFound:
            report.still_waiting = len(file.lines)
            report.problem = f"this database has no such incident; the lines stay in {file.path}"
            continue
        except WarroomError as exc:
            report.still_waiting = len(file.lines)
            report.problem = str(exc)
            continue
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
