"""What the checklists read: their rows, and the rules of steps the record shows done."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from storage.db import Store
from storage.errors import InvalidInput
from storage.models import ChecklistItem, StatusUpdate
from storage.ops.record import when_given
from storage.snapshot import Snapshot

PROCESS = "process"
FOLLOWUP = "followup"

PROCESS_STEPS: tuple[tuple[str, str], ...] = (
    ("decide", "Decide whether this is an incident"),
    ("declare", "Name an IC, declare and send the initial communication"),
    ("triage", "Engage responders and page the owning team"),
    ("communicate", "Send updates on the severity's cadence"),
    ("mitigate", "Mitigate the customer impact"),
    ("resolve", "Meet the resolution criteria and resolve"),
)
"""The response steps, in order: key and label."""

DURABLE_KEY = "durable_mitigation"
SIGNOFF_KEY = "ic_signoff"

EXTRA_LABELS: dict[str, str] = {
    DURABLE_KEY: "Mitigation confirmed durable",
    SIGNOFF_KEY: "IC signed off on the record",
}
"""Process-list rows that are not steps of their own but feed the resolution criteria."""

TICKABLE: tuple[str, ...] = ("declare", "triage", "communicate", DURABLE_KEY)
"""Keys `tick_step` accepts (decide, mitigate and resolve follow the record only)."""

CRITERIA: tuple[tuple[str, str], ...] = (
    ("durable_mitigation", "Mitigation is durable"),
    ("ic_signoff", "IC has reviewed and signed off the record"),
    ("retrospective_scheduled", "Retrospective is scheduled"),
    ("final_update_sent", "Final update is sent"),
)
"""The resolution criteria, in order: key and label."""

STEP_LABELS = dict(PROCESS_STEPS)
_POSITIONS = {key: n for n, key in enumerate([*STEP_LABELS, *EXTRA_LABELS])}


@dataclass(frozen=True)
class Step:
    """One process step as it stands now.

    `auto`: the done time comes from the record, not a tick (so it cannot be unticked).
    `late`: done, but after its due time.
    """

    key: str
    label: str
    due_at: datetime | None
    done_at: datetime | None
    done_by: str
    overdue: bool
    auto: bool = False
    late: bool = False

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Criterion:
    """One resolution criterion: met or not, and why in a few words."""

    key: str
    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class FollowUp:
    """One follow-up step of one person for one role they held."""

    key: str
    role: str
    label: str
    done_at: datetime | None
    done_by: str

    @property
    def done(self) -> bool:
        return self.done_at is not None


# --- reading the record ----------------------------------------------------------------


class ChecklistRecord(Snapshot):
    """An incident's snapshot with its checklist rows by (list, key, person)."""

    @cached_property
    def ticks(self) -> dict[tuple[str, str, str], ChecklistItem]:
        return {(item.list, item.key, item.person): item for item in self.checklist_items}

    def tick(self, key: str) -> ChecklistItem | None:
        """The process-list row for `key` when it is ticked."""
        item = self.ticks.get((PROCESS, key, ""))
        return item if item is not None and item.done_at is not None else None

    @property
    def current_ic(self) -> str | None:
        for holding in reversed(self.roles):
            if holding.role == "ic" and holding.ended_at is None:
                return holding.person
        return None

    @property
    def start(self) -> datetime:
        """Where the decide/declare deadlines count from: detection, else the start, else the declaration."""
        for name in ("detected", "started"):
            if name in self.milestones:
                return self.milestones[name]
        return self.incident.declared_at

    def internal(self, kind: str | None = None, *, other_than: str | None = None) -> StatusUpdate | None:
        """The first internal update of `kind` (or of any kind but `other_than`)."""
        for update in self.updates:
            if update.channel != "internal":
                continue
            found = update.kind.strip().lower()
            if kind is not None and found != kind:
                continue
            if other_than is not None and found == other_than:
                continue
            return update
        return None

    def done_from_record(self, key: str) -> tuple[datetime, str] | None:
        """When and by whom the record shows step `key` done, if it does."""
        if key == "decide":
            return self.incident.declared_at, self.declared_by
        if key == "declare":
            ics = [holding for holding in self.roles if holding.role == "ic"]
            initial = self.internal("initial")
            if ics and initial is not None:
                return max(ics[0].started_at, initial.sent_at), initial.author
            return None
        if key == "communicate":
            update = self.internal(other_than="initial")
            return (update.sent_at, update.author) if update is not None else None
        milestone = {"mitigate": "mitigated", "resolve": "resolved"}.get(key)
        if milestone is not None and milestone in self.milestone_rows:
            reached = self.milestone_rows[milestone]
            return reached.at, reached.set_by
        return None

    def set_tick(self, key: str, *, at: datetime | None, by: str) -> ChecklistItem:
        """Tick (or, with `at` None, clear) the process-list row for `key`, made on first tick."""
        item = self.ticks.get((PROCESS, key, ""))
        if item is None:
            item = ChecklistItem(
                incident_id=self.incident.id,  # type: ignore[arg-type]
                list=PROCESS,
                key=key,
                label=label_of(key),
                position=_POSITIONS[key],
            )
        item.done_at = at
        item.done_by = by
        self.session.add(item)
        return item


# --- shared checks ---------------------------------------------------------------------


def when_done(store: Store, at: datetime | None) -> datetime:
    """`at`, or now (`ops.when_given` with the checklists' rule for a time in the future)."""
    return when_given(store, at, future_rule="a step is ticked when it is done or after")


def step_key(key: str, allowed: tuple[str, ...]) -> str:
    """`key` normalised (`Durable mitigation` -> `durable_mitigation`), refused unless allowed."""
    cleaned = re.sub(r"[\s-]+", "_", key.strip().lower())
    if cleaned not in allowed:
        raise InvalidInput(f"unknown checklist step {key!r}: use one of {', '.join(allowed)}")
    return cleaned


def label_of(key: str) -> str:
    """The label of a process-list row."""
    return STEP_LABELS.get(key) or EXTRA_LABELS[key]
