"""The response process as a checklist, the resolution criteria, and the follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.dialog import Dialog
from screens.messages import ChangeWritten, WriteRefused
from screens.writer import RecordWriter
from storage import checklists
from storage.db import Store
from widgets.footer import KeysFooter
from widgets.text import literal, printable

if TYPE_CHECKING:
    from storage.outbox import Write


class ResolveAnyway(Dialog[bool]):
    """Ask before resolving with unmet criteria; the choice is recorded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "resolve",
            "Resolve anyway",
            id="resolve.confirm",
            tooltip="Resolve; the unmet criteria are recorded",
        ),
    ]

    def __init__(self, unmet: list[checklists.Criterion]) -> None:
        super().__init__()
        self.unmet = unmet

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Resolve with unmet criteria?"
            for criterion in self.unmet:
                yield Static(
                    Text.assemble(
                        ("✗ ", "bold red"), (printable(criterion.label), "bold"), f" — {printable(criterion.detail)}"
                    )
                )
            yield Static(classes="dialog-error")
            yield Label("Enter resolves anyway (recorded on the timeline) · Esc cancels", classes="dialog-hint")

    def action_resolve(self) -> None:
        self.dismiss(True)


class ChecklistScreen(Screen[bool]):
    """Steps of the response with their deadlines; ticking lands on the timeline.
    Dismisses with True when anything changed."""

    DEFAULT_CSS = """
    ChecklistScreen OptionList { height: auto; max-height: 16; border: round $primary 50%; }
    ChecklistScreen OptionList:focus { border: round $primary; }
    ChecklistScreen #checklist-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    ChecklistScreen .checklist-hint { color: $text-muted; padding: 0 1; width: 100%; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tick", "Tick", id="checklist.tick", tooltip="Tick or untick the highlighted item"),
        Binding("s", "sign_off", "IC sign-off", id="checklist.signoff", tooltip="Sign off on the record as the IC"),
        Binding(
            "r", "resolve", "Resolve", id="checklist.resolve", tooltip="Resolve the incident, checking the criteria"
        ),
        Binding("escape", "close", "Close", id="checklist.close", tooltip="Back to the incident"),
    ]

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.changed = False
        self._done: dict[str, bool] = {}
        self._ticking: dict[Write, tuple[str, bool]] = {}
        """Ticks and unticks queued and not yet written: the option's id and the state they
        set, so that a second press before the first is written toggles back."""
        """Step key -> done, as last shown."""

    def compose(self) -> ComposeResult:
        yield Static(literal(f"Checklist · {self.ref}"), id="checklist-title")
        with VerticalScroll():
            steps = OptionList(id="steps")
            steps.border_title = "Process"
            yield steps
            criteria = OptionList(id="criteria")
            criteria.border_title = "Resolution criteria"
            yield criteria
            followups = OptionList(id="followups")
            followups.border_title = "Follow-ups after resolution"
            yield followups
            yield Label(
                "Space ticks · s signs off as IC · r resolves · Enter on a criterion ticks it where it can be",
                classes="checklist-hint",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.writer = RecordWriter(self, self.store, self.ref, retry=False)
        self.writer.start(outliving_target=True)  # a tick made as the screen closes is still written
        self.reload()
        self.query_one("#steps", OptionList).focus()

    def _time(self, at: object) -> str:
        return at.astimezone(self.store.policy.tz).strftime("%H:%M") if at is not None else ""  # type: ignore[attr-defined]

    def reload(self) -> None:
        """Read the checklists again and show them, keeping the highlights."""
        steps = self.query_one("#steps", OptionList)
        keep = steps.highlighted
        steps.clear_options()
        for step in checklists.process_checklist(self.store, self.ref):
            self._done[step.key] = step.done
            if step.done:
                mark, style = "✓", "green"
                when = f"done {self._time(step.done_at)}" + (f" by {printable(step.done_by)}" if step.done_by else "")
                if step.late:
                    when += " (late)"
            elif step.overdue:
                mark, style, when = "!", "bold red", f"overdue since {self._time(step.due_at)}"
            else:
                mark, style = "☐", ""
                when = f"due {self._time(step.due_at)}" if step.due_at else ""
            steps.add_option(
                Option(
                    Text.assemble((f"{mark} ", style), (printable(step.label), style), ("  " + when, "dim")),
                    id=step.key,
                )
            )
        if keep is not None and steps.option_count:
            steps.highlighted = min(keep, steps.option_count - 1)
        criteria = self.query_one("#criteria", OptionList)
        keep = criteria.highlighted
        criteria.clear_options()
        for criterion in checklists.resolution_criteria(self.store, self.ref):
            self._done[criterion.key] = criterion.met
            mark, style = ("✓", "green") if criterion.met else ("✗", "red")
            criteria.add_option(
                Option(
                    Text.assemble(
                        (f"{mark} ", style), printable(criterion.label), (f"  {printable(criterion.detail)}", "dim")
                    ),
                    id=criterion.key,
                )
            )
        if keep is not None and criteria.option_count:
            criteria.highlighted = min(keep, criteria.option_count - 1)
        followups = self.query_one("#followups", OptionList)
        keep = followups.highlighted
        followups.clear_options()
        for person, items in checklists.followups(self.store, self.ref).items():
            for item in items:
                mark, style = ("✓", "green") if item.done else ("☐", "")
                self._done[f"{person}\x1f{item.key}"] = item.done
                followups.add_option(
                    Option(
                        Text.assemble(
                            (f"{mark} ", style), (printable(person), "bold"), f" ({item.role}): ", printable(item.label)
                        ),
                        id=f"{person}\x1f{item.key}",
                    )
                )
        followups.display = followups.option_count > 0
        if keep is not None and followups.option_count:
            followups.highlighted = min(keep, followups.option_count - 1)

    def on_unmount(self) -> None:
        self.writer.finish()

    def _do(self, description: str, change: Callable[..., object], *args: object, **kwargs: object) -> Write:
        """Make `change(store, ref, *args, **kwargs)` off the UI thread; show the result."""
        return self.writer.outbox.send(description, partial(change, self.store, self.ref, *args, **kwargs))

    def _toggle(self, option_id: str, done: bool, description: str, change: Callable[..., object],
                *args: object) -> None:
        """Tick or untick (`done` is the state now): queued, and remembered until written."""
        self._ticking[self._do(description, change, *args)] = (option_id, not done)

    def _is_done(self, option_id: str) -> bool:
        """The option's state once the ticks queued are written (the record's when none is)."""
        for key, state in reversed(list(self._ticking.values())):
            if key == option_id:
                return state
        return self._done.get(option_id, False)

    def on_change_written(self, message: ChangeWritten) -> None:
        self._ticking.pop(message.write, None)
        self.changed = True
        self.reload()

    def on_write_refused(self, message: WriteRefused) -> None:
        self._ticking.pop(message.write, None)
        self.notify(str(message.error), title="Not done", severity="error", markup=False)

    def action_tick(self) -> None:
        focused = self.focused
        if not isinstance(focused, OptionList) or focused.highlighted is None:
            return
        option = focused.get_option_at_index(focused.highlighted)
        key = option.id or ""
        if focused.id == "followups":
            person, item_key = key.split("\x1f", 1)
            done = self._is_done(key)
            operation: Callable[..., object] = checklists.untick_followup if done else checklists.tick_followup
            self._toggle(key, done, f"Follow-up {item_key}", operation, person, item_key)
            return
        if focused.id == "criteria" and key == checklists.SIGNOFF_KEY:
            self.action_sign_off()
            return
        done = self._is_done(key)
        step: Callable[..., object] = checklists.untick_step if done else checklists.tick_step
        self._toggle(key, done, f"Step {key}", step, key)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_tick()

    def action_sign_off(self) -> None:
        self._do("IC sign-off", checklists.sign_off)

    def action_resolve(self) -> None:
        unmet = [c for c in checklists.resolution_criteria(self.store, self.ref) if not c.met]
        if not unmet:
            self._do("Resolve", checklists.resolve)
            return

        def answered(anyway: bool | None) -> None:
            if anyway:
                self._do("Resolve", checklists.resolve, force=True)

        self.app.push_screen(ResolveAnyway(unmet), answered)

    def action_close(self) -> None:
        self.dismiss(self.changed)
