"""The baselines of the on-screen benchmarks: the least a Textual or click program does.

    python bench/baseline_apps.py minimal          Header, a line of text, Footer
    python bench/baseline_apps.py log N            a Log widget holding N lines (scrolling)
    python bench/baseline_apps.py input DB         an Input; Enter commits the line to DB
                                                   (sqlite3, WAL, synchronous=FULL), then shows it
                                                   in a Log
    python bench/baseline_apps.py click            a click command that prints a line
"""

from __future__ import annotations

import sys

MINIMAL_TEXT = "minimal app ready"
LOG_LINE = "log line {}"


def minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(MINIMAL_TEXT)
            yield Footer()

    Minimal().run()


def log(count: int) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Log

    class Lines(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Log()
            yield Footer()

        def on_mount(self) -> None:
            widget = self.query_one(Log)
            widget.write_lines(LOG_LINE.format(number) for number in range(count))
            widget.focus()

    Lines().run()


def scribe(path: str) -> None:
    import sqlite3

    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Input, Log

    class Scribe(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Log()
            yield Input(placeholder="line")
            yield Footer()

        def on_mount(self) -> None:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS line (id INTEGER PRIMARY KEY, text TEXT)")
            self.query_one(Input).focus()

        def on_input_submitted(self, event: Input.Submitted) -> None:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO line (text) VALUES (?)", (event.value,))
            self.db.execute("COMMIT")
            event.input.value = ""
            self.query_one(Log).write_line(event.value)  # the cheapest list Textual has

    Scribe().run()


def click_app() -> None:
    import click

    @click.command()
    def main() -> None:
        click.echo("hello")

    main(args=[])


if __name__ == "__main__":
    name = sys.argv[1]
    if name == "minimal":
        minimal()
    elif name == "log":
        log(int(sys.argv[2]))
    elif name == "input":
        scribe(sys.argv[2])
    elif name == "click":
        click_app()
    else:
        raise SystemExit(f"unknown baseline {name!r}")
