"""Figures across incidents: how many, how fast they were handled, where the time went,
and what is still owed (action items, post-mortems). Read in a handful of queries, whatever
the number of incidents, for `warroom insights` and a screen to plot.

Weeks start on Monday in the policy's time zone; an incident counts in the week it was
declared, at the worst severity it reached. Response times are those of the post-mortem
(`storage.metrics`): from the milestones, for the incidents that have both ends.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from storage.db import Store
from storage.metrics import METRIC_SPANS, response_metrics, time_in_severity
from storage.models import ActionItem, Incident, Milestone, SeverityChange


@dataclass(frozen=True)
class Spread:
    """A response time over incidents: median and 90th percentile (nearest rank), seconds."""

    count: int
    median: float
    p90: float


@dataclass
class Insights:
    """The figures of the incidents declared since `since` (all of them when None)."""

    since: datetime | None
    incidents: int = 0
    per_week: dict[date, dict[int, int]] = field(default_factory=dict)
    """Week (its Monday) to {worst severity: incidents declared that week}."""
    response: dict[str, Spread] = field(default_factory=dict)
    """Metric (`METRIC_SPANS`) to its spread over all the incidents."""
    response_by_week: dict[date, dict[str, Spread]] = field(default_factory=dict)
    """The same, week by week: how it changes over time."""
    severity_seconds: dict[int, float] = field(default_factory=dict)
    """Severity level to the time incidents spent at it (until resolved, or now)."""
    actions_by_owner: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Owner ("" for nobody) to (open action items, of which overdue)."""
    postmortems_late: list[str] = field(default_factory=list)
    """The references of resolved incidents whose post-mortem meeting is overdue."""


def spread(values: list[float]) -> Spread:
    ordered = sorted(values)
    return Spread(len(ordered), float(statistics.median(ordered)), float(ordered[math.ceil(0.9 * len(ordered)) - 1]))


def insights(store: Store, *, since: datetime | None = None) -> Insights:
    """The figures of the incidents declared at or after `since` (see the module's text)."""
    from storage.postmortem.overview import needing_postmortem

    tz, now = store.policy.tz, store.now()
    found = Insights(since)
    with store.read() as session:
        query = select(Incident)
        if since is not None:
            query = query.where(col(Incident.declared_at) >= since)
        incidents = {incident.id: incident for incident in session.exec(query).all()}
        reached: dict[int, dict[str, datetime]] = defaultdict(dict)
        for milestone in session.exec(select(Milestone).where(col(Milestone.incident_id).in_(list(incidents)))):
            reached[milestone.incident_id][milestone.name] = milestone.at
        history: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        changes = select(SeverityChange).where(col(SeverityChange.incident_id).in_(list(incidents)))
        for change in session.exec(changes):
            history[change.incident_id].append((change.severity, change.at))
        items = session.exec(
            select(ActionItem).where(col(ActionItem.incident_id).in_(list(incidents)), ActionItem.state == "open")
        ).all()
    found.incidents = len(incidents)
    metrics: dict[str, list[float]] = defaultdict(list)
    weekly: dict[date, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    spent: dict[int, timedelta] = defaultdict(timedelta)
    for incident_id, incident in incidents.items():
        assert incident_id is not None
        local = incident.declared_at.astimezone(tz).date()
        week = local - timedelta(days=local.weekday())
        levels = history.get(incident_id) or [(incident.severity, incident.declared_at)]
        worst = min(level for level, _ in levels)
        found.per_week.setdefault(week, {})
        found.per_week[week][worst] = found.per_week[week].get(worst, 0) + 1
        marks = reached.get(incident_id, {})
        for name, seconds in response_metrics(marks).items():
            if seconds is not None and seconds >= 0:
                metrics[name].append(seconds)
                weekly[week][name].append(seconds)
        end = marks.get("resolved", now) if incident.status == "resolved" else now
        for level, delta in time_in_severity(levels, started=marks.get("started"), end=end).items():
            spent[level] += delta
    found.per_week = {week: dict(sorted(counts.items())) for week, counts in sorted(found.per_week.items())}
    found.response = {name: spread(metrics[name]) for name in METRIC_SPANS if metrics[name]}
    found.response_by_week = {
        week: {name: spread(values) for name, values in by_name.items() if values}
        for week, by_name in sorted(weekly.items())
    }
    found.severity_seconds = {level: delta.total_seconds() for level, delta in sorted(spent.items())}
    today = now.astimezone(tz).date()
    owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        owners[item.owner][0] += 1
        owners[item.owner][1] += item.due_date is not None and item.due_date < today
    found.actions_by_owner = {owner: (open_, overdue) for owner, (open_, overdue) in sorted(owners.items())}
    refs = {incident.ref for incident in incidents.values()}
    found.postmortems_late = [due.ref for due in needing_postmortem(store) if due.overdue and due.ref in refs]
    return found
