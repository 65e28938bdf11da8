"""The `warroom` command: opens the TUI, or reads and writes the record from a shell.

Every command goes through `storage.ops`, the same operations the screens use.
Failures print one line to stderr and exit non-zero. The commands live by subject in
`launch` (the group, `open`, `demo`), `writing`, `phase` (status, milestones, resolve,
sign-off), `facts` (`set`), `following` (`tail`), `insights`, `serving` (`view`, `serve`)
and `reading`; `common` holds what they share. Only running the app imports Textual.
"""

from __future__ import annotations

from tui.cli import facts, following, insights, phase, reading, serving, writing  # noqa: F401 - importing them adds their commands to `main`
from tui.cli.launch import main

__all__ = ["main"]
