"""Child processes that file modes refuse, wherever the checkout lives.

Root reads and writes any file whatever its mode, so a test that needs a process a mode
refuses (a read-only database, an unreadable config file) runs it, as root, without the
capabilities that override modes. The child keeps uid 0, the owner of the checkout, its
venv and its interpreter, so it reaches them even in a private folder (`/root/warroom`,
mode 0700), where another user (uid 65534) could not. Run as any other user, the command
is left as it is: file modes bind that user already.
"""

from __future__ import annotations

import os

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
MODE_OVERRIDES = ("dac_override", "dac_read_search", "fowner")
"""The capabilities by which root passes over file modes and ownership."""


def bound_by_file_modes(command: list[str]) -> list[str]:
    """`command` run so that file modes apply to it: as root, through `setpriv` with the
    mode-overriding capabilities dropped from its bounding and inheritable sets."""
    if not IS_ROOT:
        return command
    dropped = ",".join(f"-{capability}" for capability in MODE_OVERRIDES)
    return ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}", *command]
