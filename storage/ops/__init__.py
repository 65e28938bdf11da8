"""Operations on the incident record: the one way the CLI and the screens change it.

Each public function runs in its own write transaction and returns detached rows.
Every change that matters during an incident (severity, status, roles, milestones,
updates, links) also lands in the timeline as an event, so the timeline alone tells
the story.

The operations live by subject and are all importable from here (`ops.log(...)`):

- `record`: finding an incident, `writing` (the change context every operation uses),
  `add_event`, `touch`, input checks and the history readers;
- `events`: scribe lines, corrections, event history;
- `incident`: listing, declaring, impact, severity, status, milestones, updates, grouping;
- `roles`: role assignments and handovers;
- `action_items`: follow-up work;
- `reminders`: reminders and the snoozes of overdue updates' reminders.

The post-mortem's own writer is `storage.postmortem.update_postmortem`.
"""

from storage.ops.action_items import action_items, add_action_item, update_action_item
from storage.ops.events import (
    as_line,
    edit_event,
    event_history,
    get_event,
    line_concerns,
    log,
    log_many,
    logged_entries,
    parse_line,
    restore_event,
    set_key,
    strike_event,
    strike_refusal,
    time_concerns_for,
)
from storage.ops.facts import TITLE_PARTS, checked_fact, checked_facts, set_facts, set_impact
from storage.ops.incident import (
    MILESTONE_STATUS,
    UPDATE_CHANNELS,
    IncidentRow,
    change_severity,
    declare,
    link_incidents,
    list_incidents,
    milestone_order_concerns,
    most_recent_open,
    record_status_update,
    related_incidents,
    set_milestone,
    set_status,
)
from storage.ops.record import (
    AUTHOR_ENV,
    FUTURE_TOLERANCE,
    START_MILESTONES,
    STORED_INT_MAX,
    RoleHolding,
    Writing,
    add_event,
    find_incident,
    get_incident,
    incident_start,
    milestone_name,
    milestones,
    role_history,
    severity_history,
    status_updates,
    timeline,
    title_of,
    touch,
    writing,
)
from storage.ops.reminders import (
    read_reminders,
    reminder_done,
    reminders,
    snooze_reminder,
    snooze_update_reminders,
)
from storage.ops.roles import assign_role, person_named, release_role

__all__ = [
    "AUTHOR_ENV",
    "FUTURE_TOLERANCE",
    "MILESTONE_STATUS",
    "START_MILESTONES",
    "STORED_INT_MAX",
    "TITLE_PARTS",
    "UPDATE_CHANNELS",
    "IncidentRow",
    "RoleHolding",
    "Writing",
    "action_items",
    "add_action_item",
    "add_event",
    "as_line",
    "assign_role",
    "change_severity",
    "checked_fact",
    "checked_facts",
    "declare",
    "edit_event",
    "event_history",
    "find_incident",
    "get_event",
    "get_incident",
    "incident_start",
    "line_concerns",
    "link_incidents",
    "list_incidents",
    "log",
    "log_many",
    "logged_entries",
    "milestone_name",
    "milestone_order_concerns",
    "milestones",
    "most_recent_open",
    "parse_line",
    "person_named",
    "read_reminders",
    "record_status_update",
    "related_incidents",
    "release_role",
    "reminder_done",
    "reminders",
    "restore_event",
    "role_history",
    "set_facts",
    "set_impact",
    "set_key",
    "set_milestone",
    "set_status",
    "severity_history",
    "snooze_reminder",
    "snooze_update_reminders",
    "status_updates",
    "strike_event",
    "strike_refusal",
    "time_concerns_for",
    "timeline",
    "title_of",
    "touch",
    "update_action_item",
    "writing",
]
