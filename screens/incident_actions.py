"""The keys that change an incident from its screen: each opens a picker or a dialog, and
its answer becomes a write (`send_change`); dialogs never write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from screens.messages import ChangeWritten, ShowIncidentList
from screens.timeline_filters import FilteredIncidentScreen
from storage.errors import EditConflict, WarroomError
from widgets.reminders import ReminderPanel
from widgets.roster import COMMANDER_KEY, RoleRoster
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView
from widgets.timeline_filtered import IncidentTimeline

if TYPE_CHECKING:
    from screens.facts import Facts
    from storage.db import Store
    from storage.models import Incident


class FactsRefused(NamedTuple):
    """What a facts change hands back when the record refuses it: the facts as typed, to
    open the dialog again with, and why."""

    typed: Facts
    reason: str


def set_facts_or_refusal(
    store: Store, ref: str, typed: Facts, changes: dict[str, str | bool], opened: Facts, *, at: datetime
) -> Incident | FactsRefused:
    """`ops.set_facts` on the writer's thread; a refusal comes back as `FactsRefused` (so
    the dialog opens again with what was typed) instead of a notice: also when a fact typed
    was changed by someone else since the dialog opened with `opened` (theirs is named; the
    dialog opens on it, so Ctrl+S then saves yours over it). A busy database still raises:
    the writer tries again."""
    from screens.facts import LABELS
    from storage import ops
    from storage.errors import FactsConflict, InvalidInput
    from storage.text import printable

    seen = {name: getattr(opened, name) for name in changes}
    try:
        return ops.set_facts(store, ref, at=at, expected=seen, **changes)  # type: ignore[arg-type]
    except FactsConflict as exc:
        shown = {name: printable(("yes" if value else "no") if isinstance(value, bool) else value)
                 for name, value in exc.theirs.items()}
        theirs = "; ".join(f"{LABELS[name].lower()}: “{text[:80]}{'…' * (len(text) > 80)}”"
                           for name, text in shown.items())
        return FactsRefused(typed, f"Changed by someone else since you opened the facts ({theirs}). "
                                   "Yours is not saved yet: Ctrl+S saves it over theirs.")
    except InvalidInput as exc:
        return FactsRefused(typed, str(exc))


class IncidentActionsScreen(FilteredIncidentScreen):
    """The live incident screen with the keys that change it (the command screen binds them)."""

    def send_change(self, description: str, apply: Callable[..., object], *args: object,
                    refused_title: str = "Not done", stamped: bool = True, **kwargs: object) -> None:
        """Change the incident with `apply(store, ref, *args, at=now, **kwargs)` (see CommandScreen)."""
        raise NotImplementedError

    def _enter_lines(self, lines: Sequence[str], entered_at: datetime | None = None) -> None:
        """Take lines as the scribe line does (see CommandScreen)."""
        raise NotImplementedError

    # --- reminders ------------------------------------------------------------------

    def action_remind(self) -> None:
        """Ask when and of what, then log it as the `/remind` line it is."""
        from screens.reminders import ReminderDialog

        if self.store is None:
            return

        def chosen(line: str | None) -> None:
            if line is not None:
                self._enter_lines([line])

        self.app.push_screen(ReminderDialog(self.store.now, self.store.policy.tz), chosen)

    def reminder_done(self, seq: int) -> None:
        """Dismiss reminder #`seq` (recorded)."""
        from storage import ops

        self.send_change(f"Reminder #{seq} done", ops.reminder_done, seq)

    def snooze_reminder(self, seq: int) -> None:
        """Move reminder #`seq` a few minutes on (recorded)."""
        from storage import ops

        self.send_change(f"Snooze reminder #{seq}", ops.snooze_reminder, seq)

    def snooze_update_reminders(self, countdown: str) -> None:
        """No reminders of the overdue update `countdown` for a while (recorded)."""
        from storage import ops

        self.send_change(f"Snooze reminders: {countdown}", ops.snooze_update_reminders, countdown)

    def on_reminder_panel_done_requested(self, event: ReminderPanel.DoneRequested) -> None:
        self.reminder_done(event.seq)

    def on_reminder_panel_snooze_requested(self, event: ReminderPanel.SnoozeRequested) -> None:
        self.snooze_reminder(event.seq)

    def action_focus_input(self) -> None:
        self.query_one(ScribeInput).focus()

    def action_severity(self) -> None:
        from screens.pickers import SeverityPicker
        from storage import ops

        if self.store is None or self.view is None:
            return

        def chosen(level: int | None) -> None:
            if level is not None:
                self.send_change(f"Severity SEV{level}", ops.change_severity, level)

        self.app.push_screen(SeverityPicker(self.store, self.view.severity), chosen)

    def action_milestone(self) -> None:
        from screens.pickers import MilestonePicker

        if self.store is None or self.view is None:
            return

        def chosen(result: tuple[str, datetime] | None) -> None:
            if result is not None:
                self._mark_milestone(*result)

        self.app.push_screen(MilestonePicker(self.store, self.view.milestones), chosen)

    def action_status(self) -> None:
        from screens.pickers import StatusPicker

        def chosen(status: str | None) -> None:
            if status is not None:
                self.set_status(status)

        if self.store is not None and self.view is not None:
            self.app.push_screen(StatusPicker(self.view.status), chosen)

    def set_status(self, status: str) -> None:
        """Change the status now (resolved: through the resolution criteria), as the status
        picker does."""
        from storage import ops

        if self.store is None:
            return
        if status == "resolved":
            self._mark_milestone("resolved", self.store.now())
        else:
            self.send_change(f"Status {status}", ops.set_status, status)

    def _mark_milestone(self, name: str, at: datetime) -> None:
        """Mark milestone `name` at `at`, asking first when that is out of the usual order;
        resolving checks the resolution criteria."""
        from screens.pickers import Confirm
        from storage import ops
        from storage.render import local_minute

        assert self.store is not None and self.ref is not None
        concerns = ops.milestone_order_concerns(self.store, self.ref, name, at)

        def mark() -> None:
            if name == "resolved" and (
                self.view is None or self.view.status != "resolved" or "resolved" not in self.view.milestones
            ):
                self._resolve(at)
            else:
                self.send_change(f"Milestone {name}", ops.set_milestone, name, at=at)

        if not concerns:
            mark()
            return
        label = name.replace("_", " ")
        question = f"Mark {label} at {local_minute(at, self.store.policy.tz)}? That is {'; '.join(concerns)}."
        self.app.push_screen(Confirm(question), lambda yes: mark() if yes else None)

    def action_handover(self, role_key: str | None = None) -> None:
        from screens.pickers import HandoverDialog
        from storage import ops

        if self.store is None:
            return
        roster = self.query_one(RoleRoster)
        role = next((r for r in roster.roles if r.key == role_key), None) if role_key else roster.cursor_role
        if role is None:
            return
        people = {h.person for r in roster.roles for h in r.holders}

        def chosen(result: tuple[str, str, datetime] | None) -> None:
            if result is not None:
                person, note, at = result
                self.send_change(f"{person} as {role.name}", ops.assign_role, role.key, person, at=at, note=note)

        holders = [h.person for h in role.holders]
        self.app.push_screen(HandoverDialog(self.store, role.name, role.many, holders, sorted(people)), chosen)

    def action_facts(self, typed: Facts | None = None, error: str | None = None) -> None:
        """Correct the facts: the record is read off the UI thread, then the dialog opens
        filled in (with `typed` and `error` when the record refused what was typed)."""
        if self.store is not None and self.ref is not None:
            self.run_worker(lambda: self._read_facts(typed, error), thread=True, group="facts", exclusive=True)

    def _read_facts(self, typed: Facts | None, error: str | None) -> None:
        from screens.facts import Facts
        from storage import ops
        from storage.errors import WarroomError

        assert self.store is not None and self.ref is not None
        try:
            current = Facts.of(ops.get_incident(self.store, self.ref))
        except WarroomError as exc:
            self.app.call_from_thread(self.notify, f"The facts could not be read: {exc}", title="Facts",
                                      severity="error", markup=False)
            return
        self.app.call_from_thread(self._edit_facts, current, typed, error)

    def _edit_facts(self, current: Facts, typed: Facts | None, error: str | None) -> None:
        from screens.facts import LABELS, FactsDialog, FactsEdit

        def chosen(edit: FactsEdit | None) -> None:
            if edit is None:
                return
            if not edit.changes:
                self.notify("Nothing changed: the facts are as in the record.", title="Facts", markup=False)
                return
            names = ", ".join(LABELS[name].lower() or "full outage" for name in edit.changes)
            self.send_change(f"Facts: {names}", set_facts_or_refusal, edit.typed, edit.changes, current)

        if self.is_attached:
            self.app.push_screen(FactsDialog(self.store, current, typed, error), chosen)  # type: ignore[arg-type]

    def on_change_written(self, message: ChangeWritten) -> None:
        """A facts change the record refused: the dialog again, with what was typed."""
        if isinstance(message.result, FactsRefused):
            self.action_facts(message.result.typed, message.result.reason)

    # --- without a dialog, for the command palette (tui.commands) -------------------

    def hand_over(self, role_key: str, person: str) -> None:
        """Give role `role_key` to `person` now, as the handover dialog does."""
        from storage import ops

        if self.store is not None:
            name = self.store.policy.role(role_key).name
            self.send_change(f"{person} as {name}", ops.assign_role, role_key, person, note="")

    def set_severity(self, level: int) -> None:
        """Change the severity to `level` now, as the severity picker does."""
        from storage import ops

        self.send_change(f"Severity SEV{level}", ops.change_severity, level)

    def mark_milestone(self, name: str) -> None:
        """Mark milestone `name` reached now, as the milestone picker does (resolving checks
        the resolution criteria first)."""
        if self.store is not None:
            self._mark_milestone(name, self.store.now())

    def on_timeline_view_entry_selected(self, event: TimelineView.EntrySelected) -> None:
        self.open_event(event.entry.seq)

    def open_event(self, seq: int, draft: str | None = None) -> None:
        """The event dialog of event `seq` (with `draft` in its edit input, when given);
        the change asked for is written as of the revision the dialog showed."""
        from screens.event import EventChange, EventDialog
        from storage import ops

        if self.store is None or self.ref is None:
            return

        def chosen(change: EventChange | None) -> None:
            if change is None:
                return
            revision = change.revision
            if change.action == "key" and change.key is not None:
                self.mark_key(change.seq, change.key)
            elif change.action == "strike":
                self.send_change(f"Strike event #{change.seq}", ops.strike_event, change.seq,
                                 expected_revision=revision, stamped=False)
            elif change.action == "restore":
                self.send_change(f"Restore event #{change.seq}", ops.restore_event, change.seq,
                                 expected_revision=revision, stamped=False)
            else:
                self.send_change(f"Edit event #{change.seq}", ops.edit_event, change.seq, change.text,
                                 expected_revision=revision, stamped=False)

        self.app.push_screen(EventDialog(self.store, self.ref, seq, draft=draft), chosen)

    def show_refusal(self, error: WarroomError, text: str, title: str) -> None:
        """A change the record refused: an edit that met a later version shows both texts
        (Enter takes yours back into the event to apply again); any other, a notification."""
        from screens.event import ConflictDialog

        if isinstance(error, EditConflict) and error.yours is not None:
            yours = error.yours

            def again(edit_again: bool | None) -> None:
                if edit_again:
                    self.open_event(error.seq, draft=yours)

            self.app.push_screen(ConflictDialog(error), again)
            return
        self.notify(text, title=title, severity="error", markup=False)

    def on_incident_timeline_key_mark_requested(self, event: IncidentTimeline.KeyMarkRequested) -> None:
        self.mark_key(event.entry.seq, not event.entry.key)

    def mark_key(self, seq: int, key: bool) -> None:
        """Mark event `seq` as a key event (`key`), or unmark it; its earlier version is kept."""
        from storage import ops

        description = f"{'Mark' if key else 'Unmark'} key event #{seq}"
        self.send_change(description, ops.set_key, seq, key, stamped=False, refused_title="Key mark not changed")

    def on_role_roster_handover_requested(self, event: RoleRoster.HandoverRequested) -> None:
        self.action_handover(event.role_key)

    def on_role_roster_release_requested(self, event: RoleRoster.ReleaseRequested) -> None:
        """Ask, naming the person and the role (and, for the IC, that the incident will have
        none), then release them; the timeline credits whoever pressed the key."""
        from screens.confirm import ConfirmDialog
        from storage import ops

        if self.store is None or self.ref is None:
            return
        role = next((r for r in self.query_one(RoleRoster).roles if r.key == event.role_key), None)
        name = role.name if role is not None else event.role_key
        others = [h.person for h in role.holders if h.person != event.person] if role is not None else []
        lines = [f"{event.person} steps down as {name} on {self.ref}."]
        if others:
            lines.append(f"{', '.join(others)} still {'holds' if len(others) == 1 else 'hold'} it.")
        lines.append(f"The timeline records the release as yours ({self.store.user}).")
        warning = None
        if event.role_key == COMMANDER_KEY and not others:
            warning = f"The incident will have no {name} until someone takes the role (F4 hands it over)."

        def answered(release: bool | None) -> None:
            if release:
                self.send_change(f"Release {event.person} ({event.role_key})", ops.release_role,
                                 event.role_key, event.person)

        self.app.push_screen(ConfirmDialog(f"Release {name}?", lines, "Release", warning=warning), answered)

    def action_update_sent(self) -> None:
        from screens.pickers import UpdatePicker
        from storage import ops

        if self.store is None:
            return

        def chosen(result: tuple[str, str] | None) -> None:
            if result is not None:
                channel, kind = result
                self.send_change(f"Update sent: {channel} {kind}", ops.record_status_update, channel=channel, kind=kind)

        self.app.push_screen(UpdatePicker(), chosen)

    def action_incidents(self) -> None:
        self.post_message(ShowIncidentList())

    def _resolve(self, at: datetime) -> None:
        """Resolve through the resolution criteria; unmet ones need a confirmation."""
        from screens.checklist import ResolveAnyway
        from storage import checklists

        assert self.store is not None and self.ref is not None
        unmet = [c for c in checklists.resolution_criteria(self.store, self.ref) if not c.met]

        def resolve(force: bool) -> None:
            self.send_change("Resolve", checklists.resolve, force=force, at=at, refused_title="Not resolved")

        if not unmet:
            resolve(False)
        else:
            self.app.push_screen(ResolveAnyway(unmet), lambda anyway: resolve(True) if anyway else None)

    def action_postmortem(self) -> None:
        from screens.postmortem import PostmortemScreen

        if self.store is not None and self.ref is not None:
            self.app.push_screen(PostmortemScreen(self.store, self.ref))

    def action_checklist(self) -> None:
        from screens.checklist import ChecklistScreen

        if self.store is None or self.ref is None:
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.poll_now()

        self.app.push_screen(ChecklistScreen(self.store, self.ref), closed)

    def action_compose(self) -> None:
        from screens.composer import ComposerScreen

        if self.store is None or self.ref is None:
            return

        def closed(sent: bool | None) -> None:
            if sent:
                self.poll_now()

        self.app.push_screen(ComposerScreen(self.store, self.ref), closed)
