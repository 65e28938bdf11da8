"""The keys that change an incident from its screen: each opens a picker or a dialog, and
its answer becomes a write (`send_change`); dialogs never write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from screens.live_incident import LiveIncidentScreen
from screens.messages import ChangeWritten, ShowIncidentList
from widgets.roster import RoleRoster
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView

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
    store: Store, ref: str, typed: Facts, changes: dict[str, str | bool], *, at: datetime
) -> Incident | FactsRefused:
    """`ops.set_facts` on the writer's thread; a refusal comes back as `FactsRefused` (so
    the dialog opens again with what was typed) instead of a notice. A busy database
    still raises: the writer tries again."""
    from storage import ops
    from storage.errors import InvalidInput

    try:
        return ops.set_facts(store, ref, at=at, **changes)  # type: ignore[arg-type]
    except InvalidInput as exc:
        return FactsRefused(typed, str(exc))


class IncidentActionsScreen(LiveIncidentScreen):
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
            self.send_change(f"Facts: {names}", set_facts_or_refusal, edit.typed, edit.changes)

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
