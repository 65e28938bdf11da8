"""`warroom insights`: figures across incidents (see `storage.insights`)."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path

import click

from tui.cli.common import command, open_store, shown
from tui.cli.launch import main


@command(main, "insights")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only incidents declared on or after this day (YYYY-MM-DD, in the policy's time zone).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def insights_command(since: datetime | None, as_json: bool, db: str | None, config_path: Path | None) -> None:
    """Incidents per week by severity, response times (median and p90) overall and week by
    week, time spent at each severity, open action items by owner, late post-mortems."""
    from storage.insights import insights
    from storage.metrics import METRIC_LABELS
    from storage.render import format_duration

    store = open_store(db, config_path)
    start = datetime.combine(since.date(), time(), store.policy.tz) if since is not None else None
    found = insights(store, since=start)
    if as_json:
        click.echo(json.dumps({
            "since": start.isoformat() if start else None,
            "incidents": found.incidents,
            "per_week": {week.isoformat(): {f"SEV{level}": n for level, n in counts.items()}
                         for week, counts in found.per_week.items()},
            "response": {name: vars(value) for name, value in found.response.items()},
            "response_by_week": {week.isoformat(): {name: vars(value) for name, value in by_name.items()}
                                 for week, by_name in found.response_by_week.items()},
            "severity_seconds": {f"SEV{level}": seconds for level, seconds in found.severity_seconds.items()},
            "actions_by_owner": {owner: {"open": open_, "overdue": overdue}
                                 for owner, (open_, overdue) in found.actions_by_owner.items()},
            "postmortems_late": found.postmortems_late,
        }, indent=2))
        return
    lines = [f"{found.incidents} incident{'' if found.incidents == 1 else 's'}"
             + (f" declared since {since:%Y-%m-%d}" if since is not None else "")]
    if found.per_week:
        lines.append("Per week (declared, by the worst severity reached):")
        for week, counts in found.per_week.items():
            lines.append(f"  {week:%Y-%m-%d}  " + "  ".join(f"SEV{level} {n}" for level, n in sorted(counts.items())))
    if found.response:
        lines.append("Response times (median / p90):")
        for name, value in found.response.items():
            over = f"{value.count} incident{'' if value.count == 1 else 's'}"
            lines.append(f"  {METRIC_LABELS[name].lower():<20} {format_duration(int(value.median)):>9} / "
                         f"{format_duration(int(value.p90)):<9} ({over})")
    if found.severity_seconds:
        lines.append("Time at each severity: " + ", ".join(
            f"SEV{level} {format_duration(int(seconds))}" for level, seconds in found.severity_seconds.items()))
    if found.actions_by_owner:
        lines.append("Open action items by owner (overdue):")
        for owner, (open_, overdue) in found.actions_by_owner.items():
            lines.append(f"  {owner or 'nobody':<24} {open_} ({overdue})")
    lines.append("Post-mortems late: " + (", ".join(found.postmortems_late) or "none"))
    click.echo("\n".join(shown(line) for line in lines))
