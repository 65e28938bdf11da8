"""Run every benchmark of warroom and print its figures against their targets.

    make bench            (or: .venv/bin/python -m bench.run [--quick] [--only SECTION])

What a person sees: each app runs in a pseudo-terminal of its own (140x42, xterm-256color)
and is timed until the text is on screen (bench/screen.py), each command from spawn to exit.
Every figure has a baseline measured in alternation with it in the same run (a minimal
Textual or click app, or stdlib sqlite3 and json doing the least the job needs) and a
target, most often a ratio to that baseline. Medians of 7 runs (3 with --quick). Databases
are built once under bench/.data/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from bench.common import DATA, NOTES, ROOT, Figure

SECTIONS = ("launch", "enter", "scroll", "filter", "idle", "cli", "io", "refresh", "insights")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", choices=SECTIONS, help="run one section")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("WARROOM_CONFIG", str(ROOT / "bench" / "config.toml"))
    os.environ.setdefault("WARROOM_DRAFTS", str(DATA / "drafts"))
    from bench import cli_timing, filter_view, insights_view, visible

    quick = args.quick
    runs = 3 if quick else 7
    sections: dict[str, Callable[[], list[Figure]]] = {
        "launch": lambda: visible.launch(runs),
        "enter": lambda: visible.enter(20 if quick else 40),
        "scroll": lambda: visible.scroll(35 if quick else 70),
        "filter": lambda: filter_view.filtered(4 if quick else 10),
        "idle": lambda: visible.idle(20 if quick else 60),
        "cli": lambda: cli_timing.commands(runs),
        "io": lambda: cli_timing.import_export(1 if quick else 3),
        "refresh": lambda: visible.refresh(8 if quick else 20),
        "insights": lambda: insights_view.opened(3 if quick else 7),
    }
    figures: list[Figure] = []
    started = time.perf_counter()
    for name, section in sections.items():
        if args.only in (None, name):
            section_start = time.perf_counter()
            figures += section()
            print(f"{name}: {time.perf_counter() - section_start:.0f} s", file=sys.stderr, flush=True)
    print(f"\nwarroom benchmarks: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
          f" {time.perf_counter() - started:.0f} s\n")
    print("| figure | measured | baseline (same run) | ratio | target | |")
    print("| --- | --- | --- | --- | --- | --- |")
    for figure in figures:
        print(figure.row())
    missed = [f.name for f in figures if not f.ok]
    print(f"\n{len(figures) - len(missed)} met, {len(missed)} missed")
    for note in NOTES:
        print(f"note: {note}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
