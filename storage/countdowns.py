"""When the next communications are due, from the severity's cadences.

The command screen shows these as countdowns. Each is a pure function of the record:
recording an update moves its clock, and changing severity changes the cadences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from storage.policy import Policy

COUNTDOWN_LABELS: dict[str, str] = {
    "initial": "Initial communication",
    "checkin": "Responder check-in",
    "internal": "Internal update",
    "status_page": "Status page",
}
"""Countdown names (the update channels, plus the initial deadline) and their labels."""


def due_times(
    policy: Policy,
    *,
    severity: int,
    status: str,
    declared_at: datetime,
    milestones: Mapping[str, datetime],
    updates: Iterable[tuple[str, datetime]],
) -> dict[str, datetime | None]:
    """Countdown name -> when it is due (None: this severity has no such cadence).

    - `initial`: the first internal communication, due `declare_within` after detection
      (or the declaration when detection is unknown or later); shown until one is sent.
    - `checkin`, `status_page`: one cadence after the last update of that channel, or
      after the declaration when none was sent yet.
    - `internal`: one cadence after the last internal update; it starts with the first.
    A resolved incident has no countdowns.
    """
    if status == "resolved":
        return {}
    cadences = policy.cadences(severity)
    last: dict[str, datetime] = {}
    for channel, sent_at in updates:
        if channel not in last or sent_at > last[channel]:
            last[channel] = sent_at
    due: dict[str, datetime | None] = {}
    if "internal" not in last:
        detected = milestones.get("detected")
        start = min(detected, declared_at) if detected is not None else declared_at
        due["initial"] = start + policy.process.declare_within
    channels = (("checkin", "checkin"), ("internal", "internal_update"), ("status_page", "status_page"))
    for channel, cadence_key in channels:
        cadence = cadences[cadence_key]
        if channel == "internal" and channel not in last:
            continue
        due[channel] = None if cadence is None else last.get(channel, declared_at) + cadence
    return {name: due[name] for name in COUNTDOWN_LABELS if name in due}
