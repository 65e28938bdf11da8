"""The command screen's keys (each with an id for the config's `[keys]` table, and a
tooltip that F1 shows), and the ones its footer spares first on a narrow terminal."""

from __future__ import annotations

from textual.binding import Binding, BindingType

COMMAND_KEYS: list[BindingType] = [
    Binding("f2", "severity", "Severity", id="command.severity", tooltip="Change the incident's severity"),
    Binding("shift+f2", "facts", "Facts", id="command.facts", tooltip="Correct the incident's facts", show=False),
    Binding("f14", "facts", "Facts", id="command.facts_f14", tooltip="Shift+F2 as xterm sends it", show=False),
    Binding("f3", "milestone", "Milestone", id="command.milestone", tooltip="Mark a milestone reached"),
    Binding("ctrl+s", "status", "Status", id="command.status", tooltip="Change the status", show=False),
    Binding("shift+f3", "status", "Status", id="command.status_shift", tooltip="Change the status", show=False),
    Binding("f4", "handover", "Roles", id="command.handover", tooltip="Hand over or add a role"),
    Binding("f5", "update_sent", "Update sent", id="command.update", tooltip="Record an update as sent"),
    Binding("f6", "incidents", "Incidents", id="command.incidents", tooltip="Open the incident list"),
    Binding("f7", "toggle_utc", "UTC", id="command.utc", tooltip="Show times in UTC or local time"),
    Binding("f8", "compose", "Compose", id="command.compose", tooltip="Compose a status update from the templates"),
    Binding(
        "f9",
        "checklist",
        "Checklist",
        id="command.checklist",
        tooltip="Process checklist, resolution and follow-ups",
    ),
    Binding("f10", "app.insights", "Insights", id="command.insights", tooltip="Figures across incidents, plotted"),
    Binding("f12", "postmortem", "Post-mortem", id="command.postmortem", tooltip="Write the post-mortem"),
    Binding("ctrl+b", "remind", "Remind", id="command.remind", tooltip="Set a reminder (the same as /remind 10m text)"),
    Binding("escape", "focus_input", "Type", id="command.type", tooltip="Back to the scribe line", show=False),
    Binding(
        "ctrl+y",
        "confirm_held",
        "Confirm time",
        id="command.confirm_held",
        tooltip="Log the oldest line set aside for its time, at that time",
    ),
    Binding(
        "ctrl+r",
        "recall_held",
        "Fix line",
        id="command.recall_held",
        tooltip="Take the oldest line set aside back into the input to fix it",
    ),
]

SPARED_ON_NARROW_TERMINALS = (
    "app.insights", "remind", "toggle_utc", "incidents", "update_sent", "handover", "milestone", "severity", "help",
)
"""Keys the footer leaves out first when short of room (F8, F9, F12 stay; F1, the last of
them, still lists all)."""
