"""warroom's colour theme: severity and countdown colours come from its variables."""

from __future__ import annotations

from textual.theme import Theme

WARROOM_THEME = Theme(
    name="warroom",
    primary="#4C9BE8",
    secondary="#7AA2C8",
    accent="#F2A65A",
    warning="#E8B04C",
    error="#E5484D",
    success="#46A758",
    foreground="#E6E6E6",
    background="#15181C",
    surface="#1E2227",
    panel="#262B31",
    dark=True,
)
