"""The read-only app: one incident followed live (`screens.live_view`), for a second screen
(`warroom view`) or stakeholders in a browser (`warroom serve`).

Read-only holds at three levels: the record is opened read-only (`Store(read_only=True)`:
the store and the database itself refuse writes), the screen has no scribe line and no
key that changes anything, and the app runs only the actions of `VIEW_ACTIONS`, whoever
asks (a key, a click, a remapped key): the rest are refused with a message. There is no
command palette (its commands write).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.actions import ActionParseResult, parse
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from screens.live_view import VIEW_ACTIONS
from storage.errors import WarroomError
from tui.theme import WARROOM_THEME

if TYPE_CHECKING:
    from storage.db import Store

__all__ = ["REFUSED", "VIEW_ACTIONS", "ViewerApp"]

ORPHAN_CHECK_S = 2.0
"""How often the view checks that the process that started it is still there."""

REFUSED = "Read-only view: nothing can be changed from here. The incident's own team writes it in warroom."


class ViewerApp(App[None]):
    """Follow incident `ref` (else the most recently active open one) of the store `opener`
    opens, read-only."""

    TITLE = "warroom"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="view.quit", tooltip="Leave the view", priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, opener: Callable[[], Store], ref: str | None) -> None:
        super().__init__()
        self.opener = opener
        self.initial_ref = ref
        self.store: Store | None = None
        self.failure: str | None = None
        """Why the record could not be shown, when it could not."""
        self.refusals = 0
        """How many actions were refused (tests read it)."""
        self.parent_pid = os.getppid()
        """The process that started the view (`warroom serve`, a shell)."""

    def on_mount(self) -> None:
        from screens.live_view import LiveViewScreen

        if self.is_web:  # (in a terminal, closing it ends the view: no timer wakes the idle app)
            self.set_interval(ORPHAN_CHECK_S, self._leave_if_orphaned, name="orphan check")
        self.register_theme(WARROOM_THEME)
        self.theme = WARROOM_THEME.name
        self.push_screen(LiveViewScreen(None, self.initial_ref))
        self._open_record()

    def _leave_if_orphaned(self) -> None:
        """Leave once the process that started the view is gone: `warroom serve` killed (or
        crashed) never tells its views to quit, and nobody is watching them any more."""
        if os.getppid() != self.parent_pid:
            self.exit()

    @work(thread=True, exit_on_error=False, group="open")
    def _open_record(self) -> None:
        store: Store | None = None
        try:
            store = self.opener()
            from storage import ops

            ref = self.initial_ref or ops.most_recent_open(store)
            if ref is None:
                raise WarroomError("no incident is open: give the reference of the one to show")
            ops.get_incident(store, ref)
        except WarroomError as exc:
            if store is not None:
                store.close()
            self.call_from_thread(self.fail, str(exc))
            return
        self.call_from_thread(self._show, store, ref)

    def _show(self, store: Store, ref: str) -> None:
        from screens.live_view import LiveViewScreen

        self.store = store
        screen = self.screen
        if isinstance(screen, LiveViewScreen):
            screen.show_incident(store, ref)
            self.sub_title = ref

    def fail(self, message: str) -> None:
        """Leave with `message` for the command line to print (exit status 1)."""
        self.failure = message
        self.exit(return_code=1)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run `action` only if it is one of `VIEW_ACTIONS`; say why otherwise."""
        name = (parse(action) if isinstance(action, str) else action)[1]
        if name not in VIEW_ACTIONS:
            self.refusals += 1
            self.notify(REFUSED, title="Read-only", severity="warning", timeout=6, markup=False)
            return False
        return await super().run_action(action, default_namespace, namespaces)
