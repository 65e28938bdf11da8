"""The post-mortem editor: every template section, autosaved, pre-filled from the record.

Works offline on the local database. Each section is a Markdown TextArea; what is typed
is saved half a second after the last key (and on leaving a section or the screen); until
it is written it is kept in a draft file, so text typed just before a crash is restored at
the next open. The editor's border says whether what is shown is saved. Every change is made
by the screen's record writer (`screens.postmortem_writes`), off the UI thread and in order;
what shows a saved state (the preview, the export, a fill from the record) is read after it
there (`screens.postmortem_jobs`).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Input,
    Label,
    Markdown,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from screens import postmortem_jobs as jobs
from screens.postmortem_actions import ActionItemsScreen
from storage import postmortem
from storage.db import Store
from storage.drafts import Drafts
from storage.errors import WarroomError
from storage.models import (
    POSTMORTEM_SECTIONS,
    POSTMORTEM_STATUSES,
    PRIORITIES,
)
from widgets.footer import KeysFooter
from widgets.literal_input import LiteralInput
from widgets.literal_markdown import LiteralMarkdown
from widgets.literal_text_area import LiteralTextArea
from widgets.text import printable

AUTOSAVE_SECONDS = 0.5
"""Quiet time after the last key before a section is saved."""

DETAILS, ACTIONS = "details", "actions"
NUMBERS = jobs.NUMBERS


class PostmortemScreen(ActionItemsScreen):
    """Write the post-mortem of one incident."""

    DEFAULT_CSS = """
    PostmortemScreen #pm-title { height: auto; padding: 0 1; background: $panel; }
    PostmortemScreen #pm-waiting { height: auto; padding: 0 1; color: $warning; display: none; }
    PostmortemScreen #pm-sections { width: 30; border: round $primary 50%; }
    PostmortemScreen #pm-sections:focus { border: round $primary; }
    PostmortemScreen #pm-text { height: 1fr; }
    PostmortemScreen #pm-preview { height: 1fr; border: round $primary 50%; padding: 0 1; display: none; }
    PostmortemScreen.-preview #pm-preview { display: block; }
    PostmortemScreen.-preview #pm-text { display: none; }
    PostmortemScreen #pm-hint { color: $warning; height: auto; padding: 0 1; }
    PostmortemScreen #details Input, PostmortemScreen #details Select { width: 60; }
    PostmortemScreen #details Label { padding: 1 0 0 1; color: $text-muted; }
    PostmortemScreen #pm-deadline { padding: 0 1; height: auto; }
    PostmortemScreen #actions DataTable { height: 1fr; }
    PostmortemScreen #new-action { height: auto; }
    PostmortemScreen #new-action Input { width: 1fr; }
    PostmortemScreen #new-action Select { width: 14; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "preview", "Preview", id="pm.preview", tooltip="Show the whole post-mortem rendered"),
        Binding("f3", "prefill", "Fill from record", id="pm.prefill", tooltip="Fill empty sections from the record"),
        Binding(
            "f4",
            "export",
            "Export",
            id="pm.export",
            tooltip="Write Markdown, the meeting .ics and the action items CSV",
        ),
        Binding(
            "f5",
            "rebuild",
            "Rebuild from record",
            id="pm.rebuild",
            tooltip="Write Impact, Responders and Timeline again from the record",
        ),
        Binding("escape", "close", "Back", id="pm.close", tooltip="Back (everything is saved)"),
    ]

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__(store, ref)
        self.section = POSTMORTEM_SECTIONS[0][0]
        self._saved: dict[str, str] = {}
        """Each section's text as last read or written."""
        self._queued: dict[str, str] = {}
        """A section's text on its way to the record (queued, not yet written)."""
        self._timer: Timer | None = None
        self._loading = False
        self._status = "draft"
        self._typed: str | None = None
        """The section's text as last typed (kept here, so saving needs no widget)."""
        self.drafts = Drafts(store.url)

    def compose(self) -> ComposeResult:
        yield Static(id="pm-title")
        yield Static(id="pm-waiting")
        with Horizontal():
            sections = OptionList(
                *(Option(title, id=key) for key, title in POSTMORTEM_SECTIONS),
                None,
                Option("Owner, status, meeting, numbers", id=DETAILS),
                Option("Action items", id=ACTIONS),
                id="pm-sections",
            )
            sections.border_title = "Post-mortem"
            yield sections
            with ContentSwitcher(initial="editor", id="pm-pane"):
                with Vertical(id="editor"):
                    yield LiteralTextArea.code_editor(
                        "",
                        language="markdown",
                        id="pm-text",
                        soft_wrap=True,
                        show_line_numbers=False,
                        tab_behavior="focus",
                    )
                    yield LiteralMarkdown(id="pm-preview")
                    yield Static(id="pm-hint")
                with VerticalScroll(id=DETAILS):
                    yield Label("Owner")
                    yield LiteralInput(id="owner", placeholder="who drives the post-mortem")
                    yield Label("Status")
                    yield Select(
                        [(s.replace("_", " ").title(), s) for s in POSTMORTEM_STATUSES], allow_blank=False, id="status"
                    )
                    yield Label("Meeting (local time, e.g. 2026-11-25T10:00)")
                    yield LiteralInput(id="meeting", placeholder="not scheduled")
                    yield Static(id="pm-deadline")
                    yield Label("Call recording link")
                    yield LiteralInput(id="recording")
                    for key in NUMBERS:
                        yield Label(key.replace("_", " ").capitalize().replace("sla", "SLA"))
                        yield LiteralInput(id=key, type="integer", placeholder="unknown")
                    yield Label("Support requests raised (with links)")
                    yield LiteralInput(id="support_requests")
                with Vertical(id=ACTIONS):
                    yield DataTable(id="action-table", cursor_type="row")
                    with Horizontal(id="new-action"):
                        yield LiteralInput(id="action-title", placeholder="new action item, Enter adds it")
                        yield LiteralInput(id="action-owner", placeholder="owner")
                        yield Select([(p, p) for p in PRIORITIES], value="P1", allow_blank=False, id="action-priority")
                    yield Static(id="action-warnings")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.writer.start(outliving_target=True)  # a change made as the editor closes is still written
        self._load_details()
        self._show_section(self.section)
        table = self.query_one("#action-table", DataTable)
        table.add_columns("Priority", "Item", "Owner", "Due", "State", "Tags")
        self._load_actions()
        self.query_one("#pm-text", TextArea).focus()

    # --- sections -------------------------------------------------------------------

    def _draft_key(self, key: str) -> str:
        return f"{self.ref}\npostmortem:{key}"

    def _show_section(self, key: str) -> None:
        self.section = key
        text = postmortem.read_postmortem(self.store, self.ref).sections.get(key, "")
        self._saved[key] = text
        area = self.query_one("#pm-text", TextArea)
        title = dict(POSTMORTEM_SECTIONS)[key]
        queued = self._queued.get(key)  # left a moment ago: its draft is what is being written
        draft = queued if queued is not None else self.drafts.load(self._draft_key(key))
        self._loading = True
        area.text = draft if draft is not None else text
        self._loading = False
        self._typed = None
        area.border_title = title
        self._show_state()
        self._hints()
        if queued is None and draft is not None and draft != text:  # typed, then stopped before it was saved
            self._typed = draft
            self.notify(
                f"What you typed in {title} before warroom stopped was not saved: it is back.",
                title="Draft restored",
                timeout=10,
                markup=False,
            )
            self.save()
        elif queued is None and draft is not None:
            self.drafts.clear(self._draft_key(key))

    _stale: tuple[str, ...] = ()
    """Sections drafted from the record before it changed, not edited since (F3 redrafts)."""

    def _hints(self) -> None:
        hints: list[str] = []
        if self.section in self._stale:
            hints.append("⚠ Drafted from the record before it changed, not edited since: F3 drafts it again.")
        if self.section == "root_causes":
            names = postmortem.blameless_hints(self.store, self.ref)
            if names:
                hints.append(
                    f"Blameless: this section names {', '.join(names)}; describe systems and processes instead."
                )
        self.query_one("#pm-hint", Static).update(Text("\n".join(printable(hint) for hint in hints)))

    def _last(self, key: str) -> str | None:
        """Section `key`'s text as the record will hold it once what is queued is written."""
        return self._queued.get(key, self._saved.get(key))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self._loading:
            return
        self._typed = event.text_area.text
        if self._typed == self._last(self.section):  # e.g. the text just loaded or restored
            return
        self.drafts.save(self._draft_key(self.section), self._typed)
        event.text_area.border_subtitle = "editing…"
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(AUTOSAVE_SECONDS, self.save)

    def save(self) -> None:
        """Queue the section being edited to be saved, if it changed (its draft is kept
        until it is written)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        key = self.section
        try:  # the widget holds the latest text; once unmounted, the last one seen
            text: str | None = self.query_one("#pm-text", TextArea).text
        except NoMatches:
            text = self._typed
        if text is None or self._last(key) == text:
            self._show_state()
            return
        self._queued[key] = text
        self._show_state()
        self.write(
            f"Post-mortem {dict(POSTMORTEM_SECTIONS)[key]}",
            partial(jobs.save_section, self.store, self.ref, key, text, self.drafts, self._draft_key(key)),
            lambda _: self._section_written(key, text, saved=True),
            lambda exc: self._section_written(key, text, saved=False, error=exc),
        )

    def _section_written(self, key: str, text: str, *, saved: bool, error: WarroomError | None = None) -> None:
        if self._queued.get(key) == text:
            del self._queued[key]
        if saved:
            self._saved[key] = text
            if key == self.section == "root_causes":
                self._hints()
        else:
            self.notify(
                f"Not saved (the text is kept as a draft): {error}",
                title=dict(POSTMORTEM_SECTIONS)[key],
                severity="error",
                markup=False,
            )
        self._show_state("" if saved else "not saved: kept as a draft")

    def _show_state(self, refused: str = "") -> None:
        """Say on the editor's border whether what it shows is saved."""
        try:
            area = self.query_one("#pm-text", TextArea)
        except NoMatches:  # saving on the way out
            return
        if area.text == self._saved.get(self.section) and self.section not in self._queued:
            area.border_subtitle = "saved"
        elif self.section in self._queued:
            area.border_subtitle = "saving…"
        elif refused:
            area.border_subtitle = refused

    def _shown(self) -> tuple[str, str]:
        """The section shown and its text."""
        return self.section, self.query_one("#pm-text", TextArea).text

    def _reload_section(self, sections: dict[str, str], shown: tuple[str, str]) -> None:
        """Show the section as `sections` (just read) has it, unless another one is shown or
        it was typed over since `shown`."""
        if self._shown() != shown or self.section in self._queued:
            return
        area = self.query_one("#pm-text", TextArea)
        text = sections.get(self.section, "")
        self._saved[self.section] = text
        self._loading = True
        area.text = text
        self._loading = False
        self._show_state()
        self._hints()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id
        if key is None:
            return
        self.save()
        switcher = self.query_one(ContentSwitcher)
        if key in (DETAILS, ACTIONS):
            switcher.current = key
            if key == DETAILS:
                self._load_details()
            else:
                self._load_actions()
        else:
            switcher.current = "editor"
            self._show_section(key)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        target = {DETAILS: "#owner", ACTIONS: "#action-title"}.get(event.option.id or "", "#pm-text")
        self.query_one(target).focus()

    # --- details --------------------------------------------------------------------

    def _load_details(self) -> None:
        pm = postmortem.read_postmortem(self.store, self.ref)
        tz = self.store.policy.tz
        self._loading = True
        self.query_one("#owner", Input).value = pm.owner
        self._status = pm.status
        self.query_one("#status", Select).value = pm.status
        self.query_one("#meeting", Input).value = (
            pm.meeting_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if pm.meeting_at else ""
        )
        self.query_one("#recording", Input).value = pm.recording_url
        for key in NUMBERS:
            value = pm.numbers[key]
            self.query_one(f"#{key}", Input).value = "" if value is None else str(value)
        self.query_one("#support_requests", Input).value = pm.support_requests
        self._loading = False
        self._title(pm.title, pm.status, pm.owner)
        self._deadline()

    def _title(self, title: str, status: str, owner: str) -> None:
        self.query_one("#pm-title", Static).update(
            Text.assemble(
                ("Post-mortem · ", "bold"),
                (printable(self.ref), "bold"),
                f" {printable(title)}   ",
                (status.replace("_", " ").title(), "bold"),
                f" · owner {printable(owner) or '—'}",
            )
        )

    def _deadline(self) -> None:
        """Show the meeting deadline and the drafts gone stale, read off the UI thread after
        what is queued (the stale check drafts the sections again to compare)."""
        self.write("Read the deadline", partial(jobs.deadline_notice, self.store, self.ref), self._show_deadline)

    def _show_deadline(self, notice: object) -> None:
        assert isinstance(notice, jobs.DeadlineNotice)
        deadline, warning, tz = notice.deadline, notice.warning, self.store.policy.tz
        parts = [f"Meeting due by {deadline.astimezone(tz):%a %d %b %H:%M %Z}" if deadline else "No meeting deadline"]
        if warning:
            parts.append(f"⚠ {printable(warning)}")
        self._stale = tuple(notice.stale)
        if self._stale:
            titles = dict(POSTMORTEM_SECTIONS)
            parts.append(
                f"⚠ {', '.join(titles[key] for key in self._stale)} drafted before the record changed: "
                "F3 drafts them again (nobody edited them since)"
            )
        self.query_one("#pm-deadline", Static).update(Text("\n".join(parts)))
        self._hints()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id in ("action-title", "action-owner"):
            self._add_action()
            return
        self._save_detail(event.input)
        self.focus_next()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        if event.input.id not in ("action-title", "action-owner") and not self._loading:
            self._save_detail(event.input)

    def _save_detail(self, field: Input) -> None:
        key = field.id or ""
        try:
            change = jobs.detail_change(self.store, key, field.value.strip())
        except (WarroomError, ValueError) as exc:
            self.notify(str(exc), title="Not saved", severity="error", markup=False)
            return
        if change is not None:
            self.write(
                f"Post-mortem {key}",
                partial(postmortem.update_postmortem, self.store, self.ref, **change),
                lambda _: self._load_details(),
                partial(self.refused, "Not saved"),
            )

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "status" or not isinstance(event.value, str) or event.value == self._status:
            return

        def refused(exc: WarroomError) -> None:
            self.refused("Status not changed", exc)
            self._load_details()

        self.write(
            "Post-mortem status",
            partial(postmortem.set_status, self.store, self.ref, event.value),
            lambda _: self._load_details(),
            refused,
        )

    # --- actions --------------------------------------------------------------------

    def action_preview(self) -> None:
        self.save()
        if self.has_class("-preview"):
            self.set_class(False, "-preview")
            return
        self.write(
            "Preview",
            partial(postmortem.postmortem_markdown, self.store, self.ref),
            self._show_preview,
            partial(self.refused, "No preview"),
        )

    def _show_preview(self, markdown: object) -> None:
        self.query_one("#pm-preview", Markdown).update(str(markdown))
        self.query_one(ContentSwitcher).current = "editor"
        self.set_class(True, "-preview")

    def action_prefill(self) -> None:
        self.save()
        shown = self._shown()
        self.write(
            "Fill from the record",
            partial(jobs.prefill, self.store, self.ref),
            partial(self._filled, shown),
            partial(self.refused, "Not filled"),
        )

    def _filled(self, shown: tuple[str, str], result: object) -> None:
        assert isinstance(result, jobs.Filled)
        titles = dict(POSTMORTEM_SECTIONS)
        parts = [", ".join(titles.get(key, key) for key in result.filled) or "no empty section to fill"]
        if result.todos:
            parts.append(f"{result.todos} TODO(s) from the timeline added as action items")
        self.notify("; ".join(parts), title="Filled from the record", markup=False)
        self._reload_section(result.sections, shown)
        self._show_actions(result.items)
        self._deadline()  # the stale drafts, if any, are drafted again

    def action_rebuild(self) -> None:
        """Replace the record-derived sections with fresh drafts, after a confirmation."""
        from screens.pickers import Confirm

        titles = dict(POSTMORTEM_SECTIONS)
        names = ", ".join(titles[key] for key in postmortem.PREFILLED_SECTIONS)

        def rebuilt(shown: tuple[str, str], result: object) -> None:
            assert isinstance(result, jobs.Filled)
            self._reload_section(result.sections, shown)
            self.notify(f"{names} written again from the record.", title="Rebuilt", markup=False)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.save()
            shown = self._shown()
            self.write(
                "Rebuild from the record",
                partial(jobs.rebuild, self.store, self.ref),
                partial(rebuilt, shown),
                partial(self.refused, "Not rebuilt"),
            )

        self.app.push_screen(
            Confirm(f"Replace {names} with fresh drafts from the record? What you wrote there is replaced."), answered
        )

    def action_export(self) -> None:
        self.save()
        self.write(
            "Export",
            partial(jobs.export, self.store, self.ref),
            self._exported,
            lambda exc: self._exported(jobs.Exported([], str(exc))),
        )

    def _exported(self, result: object) -> None:
        assert isinstance(result, jobs.Exported)
        if result.reason is not None:
            self.notify(f"Not written: {result.reason}", severity="error", timeout=10, markup=False)
        else:
            self.notify("\n".join(str(path) for path in result.paths), title="Written", timeout=10, markup=False)

    def action_close(self) -> None:
        if self.has_class("-preview"):
            self.set_class(False, "-preview")
            return
        self.save()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self.save()
        self.writer.finish()
