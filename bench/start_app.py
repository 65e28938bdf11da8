"""Start an app headless, stop at its first interactive frame, print timings as JSON.

    python bench/start_app.py minimal
    python bench/start_app.py warroom DB_PATH [EXPECTED_EVENTS]

`cold_s` counts from interpreter start (as the shell sees it, minus process spawn) to
the first frame after the screen that matters has mounted; `rss_mb` is the peak
resident memory at that point. Both apps are measured the same way.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import TYPE_CHECKING, Any

T0 = time.perf_counter()

if TYPE_CHECKING:
    from textual.app import App

    from storage.db import Store


IDLE_SECONDS = float(__import__("os").environ.get("BENCH_IDLE_SECONDS", "0"))
"""When set, stay idle this long after the measured frame and report the CPU it used."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _finish(app: App[Any], app_name: str, extra: dict[str, float] | None = None) -> None:
    """Report (after an idle stretch when asked) and leave."""
    if not IDLE_SECONDS:
        _report(app_name, extra)
        app.exit()
        return
    start = _cpu()

    def done() -> None:
        _report(app_name, {**(extra or {}), "idle_cpu_pct": 100 * (_cpu() - start) / IDLE_SECONDS})
        app.exit()

    app.set_timer(IDLE_SECONDS, done)


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's `ru_maxrss` survives `exec`, so a child
    of a large bench process would report the parent's size: read `VmHWM`, which does not."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(app_name: str, extra: dict[str, float] | None = None) -> None:
    result = {
        "app": app_name,
        "cold_s": time.perf_counter() - T0,
        "rss_mb": _peak_rss_mb(),
        **(extra or {}),
    }
    print(json.dumps(result))


def run_minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(self._done)

        def _done(self) -> None:
            _finish(self, "minimal")

    Minimal().run(headless=True, size=(120, 40))


def run_warroom(db: str, expected: int) -> None:
    """Open the app as `warroom` does (the record opened in a worker after the first paint).

    Marks: `first_frame_s`, the command screen painted and taking keys; `data_frame_s`,
    the incident's header, roles, countdowns and newest events painted; with `expected`
    > 0, `full_timeline_s`, when that many events are in the timeline.
    """
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    import screens.watcher
    from screens.command import CommandScreen
    from tui.app import WarroomApp
    from widgets.timeline import TimelineView

    if __import__("os").environ.get("BENCH_NO_POLL"):
        screens.watcher.POLL_SECONDS = 3600.0  # the same screen, without live refresh

    def opener() -> Store:
        from storage.db import Store
        from storage.policy import load_policy

        return Store(db, policy=load_policy())

    app = WarroomApp(opener=opener)
    marks: dict[str, float] = {}
    original_mount, original_attach = CommandScreen.on_mount, CommandScreen.attach

    def mark(name: str) -> None:
        marks.setdefault(name, time.perf_counter() - T0)

    # Stand-ins for the screen's methods, so their first argument is `self`.
    def on_mount(self: CommandScreen) -> None:
        mark("mount_s")
        original_mount(self)
        self.call_after_refresh(mark, "first_frame_s")

    def attach(self: CommandScreen, store: Store, ref: str) -> None:
        mark("attach_s")
        original_attach(self, store, ref)
        self.call_after_refresh(data_frame, self)

    def data_frame(screen: CommandScreen) -> None:
        mark("data_frame_s")

        def check() -> None:
            if expected and screen.query_one("#timeline", TimelineView).entry_count < expected:
                screen.set_timer(0.005, check)
                return
            if expected:
                mark("full_timeline_s")
            _finish(app, "warroom", marks)

        check()

    CommandScreen.on_mount = on_mount  # type: ignore[method-assign]
    CommandScreen.attach = attach  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 40))


if __name__ == "__main__":
    if sys.argv[1] == "minimal":
        run_minimal()
    else:
        run_warroom(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
