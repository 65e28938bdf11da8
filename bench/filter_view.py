"""Filtered views and search of a 100k-event timeline, timed on screen against the unfiltered view.

The app runs in a pty on the 100k-event incident. Each round: Ctrl+G to key events (until
the title's count is on screen), Ctrl+G twice more (TODOs/actions), Ctrl+G back to every
event (until the events around the cursor's TODO are on screen: the baseline, the unfiltered
view read and shown by the same path), then Ctrl+F and a search with Enter (until its count shows).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import ROOT, Figure, bench_env, database, event_text
from bench.screen import Terminal, showing
from bench.visible import END, _on_screen, _to_oldest, _warroom

CTRL_G, CTRL_F, ESCAPE = b"\x07", b"\x06", b"\x1b"
SEARCHES = ("node 3", "wächter")
"""A search many events match (ASCII: LIKE alone), and one with a letter LIKE cannot fold."""


def _title(path: Path, ref: str, **shown: str) -> str:
    """The border title of the filtered view (its count read from the record)."""
    from storage.lite.index import open_index
    from storage.timeline_filter import TimelineFilter

    wanted = TimelineFilter(**shown)
    index, _ = open_index(str(path), ref, ZoneInfo("Europe/Berlin"), wanted)
    return " · ".join(["Timeline", *wanted.describe(), f"{len(index.ids):,} of {index.max_seq:,}"])


_AROUND_NEWEST_TODO = (
    "SELECT e.text, e.kind FROM event e JOIN incident i ON i.id = e.incident_id WHERE i.ref = ?"
    " ORDER BY e.occurred_at, e.seq"
)


def _around_newest_todo(path: Path, ref: str) -> list[str]:
    """Texts of the events next to the newest TODO or action that are neither: on screen
    once every event is shown again around it (the cursor stays on its event)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(_AROUND_NEWEST_TODO, (ref,)).fetchall()
    finally:
        connection.close()
    last = max(n for n, (_, kind) in enumerate(rows) if kind in ("todo", "action"))
    return [text.split(" https://")[0][:30] for text, kind in rows[max(0, last - 3) : last + 4]
            if kind not in ("todo", "action")]


def _timed(term: Terminal, key: bytes, *texts: str, timeout: float = 60) -> float:
    """Seconds from `key` to one of `texts` on screen."""
    seen, done = term.watch(lambda lines: any(showing(text)(lines) for text in texts))
    start = term.write(key)
    if not done.wait(timeout):
        raise TimeoutError(f"none of {texts!r} came on screen:\n{term.screen.text()}")
    return seen[0] - start


def _first_filter(term: Terminal, title: str, timeout: float = 120) -> None:
    """Ctrl+G until the key events are shown: until the record is open, a filter is refused."""
    deadline = time.perf_counter() + timeout
    while True:
        _, asked = term.watch(showing("Timeline · key events"))  # at once when taken
        term.write(CTRL_G)
        if asked.wait(2):
            term.wait_for(title, timeout=60)
            return
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no filter shown:\n{term.screen.text()}")


def filtered(rounds: int) -> list[Figure]:
    path, ref = database(100_000)
    around = _around_newest_todo(path, ref)
    key_title, todo_title = _title(path, ref, show="key"), _title(path, ref, show="todos")
    search_titles = [_title(path, ref, search=search) for search in SEARCHES]
    times: dict[str, list[float]] = {"key": [], "all": [], **{search: [] for search in SEARCHES}}
    with Terminal(_warroom(path, ref), cwd=ROOT, env=bench_env()) as term:
        term.wait_for(*_on_screen(path, ref), timeout=300)
        _to_oldest(term, event_text(path, ref, oldest=True), timeout=60)  # the whole index read
        term.write(END)
        term.settle()
        _first_filter(term, key_title)  # once the record is open (the first screen comes before)
        for _ in range(3):
            term.write(CTRL_G)  # decisions, TODOs/actions, every event
            time.sleep(0.1)
        term.settle()
        for number in range(rounds):
            times["key"].append(_timed(term, CTRL_G, key_title))
            term.settle()
            term.write(CTRL_G)
            _timed(term, CTRL_G, todo_title)
            term.settle()  # the title is drawn before the lines under it
            times["all"].append(_timed(term, CTRL_G, *around))
            search = SEARCHES[number % len(SEARCHES)]
            term.write(CTRL_F)
            time.sleep(0.1)
            times[search].append(_timed(term, search.encode() + b"\r", search_titles[number % len(SEARCHES)]))
            term.write(CTRL_F)
            time.sleep(0.1)
            term.write(ESCAPE)  # clears the search: every event again
            term.settle()
            term.write(END)
            term.settle()
    ms, base = 1000, statistics.median(times["all"]) * 1000
    figures = [Figure(f"key events shown, 100k events (median of {len(times['key'])})",
                      statistics.median(times["key"]) * ms, "ms", base, "every event shown again", 1.5)]
    figures += [Figure(f"search {search!r} shown, 100k events (median of {len(times[search])})",
                       statistics.median(times[search]) * ms, "ms", base, "every event shown again", 1.5)
                for search in SEARCHES if times[search]]
    return figures
