"""The post-mortem: drafted from the record, moved through its statuses, shared.

After a SEV1 or SEV2 the post-mortem owner writes up what happened, holds a meeting
before the policy's deadline and files follow-up tickets. This package does the parts
the record already knows, one module per job:

- `record` (`update_postmortem`): writing the post-mortem's fields, impact numbers
  (`POSTMORTEM_NUMBERS`) and sections.
- `load`: reading the post-mortem and the record it is written from (`read_postmortem`,
  `worst_severity`; `_load` reads the whole record in one session).
- `prefill` (`prefill`, `apply_prefill`): the Responders, Timeline and Impact
  sections drafted from the role history, the key events, milestones, severity and
  status changes and the updates sent. `apply_prefill` only fills empty sections
  unless told to overwrite, so nothing the owner wrote is lost; `stale_drafts` names the
  drafted sections the record has since moved past that nobody edited (drafted again
  with `apply_prefill(stale=True)`). TODO events become
  draft action items with `import_todos`.
- `workflow` (`set_status`): Draft -> In Review -> Reviewed -> Closed, one step at a
  time (one step back is allowed). In Review and later need an owner. Closed needs
  the external message posted: the latest status-page update must be marked posted
  (`mark_posted`), and an External Message section must have been published as a
  status-page post (`record_external_message`, then `mark_posted`).
- `meeting` (`meeting_deadline`, `meeting_check`, `meeting_ics`): the deadline of
  the worst severity reached, counted from resolution; a one-line warning; an
  iCalendar invitation.
- `action_items` (`action_item_warnings`, `action_items_csv`): too many, or too
  many below P1; a CSV for Jira's importer.
- `document` (`postmortem_markdown`, `blameless_hints`): the whole post-mortem in
  template order, and names that appear in the Root Causes text.
- `overview` (`needing_postmortem`): resolved incidents still owing a post-mortem.

Durations, times and record text are written by `storage.render`: times in the
timeline table are UTC (as the template asks); meeting times are shown in the policy's
time zone with UTC alongside.
"""

from __future__ import annotations

from storage.postmortem.action_items import (
    JIRA_PRIORITIES,
    TOO_MANY_ACTION_ITEMS,
    action_item_warnings,
    action_items_csv,
)
from storage.postmortem.document import blameless_hints, postmortem_markdown
from storage.postmortem.load import PostmortemView, read_postmortem, worst_severity
from storage.postmortem.meeting import (
    MEETING_WARNING_WINDOW,
    meeting_check,
    meeting_deadline,
    meeting_ics,
)
from storage.postmortem.overview import PostmortemDue, needing_postmortem
from storage.postmortem.prefill import (
    PREFILLED_SECTIONS,
    TODO_CATEGORY,
    apply_prefill,
    import_todos,
    prefill,
    stale_drafts,
    todo_candidates,
)
from storage.postmortem.record import POSTMORTEM_NUMBERS, update_postmortem
from storage.postmortem.workflow import (
    EXTERNAL_MESSAGE_KIND,
    STATUS_LABELS,
    mark_posted,
    record_external_message,
    set_status,
)

__all__ = [
    "EXTERNAL_MESSAGE_KIND",
    "JIRA_PRIORITIES",
    "MEETING_WARNING_WINDOW",
    "POSTMORTEM_NUMBERS",
    "PREFILLED_SECTIONS",
    "STATUS_LABELS",
    "TODO_CATEGORY",
    "TOO_MANY_ACTION_ITEMS",
    "PostmortemDue",
    "PostmortemView",
    "action_item_warnings",
    "action_items_csv",
    "apply_prefill",
    "blameless_hints",
    "import_todos",
    "mark_posted",
    "meeting_check",
    "meeting_deadline",
    "meeting_ics",
    "needing_postmortem",
    "postmortem_markdown",
    "prefill",
    "read_postmortem",
    "record_external_message",
    "set_status",
    "stale_drafts",
    "todo_candidates",
    "update_postmortem",
    "worst_severity",
]
