"""A `Footer` that redraws once for a burst of binding changes, and only when what it shows
changed; on a narrow terminal it leaves out the keys its screen can spare first."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual exports no public name for it

ShownKey = tuple[str, str, str, str, bool, str]
"""A key the footer shows: key, how it is displayed, description, action, enabled, tooltip."""
Shown = tuple[ShownKey, ...]


class KeysFooter(Footer):
    """Textual's footer, recomposing at most once per refresh and only when the keys it shows
    differ: starting a screen changes its bindings several times in a row (mount, focus,
    keymap, held lines), focus moves between widgets with the same keys, and each change
    otherwise rebuilds every key of the footer."""

    _recompose_pending = False
    _shown: Shown | None = None

    PALETTE_WIDTH = 14
    """Columns the command palette's key takes at the right."""

    def __init__(self, *, spare_first: tuple[str, ...] = ()) -> None:
        """`spare_first`: actions whose keys are left out, in this order, while the keys do
        not fit the width (they stay in F1's help and the command palette)."""
        super().__init__()
        self.spare_first = spare_first
        self._width = 0

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self._shown = None
            self.bindings_changed(self.screen)

    def _fitting(self, keys: list[ShownKey]) -> list[ShownKey]:
        """`keys` without those spared first, as many as needed to fit the width."""
        width = self._width or self.app.size.width
        palette = self.app.COMMAND_PALETTE_BINDING

        def needed(shown: list[ShownKey]) -> int:  # a key: " f8 Compose " and a space
            return sum(cell_len(display) + cell_len(text) + 3 for key, display, text, *_ in shown if key != palette)

        budget = width - self.PALETTE_WIDTH
        for action in self.spare_first:
            if needed(keys) <= budget:
                break
            keys = [shown for shown in keys if shown[3] != action]
        return keys

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        palette = self.app.COMMAND_PALETTE_BINDING
        actions: set[str] = set()
        for key, display, description, action, enabled, tooltip in self._fitting(list(self._keys_shown())):
            if key == palette or action in actions:  # one key per action, as Textual's footer shows
                continue
            actions.add(action)
            yield FooterKey(
                key, display, description, action, disabled=not enabled, tooltip=tooltip or description
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            bound = self.screen.active_bindings.get(palette)
            if bound is not None:
                _, binding, enabled, tooltip = bound
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._recompose_pending:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_now)

    def _keys_shown(self) -> Shown:
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )

    async def _recompose_now(self) -> None:
        self._recompose_pending = False
        if not self.is_attached:
            return
        shown = tuple(self._fitting(list(self._keys_shown())))
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
