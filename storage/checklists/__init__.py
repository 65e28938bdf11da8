"""Checklists: the response process, the resolution criteria and the follow-ups.

Three things an incident commander keeps an eye on, all read from the record:

- The **process checklist**: the fixed steps of a response (decide, declare, triage,
  communicate, mitigate, resolve). Decide and declare have deadlines counted from
  detection (`policy.process.decide_within` / `declare_within`). A step whose state the
  record already shows counts as done by itself; the others are ticked by hand, and a
  tick is stored (a `ChecklistItem` row in the "process" list) and logged on the timeline.
- The **resolution criteria**: what must hold before the incident may be resolved.
  `resolve` refuses while any is unmet, unless forced, and a forced resolution says so
  on the timeline.
- The **follow-ups**: after resolution, each person who held a role (now or earlier in
  the incident) gets that role's follow-up steps from the policy, ticked one by one.

Rules for steps done "from the record":

| step        | done when                                                           |
| ----------- | ------------------------------------------------------------------- |
| decide      | always: the incident was declared (done at the declaration time)    |
| declare     | someone has held IC and an internal update of kind `initial` was sent |
| triage      | only by a tick (paging and engaging responders are not recorded)      |
| communicate | an internal update other than the `initial` one was sent             |
| mitigate    | the `mitigated` milestone is set                                      |
| resolve     | the `resolved` milestone is set                                       |

An explicit tick, when there is one, gives the step's done time and person.

The resolution criteria:

- `durable_mitigation`: the `mitigated` milestone is set AND a note, action or decision
  (not struck) says the mitigation is durable: its text contains "durable", and not
  negated ("not durable", "isn't durable", "non-durable"). Or, without either, someone
  ticked the step `durable_mitigation`.
- `ic_signoff`: the current Incident Commander signed off the record (`sign_off`); a
  sign-off by an earlier IC does not count after a handover.
- `retrospective_scheduled`: the post-mortem has a meeting time.
- `final_update_sent`: an internal update of kind `resolved` was recorded.

The package, by job: `record` (the lists' rows and the rules above, read from the
record), `process` (the process checklist and its ticks), `resolution` (the criteria,
the IC's sign-off and resolving) and `followups`.
"""

from storage.checklists.followups import (
    create_followups,
    followups,
    tick_followup,
    untick_followup,
)
from storage.checklists.process import process_checklist, tick_step, untick_step
from storage.checklists.record import (
    CRITERIA,
    DURABLE_KEY,
    EXTRA_LABELS,
    FOLLOWUP,
    PROCESS,
    PROCESS_STEPS,
    SIGNOFF_KEY,
    TICKABLE,
    Criterion,
    FollowUp,
    Step,
)
from storage.checklists.resolution import resolution_criteria, resolve, sign_off

__all__ = [
    "CRITERIA",
    "DURABLE_KEY",
    "EXTRA_LABELS",
    "FOLLOWUP",
    "PROCESS",
    "PROCESS_STEPS",
    "SIGNOFF_KEY",
    "TICKABLE",
    "Criterion",
    "FollowUp",
    "Step",
    "create_followups",
    "followups",
    "process_checklist",
    "resolution_criteria",
    "resolve",
    "sign_off",
    "tick_followup",
    "tick_step",
    "untick_followup",
    "untick_step",
]
