"""A `Footer` that redraws once for a burst of binding changes, and only when what it shows changed."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, str, bool, str], ...]
"""Each key the footer shows: key, how it is displayed, description, action, enabled, tooltip."""


class KeysFooter(Footer):
    """Textual's footer, recomposing at most once per refresh and only when the keys it shows
    differ: starting a screen changes its bindings several times in a row (mount, focus,
    keymap, held lines), focus moves between widgets with the same keys, and each change
    otherwise rebuilds every key of the footer."""

    _recompose_pending = False
    _shown: Shown | None = None

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
        shown = self._keys_shown()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
