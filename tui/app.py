"""The warroom Textual application."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input

from screens.messages import (
    CannotContinue,
    DeclarationRefused,
    OpenIncident,
    ShowIncidentList,
)
from storage.errors import WarroomError
from tui.commands import IncidentCommands
from tui.theme import WARROOM_THEME
from widgets.text import printable

if TYPE_CHECKING:
    from screens.command import CommandScreen
    from screens.declare import Declaration
    from screens.live_incident import FirstLook
    from storage import waiting
    from storage.db import Store
    from storage.policy import Policy


KEYS_HELD_AFTER = frozenset({"enter", "escape", "ctrl+s", "tab", "shift+tab"})
"""Keys on a dialog that may close it (confirm, cancel, save) or move its focus: the keys
typed after them wait until they have taken effect."""

DIALOG_CLOSE_WAIT_SECONDS = 0.3
"""How long keys typed after one of `KEYS_HELD_AFTER` wait for it to take effect."""

DECLARE_WAIT_SECONDS = 10.0
"""How long keys typed after the declare dialog's Ctrl+S wait for the new incident's screen
(the declaration is written first, a second or more on a fresh or busy database)."""


@dataclass
class _Holding:
    """Keys are held while `dialog` handles the key that may close it, until `until`."""

    dialog: Screen[object]
    until: float
    quiet_looks: int = 0
    releasing: bool = False
    opening: bool = False
    """The dialog asked for an incident to be declared: the keys wait for its screen."""


def _is_text_field(widget: Widget) -> bool:
    """Whether `widget` takes Enter as text: an Input, or a TextArea (looked up only once
    loaded: the first frame does not wait for its import)."""
    if isinstance(widget, Input):
        return True
    text_area = sys.modules.get("textual.widgets._text_area")
    return text_area is not None and isinstance(widget, text_area.TextArea)


def _nothing_queued(nodes: Iterable[DOMNode]) -> bool:
    """Whether none of `nodes` has a message waiting (Textual has no public way to ask)."""
    return all(node._message_queue.empty() for node in nodes)


def _lines(count: int) -> str:
    return f"{count} line{'s' if count != 1 else ''}"


class WarroomApp(App[None]):
    """Opens on an incident (the one asked for, else the most recently active open one)
    or, with none, on the incident list.

    Given an open `store`, it reads it at once. Given an `opener` instead (the `warroom`
    command does this), it paints the command screen first and opens the record in a
    worker: importing the database layer takes longer than drawing the screen. Given also
    a `first_look` (incident `ref`, or the most recently active open one, read without
    the database layer: `storage.lite.view`), the first frame shows it, and the record is
    opened once that frame is drawn (the import would hold the interpreter meanwhile).

    When nobody has said who is at the keyboard (no `--as`, WARROOM_USER or config `user`),
    the app asks once the record is open, before showing it: nothing is written under the
    login name meanwhile (a line entered while the record opens stays in the input).
    """

    TITLE = "warroom"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave warroom", priority=True),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key and the scribe grammar"),
    ]
    COMMANDS = App.COMMANDS | {IncidentCommands}

    def __init__(
        self,
        store: Store | None = None,
        *,
        opener: Callable[[], Store] | None = None,
        first_look: FirstLook | None = None,
        ref: str | None = None,
    ) -> None:
        super().__init__()
        self._held: list[events.Event] | None = None
        """Keys (and pastes) held until a dialog has handled the key that may close it."""
        self._holding: _Holding | None = None
        self._hold_timer: Timer | None = None
        if (store is None) == (opener is None):
            raise ValueError("give either an open store or an opener")
        self.store: Store | None = store
        self.opener = opener
        self.first_look = first_look
        self.initial_ref = ref
        self._keys_applied = False
        self.failure: str | None = None
        """Why the record could not be opened, when it could not."""
        self.settles_heap = False
        """Whether the incident screen freezes the garbage collector's view of what start-up
        made once it is shown (the `warroom` command's app does; see `LiveIncidentScreen`)."""

    async def on_event(self, event: events.Event) -> None:
        """Keys typed right after the key that closes a dialog go where the dialog returns,
        in order, and those typed after Tab go to the next field. Textual hands each key to
        the screen on top as it reads it, and runs a dialog's Enter (or Tab) binding only
        once the key has come back up to the app, behind the keys typed after it: those went
        to the closing dialog and were lost (or to the field Tab left). So after such a key
        (`KEYS_HELD_AFTER`) the keys and pastes that follow wait until the dialog has closed,
        or has handled everything, or `DIALOG_CLOSE_WAIT_SECONDS` have passed."""
        typed = isinstance(event, events.Key | events.Paste) and not event.is_forwarded
        if typed and self._held is not None:
            self._held.append(event)
            return
        if typed and isinstance(event, events.Key) and self._holds_after(event):
            self._hold_keys_while(self.screen)
        await super().on_event(event)

    def _holds_after(self, key: events.Key) -> bool:
        """Whether the keys after `key` wait for it to take effect: Enter, Escape, Ctrl+S or
        Tab on a dialog, and on another screen a key bound to the screen's own action (F2,
        Ctrl+B...: most open a dialog, which the keys after it are typed into), or Enter
        outside a text field (on an event, a role: it opens it)."""
        screen = self.screen
        if isinstance(screen, ModalScreen):
            return key.key in KEYS_HELD_AFTER
        if key.is_printable:
            return False
        if key.key == "enter":  # (in a text field it enters the text: the field keeps the order)
            return screen.focused is not None and not _is_text_field(screen.focused)
        return key.key in screen._bindings.key_to_bindings  # the screen's own, not the focus chain's

    async def action_quit(self) -> None:
        """Quit once the keys typed before Ctrl+Q have been handled (they may come in the
        same read: a line and its Enter, then Ctrl+Q), so that the line is entered, kept on
        disk and written, not cut short in the input; at most `DIALOG_CLOSE_WAIT_SECONDS`."""
        deadline = time.monotonic() + DIALOG_CLOSE_WAIT_SECONDS
        quiet_looks = 0
        while quiet_looks < 2 and time.monotonic() < deadline and self.screen_stack:
            await asyncio.sleep(0.005)
            quiet_looks = quiet_looks + 1 if _nothing_queued(self.screen.walk_children(with_self=True)) else 0
        self.exit()

    def _top_screen(self) -> Screen[object] | None:
        return self.screen_stack[-1] if self.screen_stack else None

    def _hold_keys_while(self, dialog: Screen[object]) -> None:
        self._held = []
        self._holding = _Holding(dialog, time.monotonic() + DIALOG_CLOSE_WAIT_SECONDS)
        if self._hold_timer is None:
            self._hold_timer = self.set_interval(0.005, self._look_at_holding, name="held keys")
        else:
            self._hold_timer.resume()

    def _look_at_holding(self) -> None:
        """Release the keys held once the screens involved and the app have had nothing left
        to handle at two looks in a row (a screen that took over having its focus set), or
        the wait is over."""
        holding = self._holding
        if holding is None or holding.releasing:
            return
        top = self._top_screen()
        screens = {holding.dialog, *([top] if top is not None else [])}  # a new screen must also have its focus
        nodes = [self, *(node for screen in screens for node in screen.walk_children(with_self=True))]
        quiet = _nothing_queued(nodes) and (top is holding.dialog or top is None or top.focused is not None)
        if holding.opening and any(worker.group == "declare" and not worker.is_finished for worker in self.workers):
            quiet = False  # the list is on top until the incident is written: not for these keys
        holding.quiet_looks = holding.quiet_looks + 1 if quiet else 0
        if holding.quiet_looks >= 2 or time.monotonic() >= holding.until:
            holding.releasing = True
            self.call_later(self._release_held_keys, holding)

    async def _release_held_keys(self, holding: _Holding | None = None) -> None:
        """Hand on the keys held (by `holding`, when given: not those of a later hold), in order."""
        if self._held is None or (holding is not None and holding is not self._holding):
            return
        held, self._held, self._holding = self._held, None, None
        if self._hold_timer is not None:
            self._hold_timer.pause()
        for event in held:
            await self.on_event(event)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS one whose input thread
        sleeps until there is input (`QuietLinuxDriver`)."""
        driver = super().get_driver_class()
        if driver is LinuxDriver:
            from tui.terminal_driver import QuietLinuxDriver

            return QuietLinuxDriver
        return driver

    def on_mount(self) -> None:
        self.register_theme(WARROOM_THEME)
        self.theme = WARROOM_THEME.name
        if self.store is not None:
            self._apply_keys(self.store.policy)
            from storage import ops

            ref = self.initial_ref or ops.most_recent_open(self.store)
            self._once_named(lambda: self._show_first(ref))
            self._write_waiting_lines(self.store, ref)
        elif self.first_look is not None:
            from screens.command import CommandScreen

            basis, first = self.first_look
            self._apply_keys(basis.policy)
            ref = self.initial_ref or first.view.ref
            self.push_screen(CommandScreen(None, ref, self.first_look))
            self.call_after_refresh(self._open_record, ref, known=True)
        else:
            from screens.command import CommandScreen

            self.push_screen(CommandScreen(None, self.initial_ref))
            self._open_record(self.initial_ref)

    def on_ready(self) -> None:
        """Draw the first look again once Textual is ready: it drops the frames drawn while it
        starts, then draws only what changed, so the header and countdowns shown at once
        would wait for the footer to lay the screen out."""
        if self.first_look is not None:
            for widget in self.screen.query("*"):
                widget.refresh()

    @work(thread=True, exit_on_error=False, group="open")
    def _open_record(self, ref: str | None, *, known: bool = False) -> None:
        """Open the store, and find the incident to show (`ref`, else the most recently
        active open one; `known`: already found), off the UI thread."""
        assert self.opener is not None
        store: Store | None = None
        try:
            store = self.opener()
            if not known:
                from storage import ops

                if ref is not None:
                    ops.get_incident(store, ref)
                else:
                    ref = ops.most_recent_open(store)
        except WarroomError as exc:
            if store is not None:
                store.close()
            self.call_from_thread(self.fail, str(exc))
            return
        self.call_from_thread(self._record_opened, store, ref)

    def _apply_keys(self, policy: Policy) -> None:
        """The config's `[keys]` over the default keys (`tui.keymap` checks them), once."""
        if self._keys_applied:
            return
        self._keys_applied = True
        if policy.keys:
            from tui.keymap import apply_user_keys

            apply_user_keys(self, policy.keys, str(policy.source or "the config"))

    def fail(self, message: str) -> None:
        """Leave with `message` for the command line to print (exit status 1)."""
        self.failure = message
        self.exit(return_code=1)

    def _record_opened(self, store: Store, ref: str | None) -> None:
        self.store = store
        self._apply_keys(store.policy)
        self._once_named(lambda: self._show_record(ref))

    def _show_record(self, ref: str | None) -> None:
        assert self.store is not None
        store = self.store
        screen = self._waiting_screen()
        if ref is not None and screen is not None:
            screen.attach_or_leave(store, ref)
        else:
            self._show_first(ref)
        self._write_waiting_lines(store, ref)

    def _waiting_screen(self) -> CommandScreen | None:
        """The command screen shown while the record opens, when it is on top; also under
        other screens (F1's help) when it shows the incident already."""
        from screens.command import CommandScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, CommandScreen) and screen.store is None:
                return screen if screen is self.screen or screen.first_look is not None else None
        return None

    @work(thread=True, exit_on_error=False, group="waiting")
    def _write_waiting_lines(self, store: Store, shown_ref: str | None) -> None:
        """Write the lines entered before warroom last stopped into incidents other than
        the one shown (that one's screen writes its own), and say what became of them."""
        from storage import waiting
        from storage.drafts import Drafts

        try:
            reports = waiting.write_waiting_lines(store, Drafts(store.url), skip=shown_ref)
        except WarroomError as exc:
            self.call_from_thread(
                self.notify, printable(f"Lines entered before warroom stopped could not be written: {exc}"),
                title="Lines waiting", severity="warning", timeout=15, markup=False,
            )
            return
        for report in reports:
            self.call_from_thread(self._announce_waiting, report)

    def _announce_waiting(self, report: waiting.WaitingLines) -> None:
        """One notification for what became of one incident's waiting lines."""
        parts: list[str] = []
        if report.written:
            parts.append(f"{_lines(report.written)} written")
        if report.moved_aside:
            parts.append(f"{_lines(len(report.moved_aside))} set aside to fix or confirm (open the incident: Ctrl+R)")
        if report.still_waiting and report.problem and "no such incident" in report.problem:
            parts.append(f"{_lines(report.still_waiting)} not written: {report.problem}")
        elif report.still_waiting:
            parts.append(f"{_lines(report.still_waiting)} still waiting ({report.problem}); "
                         "written at the next start or when the incident is opened")
        if not parts:
            return
        self.notify(
            printable(f"Entered in {report.ref} before warroom stopped: " + "; ".join(parts) + "."),
            title="Lines from the last run",
            severity="warning" if report.moved_aside or report.still_waiting else "information",
            timeout=20,
            markup=False,
        )

    def _once_named(self, then: Callable[[], None]) -> None:
        """Run `then` once the store knows who is at the keyboard: at once when a name is
        set, else after asking for one (`NameDialog`)."""
        from screens.identity import NameDialog
        from storage.policy import user_config_file

        assert self.store is not None
        store = self.store
        if store.identity.chosen:
            then()
            return
        target = store.policy.source or user_config_file()

        def answered(name: str | None) -> None:
            from storage.identity import ASKED, Identity

            if name is None:
                self.notify(
                    printable(
                        f"You are {store.user} for this run only; warroom asks again next time. "
                        '--as NAME, WARROOM_USER or user = "..." in the config file set a name.'
                    ),
                    title="Name not saved",
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
            else:
                store.identity = Identity(name, ASKED)
                self._save_name(name, target)
            then()

        self.push_screen(NameDialog(store.user, str(target)), answered)

    @work(thread=True, exit_on_error=False, group="identity")
    def _save_name(self, name: str, target: Path) -> None:
        """Keep the name given as `user` in the config file, off the UI thread."""
        from storage.identity import save_user

        try:
            save_user(target, name)
        except WarroomError as exc:
            self.call_from_thread(
                self._name_saved, f"You are {name} for this run, but the name was not saved: {exc}", False
            )
            return
        self.call_from_thread(self._name_saved, f"You are {name}: saved as user in {target}.", True)

    def _name_saved(self, message: str, saved: bool) -> None:
        if saved:
            self.notify(printable(message), title="Name saved", markup=False)
        else:
            self.notify(printable(message), title="Name not saved", severity="warning", timeout=15, markup=False)

    def _show_first(self, ref: str | None) -> None:
        from screens.incident_list import IncidentListScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        if ref is None:
            assert self.store is not None
            self.push_screen(IncidentListScreen(self.store))
        else:
            self.open_incident(ref)

    def open_incident(self, ref: str) -> None:
        """Show the command screen of one incident."""
        from screens.command import CommandScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(CommandScreen(self.store, ref))

    def on_open_incident(self, message: OpenIncident) -> None:
        """A screen asks for an incident's command screen."""
        self.open_incident(message.ref)

    def on_show_incident_list(self, message: ShowIncidentList) -> None:
        self.action_incidents()

    def on_cannot_continue(self, message: CannotContinue) -> None:
        """A screen cannot go on (the record cannot be read): leave with the reason."""
        self.fail(message.reason)

    def action_incidents(self) -> None:
        """The incident list, over the current incident."""
        from screens.incident_list import IncidentListScreen

        if self.store is not None and not isinstance(self.screen, IncidentListScreen):
            self.push_screen(IncidentListScreen(self.store))

    def action_insights(self) -> None:
        """Figures across incidents, plotted (`InsightsScreen`), over the current screen."""
        from screens.insights import InsightsScreen

        if self.store is not None and not isinstance(self.screen, InsightsScreen):
            self.push_screen(InsightsScreen(self.store))

    def action_declare(self, declaration: Declaration | None = None, refusal: str | None = None) -> None:
        """Declare a new incident and open it (the dialog asks; the app writes)."""
        from screens.declare import DeclareDialog

        if self.store is None:
            return

        def declared(declaration: Declaration | None) -> None:
            if declaration is not None:
                if self._holding is not None and not self._holding.releasing:
                    self._holding.opening = True
                    self._holding.until = time.monotonic() + DECLARE_WAIT_SECONDS
                self._declare(declaration)

        self.push_screen(DeclareDialog(self.store, declaration, refusal), declared)

    @work(thread=True, exit_on_error=False, group="declare")
    def _declare(self, declaration: Declaration) -> None:
        """Write the declaration off the UI thread; ask to open the incident, or to ask again."""
        from storage import ops

        assert self.store is not None
        try:
            incident = ops.declare(self.store, **declaration.fields())
        except WarroomError as exc:
            self.post_message(DeclarationRefused(declaration, str(exc)))
            return
        self.post_message(OpenIncident(incident.ref))

    def on_declaration_refused(self, message: DeclarationRefused) -> None:
        """Open the dialog again, filled in, saying why the record refused it."""
        self.action_declare(message.declaration, message.reason)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen, self.store.identity if self.store is not None else None))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action of the current screen in the command palette, plus the app's own."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Declare an incident", "Open the declare dialog", self.action_declare)
        yield SystemCommand("Incident list", "All incidents, with filters", self.action_incidents)
        yield SystemCommand("Insights", "Incidents per week, response times, action items", self.action_insights)
        yield SystemCommand("Help: keys and scribe grammar", "Every key of this screen", self.action_help)
        in_use = {active.binding.id: active.binding for active in screen.active_bindings.values() if active.binding.id}
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.tooltip and binding.show:
                action = getattr(screen, f"action_{binding.action}", None)
                if action is not None:
                    key = self.get_key_display(in_use.get(binding.id or "", binding))  # as remapped by [keys]
                    yield SystemCommand(binding.tooltip, f"{binding.description} ({key})", action)
