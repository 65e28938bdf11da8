"""The post-mortem's action items: what to reconsider in the list (too many, or too many
below P1), and a CSV file for Jira's importer."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from storage import ops
from storage.db import Store
from storage.models import ActionItem
from storage.text import csv_cell

TOO_MANY_ACTION_ITEMS = 10
"""More open action items than this draws a warning."""

JIRA_PRIORITIES: dict[str, str] = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low", "P4": "Lowest"}
"""Jira's priority for each of ours."""


def action_item_warnings(items: Sequence[ActionItem]) -> list[str]:
    """What to reconsider in a list of action items (items marked won't-do are not counted).

    - more than half are P2, P3 or P4: follow-ups should mostly be P0/P1 work that
      really must be done;
    - more than `TOO_MANY_ACTION_ITEMS`: a long list tends to get nothing done.
    """
    live = [item for item in items if item.state != "wont_do"]
    warnings: list[str] = []
    low = [item for item in live if item.priority not in ("P0", "P1")]
    if live and len(low) * 2 > len(live):
        warnings.append(
            f"{len(low)} of {len(live)} action items are below P1: keep the ones that must be done "
            "(P0/P1) and drop or defer the rest"
        )
    if len(live) > TOO_MANY_ACTION_ITEMS:
        warnings.append(
            f"{len(live)} action items is a lot (more than {TOO_MANY_ACTION_ITEMS}): "
            "create tickets only for what really has to happen"
        )
    return warnings


def action_items_csv(store: Store, ref: str) -> str:
    """The action items as a CSV file for Jira's CSV importer (won't-do items left out).

    Columns: Summary, Assignee, Priority, one `Labels` column per tag (Jira merges
    repeated Labels columns, so each tag becomes a label; short rows are padded), Due
    Date (YYYY-MM-DD) and Description (the incident reference and title, the category
    and the ticket link when there is one). Priorities map P0..P4 to Highest, High,
    Medium, Low, Lowest. A cell a spreadsheet would run as a formula (one starting with
    `=`, `+`, `-`, `@`, a tab or a carriage return) starts with `'` instead (`csv_cell`).
    """
    with store.read() as session:
        incident = ops.find_incident(session, ref)
        title = ops.title_of(store, incident)
    items = [item for item in ops.action_items(store, ref) if item.state != "wont_do"]
    tag_lists = [[tag for tag in item.tags.split(",") if tag.strip()] for item in items]
    width = max([1, *(len(tags) for tags in tag_lists)])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Summary", "Assignee", "Priority", *(["Labels"] * width), "Due Date", "Description"])
    for item, tags in zip(items, tag_lists, strict=True):
        description = [f"Follow-up from incident {incident.ref}: {title}."]
        if item.category:
            description.append(f"Category: {item.category}.")
        if item.ticket_url:
            description.append(f"Ticket: {item.ticket_url}")
        row = [
            item.title,
            item.owner,
            JIRA_PRIORITIES.get(item.priority, "Medium"),
            *[tag.strip() for tag in tags],
            *([""] * (width - len(tags))),
            item.due_date.isoformat() if item.due_date else "",
            "\n".join(description),
        ]
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()

