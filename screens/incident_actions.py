"""The keys that change an incident from its screen: each opens a picker or a dialog, and
its answer becomes a write (`send_change`); dialogs never write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from screens.live_incident import LiveIncidentScreen
from screens.messages import ShowIncidentList
from widgets.reminders import ReminderPanel
from widgets.roster import RoleRoster
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView


class IncidentActionsScreen(LiveIncidentScreen):
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
        from storage import ops

        if self.store is None or self.view is None:
            return

        def chosen(result: tuple[str, datetime] | None) -> None:
            if result is None:
                return
            name, at = result
            if name == "resolved":
                self._resolve(at)
            else:
                self.send_change(f"Milestone {name}", ops.set_milestone, name, at=at)

        self.app.push_screen(MilestonePicker(self.store, self.view.milestones), chosen)

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
        from storage import ops

        if self.store is None:
            return
        if name == "resolved":
            self._resolve(self.store.now())
        else:
            self.send_change(f"Milestone {name}", ops.set_milestone, name)

    def on_timeline_view_entry_selected(self, event: TimelineView.EntrySelected) -> None:
        from screens.event import EventChange, EventDialog
        from storage import ops

        if self.store is None or self.ref is None:
            return

        def chosen(change: EventChange | None) -> None:
            if change is None:
                return
            if change.text is None:
                self.send_change(f"Strike event #{change.seq}", ops.strike_event, change.seq, stamped=False)
            else:
                self.send_change(f"Edit event #{change.seq}", ops.edit_event, change.seq, change.text, stamped=False)

        self.app.push_screen(EventDialog(self.store, self.ref, event.entry.seq), chosen)

    def on_role_roster_handover_requested(self, event: RoleRoster.HandoverRequested) -> None:
        self.action_handover(event.role_key)

    def on_role_roster_release_requested(self, event: RoleRoster.ReleaseRequested) -> None:
        from storage import ops

        self.send_change(f"Release {event.person} ({event.role_key})", ops.release_role, event.role_key, event.person)

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
