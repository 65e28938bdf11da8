"""Figures derived from the record: response times and time spent at each severity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

METRIC_SPANS: dict[str, tuple[str, str]] = {
    "time_to_detect_s": ("started", "detected"),
    "time_to_acknowledge_s": ("detected", "acknowledged"),
    "time_to_mitigate_s": ("started", "mitigated"),
    "time_to_resolve_s": ("started", "resolved"),
}
"""Each metric as (from milestone, to milestone)."""

METRIC_LABELS: dict[str, str] = {
    "time_to_detect_s": "Time to detect",
    "time_to_acknowledge_s": "Time to acknowledge",
    "time_to_mitigate_s": "Time to mitigate",
    "time_to_resolve_s": "Time to resolve",
}
"""What each metric is called in a report, the `warroom insights` output and the Insights screen."""


def response_metrics(milestones: Mapping[str, datetime]) -> dict[str, int | None]:
    """Whole seconds between milestones; None while either end is unknown."""
    result: dict[str, int | None] = {}
    for name, (start, end) in METRIC_SPANS.items():
        if start in milestones and end in milestones:
            result[name] = int((milestones[end] - milestones[start]).total_seconds())
        else:
            result[name] = None
    return result


def time_in_severity(
    history: Iterable[tuple[int, datetime]], *, started: datetime | None, end: datetime
) -> dict[int, timedelta]:
    """Time spent at each severity level, from the (level, since) history.

    The first level counts from `started` when that is earlier than the first entry
    (impact began before the declaration); the last runs until `end` (resolution, or now).
    """
    changes = sorted(history, key=lambda change: change[1])
    spent: dict[int, timedelta] = {}
    for index, (level, since) in enumerate(changes):
        if index == 0 and started is not None and started < since:
            since = started
        until = changes[index + 1][1] if index + 1 < len(changes) else end
        until = min(until, end)
        if until > since:
            spent[level] = spent.get(level, timedelta()) + (until - since)
        else:
            spent.setdefault(level, timedelta())
    return dict(sorted(spent.items()))
