"""The keys that change an incident from its screen: each opens a picker or a dialog, and
its answer becomes a write (`send_change`); dialogs never write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from screens.messages import ShowIncidentList
from screens.timeline_filters import FilteredIncidentScreen
from widgets.roster import RoleRoster
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView
from widgets.timeline_filtered import IncidentTimeline


class IncidentActionsScreen(FilteredIncidentScreen):
    """The live incident screen with the keys that change it (the command screen binds them)."""

    def send_change(self, description: str, apply: Callable[..., object], *args: object,
                    refused_title: str = "Not done", stamped: bool = True, **kwargs: object) -> None:
        """Change the incident with `apply(store, ref, *args, at=now, **kwargs)` (see CommandScreen)."""
        raise NotImplementedError

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
            if change.key is not None:
                self.mark_key(change.seq, change.key)
            elif change.text is None:
                self.send_change(f"Strike event #{change.seq}", ops.strike_event, change.seq, stamped=False)
            else:
                self.send_change(f"Edit event #{change.seq}", ops.edit_event, change.seq, change.text, stamped=False)

        self.app.push_screen(EventDialog(self.store, self.ref, event.entry.seq), chosen)

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
