"""Every key of the screen underneath, the scribe-line grammar and who you are."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from widgets.text import printable

if TYPE_CHECKING:
    from storage.identity import Identity

GRAMMAR: tuple[tuple[str, str], ...] = (
    ("text", "a note"),
    ("!text", "a key event"),
    (
        "/action /decision /todo /query /comms /note",
        "the kind of event (/query: a command or query used to look at data)",
    ),
    ("@14:32 text", "happened at 14:32 today (yesterday's, to confirm, if 14:32 is still ahead)"),
    ("@-5m text", "happened 5 minutes ago (also -1h30m, -90s)"),
    ("@2026-11-23T14:32 text", "a full time, in your zone unless it has an offset"),
    ("/remind 10m text", "a reminder in 10 minutes (or 1h30m, or 14:32 today), under the countdowns; Ctrl+B asks"),
    ("\\text", "log the rest exactly as typed"),
    ("a URL in the text", "becomes the event's data link"),
    ("Up / Down", "recall earlier lines"),
    ("several lines pasted", "one event per line, in order, after one confirmation that shows them all"),
    ("a line that cannot be logged", "set aside with the reason, the input free at once: Ctrl+R takes it back to fix"),
    ("a time to confirm", "before the incident's start, hours back or ahead: set aside; Ctrl+Y logs it at that time"),
)

TIMES = (
    "Times are in the zone named at the bottom of the timeline's border (the policy's "
    "timezone); F7 switches every clock time on the screen, the timeline and the roles' "
    '"since", to UTC (shown with a Z) and back. When the events span more than one day, a '
    'line with the date heads each day. The countdowns show the time left ("in 23m", '
    '"overdue 1h 05m"; to the second within five minutes of the deadline: "in 04:59"), which '
    "no zone changes. An overdue update is reminded of again every few minutes until it is "
    "sent or snoozed (Ctrl+P). The IC's row says when to offer a handover, and when it is overdue."
)
"""What the command screen's times mean (shown under a screen that can switch to UTC)."""

ASKING_FIRST = (
    "Asking first: Delete on a role (releasing its holder; for the IC, the incident is left "
    "without one) and Ctrl+T on an event (striking it; on a struck event, restoring it) say "
    "what will change and wait: y confirms, n or Esc cancels, and Cancel has the focus. The "
    "change is recorded as yours, and a strike stays in the event's history after a restore. "
    "Striking a milestone's mark takes the milestone back (and a status it set). "
    "An edit saved after someone else changed the same event is refused with their text and "
    "yours: Enter opens the event again with yours."
)
"""The keys that ask before changing the record (shown under a screen that has them)."""
FILTERS = (
    "Filters: Ctrl+G shows key events, decisions, TODOs/actions, then all again; `a` on the "
    "timeline (or Ctrl+P) shows one author's events. Ctrl+F searches text and authors, any "
    "case; Enter goes to the matches, n / N step through them, Esc clears. The timeline's "
    "border says what is shown: `Timeline · key events · 8 of 27`. `k` on an event marks "
    "it a key event, or unmarks it."
)
"""What a screen with a filtered timeline offers (shown under one)."""

SOURCES = {
    "--as": "from --as",
    "WARROOM_USER": "from WARROOM_USER",
    "config": "from user in the config file",
    "asked": "as you answered at start",
    "login": "your login name, for this run only",
}
"""How `Identity.source` is explained."""

IDENTITY_HELP = (
    "Your name goes on everything you log, update, edit and sign off. It comes from "
    "`warroom --as NAME`, else the WARROOM_USER environment variable, else "
    'user = "..." in the config file (see `warroom config`). With none of them, '
    "the app asks at its first start and saves your answer in the config file; the "
    "command line uses your login name."
)


FROM_ELSEWHERE = (
    "From elsewhere: `warroom import-slack EXPORT REF --channel NAME` adds a Slack channel's "
    "history (the export's zip or folder) to the timeline, each message once, pinned ones "
    "as key events; `warroom import FILE` an incident exported as JSON. Out to others: "
    "`warroom view REF` follows it read-only in a terminal, `warroom serve REF` in web browsers "
    "(the link it prints carries a token); `warroom tail REF [--json]` prints each event as it is logged."
)
"""The commands that bring a record in from outside the app (shown under the command screen)."""

INSIGHTS = (
    "Insights (F10 on an incident, i on the incident list, or Ctrl+P): incidents per week by "
    "the worst severity reached, a response time week by week (median and p90; keys 1-4), time "
    "at each severity, open action items by owner and the post-mortems late, as `warroom "
    "insights` prints them. s: every incident, the last 365 days or the last 90."
)
"""What the insights screen shows (shown under it)."""


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened over, the app's keys and the grammar."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    #help-times, #help-asking-first, #help-filters, #help-from-elsewhere, #help-insights {
        margin-top: 1;
    }
    HelpScreen > VerticalScroll {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close", tooltip="Close the help"),
    ]

    def __init__(self, under: Screen[object], identity: Identity | None = None) -> None:
        super().__init__()
        self.under = under
        self.identity = identity
        """Who is at the keyboard, when the record is open."""
        self.key_rows: list[tuple[str, str]] = []
        """(key, what it does) as listed."""

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Help"
            yield Static(self._keys(), id="help-keys")
            if hasattr(self.under, "action_toggle_utc"):
                yield Static(Text(TIMES), id="help-times")
            if hasattr(self.under, "open_event"):
                yield Static(Text(ASKING_FIRST), id="help-asking-first")
            if hasattr(self.under, "action_cycle_filter"):
                yield Static(Text(FILTERS), id="help-filters")
            if hasattr(self.under, "open_event"):
                yield Static(Text(FROM_ELSEWHERE), id="help-from-elsewhere")
            if hasattr(self.under, "action_metric"):
                yield Static(Text(INSIGHTS), id="help-insights")
            yield Static(self._grammar(), id="help-grammar")
            yield Static(self._who(), id="help-identity")

    def _keys(self) -> Table:
        table = Table(title="Keys", title_justify="left", show_header=False, box=None, expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen: set[str] = set()
        keymap = self.app._keymap  # the user's [keys], as Textual's own binding chain reads it
        sources = [self.under, *self.under.query("*"), self.app]
        for source in sources:
            for binding in _own_bindings(type(source)):
                if not isinstance(binding, Binding):
                    continue
                if binding.id and binding.id in keymap:
                    binding = replace(binding, key=keymap[binding.id].split(",")[0].strip())
                if binding.key in seen:
                    continue
                seen.add(binding.key)
                description = binding.tooltip or binding.description or binding.action
                self.key_rows.append((self.app.get_key_display(binding), description))
        self.key_rows.append(("ctrl+p", "command palette: every action by name"))
        for key, description in self.key_rows:
            table.add_row(Text(key), Text(description))
        return table

    def _who(self) -> Text:
        text = Text(end="")
        text.append("\nWho you are\n", style="italic")
        if self.identity is not None:
            how = SOURCES.get(self.identity.source, self.identity.source)
            text.append("You are ")
            text.append(printable(self.identity.name), style="bold")
            text.append(f" ({how}). ")
        text.append(IDENTITY_HELP)
        return text

    def _grammar(self) -> Table:
        table = Table(title="\nThe scribe line", title_justify="left", show_header=False, box=None, expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for form, meaning in GRAMMAR:
            table.add_row(Text(form), Text(meaning))
        return table


def _own_bindings(cls: type) -> list[object]:
    """The bindings of `cls` and of the warroom classes it builds on (a screen's filter keys,
    the timeline's arrows), its own first; Textual's are listed where they are declared."""
    found: list[object] = []
    for klass in cls.__mro__:
        if klass is cls or klass.__module__.split(".")[0] in ("screens", "widgets", "tui"):
            found.extend(vars(klass).get("BINDINGS", []))
    return found
