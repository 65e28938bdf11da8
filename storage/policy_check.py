"""Turning merged config data into a `Policy`, failing with a one-line `ConfigError`
that names the file and the dotted field."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, InvalidInput
from .identity import name_problem
from .policy_model import (
    FOLLOW_UP_MAX,
    MESSAGE_KINDS,
    MESSAGE_PLACEHOLDERS,
    REFERENCE_PLACEHOLDERS,
    ROLE_KEY_MAX,
    SEND_CHANNELS,
    TITLE_PLACEHOLDERS,
    Deadline,
    MessageTemplate,
    Naming,
    Policy,
    Process,
    RolePolicy,
    SendCommand,
    SeverityPolicy,
    role_alias,
)
from .templates import TemplateError, render_template
from .timeparse import compact_duration, parse_duration, quote_input

_MAX_DEADLINE_DAYS = 3650
_MAX_DURATION = timedelta(days=_MAX_DEADLINE_DAYS)
"""The longest cadence or process duration (like a deadline, ten years)."""
_NEVER = frozenset({"never", "none"})
_SEVERITY_KEY = re.compile(r"SEV(0|[1-9][0-9]{0,5})", re.ASCII)
_ROLE_KEY = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)

_TOP_KEYS = (
    "timezone", "user", "confirm_times_older_than", "naming", "process", "severity", "roles", "templates", "keys",
    "send",
)
_NAMING_KEYS = ("reference", "title")
_PROCESS_KEYS = ("decide_within", "declare_within")
_PROCESS_OPTIONAL = ("offer_handover_after", "hand_over_by", "remind_overdue_every")
_SEVERITY_KEYS = (
    "name",
    "definition",
    "checkin",
    "internal_update",
    "status_page",
    "postmortem_deadline",
)
_ROLE_KEYS = ("name", "many", "follow_up")
_TEMPLATE_KEYS = ("subject", "body")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


def _join(where: str, key: str) -> str:
    shown = key if _BARE_KEY.fullmatch(key) else _quoted_key(key)
    return f"{where}.{shown}" if where else shown


def _quoted_key(key: str) -> str:
    """A TOML key for a one-line message: quoted, unprintable characters escaped, long ones cut."""
    cut = key if len(key) <= 40 else key[:40] + "…"
    escaped = "".join(
        "\\" + char if char in '"\\' else char if char.isprintable() else repr(char)[1:-1] for char in cut
    )
    return f'"{escaped}"'


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the text {quote_input(value)}"
    return f"a {type(value).__name__}"


class PolicyBuilder:
    """Turns merged config data into a Policy, failing with file- and field-precise errors."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, where: str, message: str) -> NoReturn:
        raise ConfigError(f"{self.label}: {where}: {message}" if where else f"{self.label}: {message}")

    # -- structure

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"expected a table, got {_kind(value)}")
        return value

    def check_keys(self, table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(allowed)}"
                self.fail(_join(where, key), f"unknown key: {hint}")

    def require(self, table: Mapping[str, Any], keys: Iterable[str], where: str, what: str) -> None:
        keys = list(keys)
        for key in keys:
            if key not in table:
                self.fail(_join(where, key), f"missing: {what} must set {', '.join(keys)}")

    # -- values

    def text(self, value: Any, where: str, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(where, f"expected text in quotes, got {_kind(value)}")
        if not empty and not value.strip():
            self.fail(where, "must not be empty")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def duration(self, value: Any, where: str) -> timedelta:
        if not isinstance(value, str):
            self.fail(where, f"expected a duration in quotes like \"20m\", got {_kind(value)}")
        if value.strip().casefold() in _NEVER:
            self.fail(where, f"{quote_input(value)} is not allowed here: give a duration like 20m")
        try:
            delta = parse_duration(value)
        except InvalidInput as exc:
            self.fail(where, str(exc))
        if delta <= timedelta(0):
            self.fail(where, f"{quote_input(value)} must be longer than zero")
        return self._not_too_long(delta, value, where)

    def _not_too_long(self, delta: timedelta, value: str, where: str) -> timedelta:
        """Refuse a duration so long that counting it on from today leaves the calendar."""
        if delta > _MAX_DURATION:
            self.fail(where, f"{quote_input(value)} is too long: at most {_MAX_DURATION.days} days")
        return delta

    def optional_duration(self, value: Any, where: str) -> timedelta | None:
        if isinstance(value, str) and value.strip().casefold() in _NEVER:
            return None
        if isinstance(value, str):
            try:
                delta = parse_duration(value)
            except InvalidInput as exc:
                self.fail(where, f"{exc}, or \"never\"")
            if delta <= timedelta(0):
                self.fail(where, f"{quote_input(value)} must be longer than zero (or \"never\")")
            return self._not_too_long(delta, value, where)
        return self.duration(value, where)

    def deadline(self, value: Any, where: str) -> Deadline | None:
        hint = 'use forms like "3 days", "5 business days" or "none"'
        if not isinstance(value, str):
            self.fail(where, f"expected a deadline in quotes ({hint}), got {_kind(value)}")
        if value.strip().casefold() in _NEVER:
            return None
        match = _DEADLINE.fullmatch(value.strip())
        if match is None:
            self.fail(where, f"{quote_input(value)} is not a deadline: {hint}")
        amount = int(match[1])
        if not 1 <= amount <= _MAX_DEADLINE_DAYS:
            self.fail(where, f"{quote_input(value)}: the number of days must be 1 to {_MAX_DEADLINE_DAYS}")
        return Deadline(amount=amount, business=bool(match[2]) and match[2].lower().startswith("b"))

    def text_list(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(where, f"expected an array of texts, got {_kind(value)}")
        return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(value))

    def follow_up(self, value: Any, where: str) -> tuple[str, ...]:
        steps = self.text_list(value, where)
        for i, step in enumerate(steps):
            if len(step) > FOLLOW_UP_MAX:
                self.fail(f"{where}[{i}]", f"too long: {len(step):,} characters, at most {FOLLOW_UP_MAX:,}")
        return steps

    def template(self, value: Any, where: str, names: Iterable[str], *, empty: bool = False) -> str:
        template = self.text(value, where, empty=empty)
        dummy = {name: name for name in names}
        try:
            render_template(template, dummy)
        except TemplateError as exc:
            self.fail(where, str(exc))
        return template

    # -- sections

    def policy(self, data: Mapping[str, Any], source: Path | None = None) -> Policy:
        self.check_keys(data, _TOP_KEYS, "")
        self.require(data, ("naming", "process", "severity", "roles", "templates"), "", "the config")
        return Policy(
            timezone=self.timezone(data.get("timezone")),
            naming=self.naming(self.table(data["naming"], "naming")),
            process=self.process(self.table(data["process"], "process")),
            severities=self.severities(self.table(data["severity"], "severity")),
            roles=self.roles(self.table(data["roles"], "roles")),
            templates=self.templates(self.table(data["templates"], "templates")),
            user=self.user(data.get("user")),
            source=source,
            confirm_times_older_than=self.duration(
                data.get("confirm_times_older_than", "3h"), "confirm_times_older_than"
            ),
            keys=self.keys(self.table(data.get("keys", {}), "keys")),
            senders=self.senders(self.table(data.get("send", {}), "send")),
        )

    def senders(self, table: Mapping[str, Any]) -> dict[str, SendCommand]:
        """`[send.<channel>]`: `command` (an array: program and arguments, no shell),
        `timeout` (30s by default) and `headers` (a table, e.g. `To`)."""
        found: dict[str, SendCommand] = {}
        for channel, value in table.items():
            where = _join("send", channel)
            if channel not in SEND_CHANNELS:
                self.fail(where, f"no channel {quote_input(channel)}: use one of {', '.join(SEND_CHANNELS)}")
            entry = self.table(value, where)
            self.check_keys(entry, ("command", "timeout", "headers"), where)
            self.require(entry, ("command",), where, f"[{where}]")
            command = self.text_list(entry["command"], _join(where, "command"))
            if not command or not command[0].strip():
                self.fail(_join(where, "command"), "name the program to run first, e.g. [\"sendmail\", \"-t\"]")
            if any("\x00" in part for part in command):
                self.fail(_join(where, "command"), "a program or argument cannot hold a NUL character")
            headers = []
            for name, header in self.table(entry.get("headers", {}), _join(where, "headers")).items():
                at = _join(_join(where, "headers"), name)
                text = self.text(header, at)
                if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", name) or name.lower() == "subject":
                    self.fail(at, "a header name is letters, digits and '-' (not Subject)")
                if "\r" in text or "\n" in text:
                    self.fail(at, "a header value is one line")
                headers.append((name, text))
            timeout = self.duration(entry.get("timeout", "30s"), _join(where, "timeout"))
            found[channel] = SendCommand(command, timeout, tuple(headers))
        return found

    def keys(self, table: Mapping[str, Any], where: str = "keys", prefix: str = "") -> dict[str, str]:
        """`[keys]`: binding id to keys. An unquoted dotted id (`command.severity = "f6"`)
        reads as a nested table, so nested tables join back into dotted ids. Whether an id
        or a key name exists is for the app to say (`tui.keymap`): only it knows them."""
        found: dict[str, str] = {}
        for key, value in table.items():
            binding_id = f"{prefix}{key}"
            if isinstance(value, dict):
                found.update(self.keys(value, _join(where, key), f"{binding_id}."))
            else:
                found[binding_id] = self.text(value, _join(where, key)).strip()
        return found

    def user(self, value: Any) -> str | None:
        if value is None:
            return None
        name = self.text(value, "user", empty=True)
        problem = name_problem(name)
        if problem is not None:
            self.fail("user", problem)
        return name.strip()

    def timezone(self, value: Any) -> str:
        if value is None:
            return _local_timezone_name()
        name = self.text(value, "timezone")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.fail(
                "timezone",
                f"{quote_input(name)} is not a known time zone: use an IANA name like Europe/Berlin or UTC",
            )
        return name

    def naming(self, table: Mapping[str, Any]) -> Naming:
        self.check_keys(table, _NAMING_KEYS, "naming")
        self.require(table, _NAMING_KEYS, "naming", "[naming]")
        reference = self.template(table["reference"], "naming.reference", REFERENCE_PLACEHOLDERS)
        if reference != reference.strip() or not reference.isprintable():
            # A reference is typed back on the command line, where it is trimmed.
            self.fail(
                "naming.reference",
                f"{quote_input(reference)}: a reference has no spaces around it and no control characters",
            )
        return Naming(reference=reference, title=self.template(table["title"], "naming.title", TITLE_PLACEHOLDERS))

    def process(self, table: Mapping[str, Any]) -> Process:
        self.check_keys(table, _PROCESS_KEYS + _PROCESS_OPTIONAL, "process")
        self.require(table, _PROCESS_KEYS, "process", "[process]")
        offer = self.duration(table.get("offer_handover_after", "1h"), "process.offer_handover_after")
        latest = self.duration(table.get("hand_over_by", "3h"), "process.hand_over_by")
        if latest <= offer:
            self.fail(
                "process.hand_over_by",
                f"{compact_duration(latest)} must be longer than offer_handover_after ({compact_duration(offer)})",
            )
        return Process(
            decide_within=self.duration(table["decide_within"], "process.decide_within"),
            declare_within=self.duration(table["declare_within"], "process.declare_within"),
            offer_handover_after=offer,
            hand_over_by=latest,
            remind_overdue_every=self.optional_duration(
                table.get("remind_overdue_every", "5m"), "process.remind_overdue_every"
            ),
        )

    def severities(self, table: Mapping[str, Any]) -> dict[int, SeverityPolicy]:
        found: dict[int, SeverityPolicy] = {}
        for key, raw in table.items():
            where = _join("severity", key)
            match = _SEVERITY_KEY.fullmatch(key)
            if match is None:
                fix = f": write {key.upper()}" if _SEVERITY_KEY.fullmatch(key.upper()) else ""
                self.fail(where, f"severity tables are named SEV followed by a number, like SEV1{fix}")
            sev = self.table(raw, where)
            self.check_keys(sev, _SEVERITY_KEYS, where)
            self.require(sev, _SEVERITY_KEYS, where, "a severity")
            level = int(match[1])
            found[level] = SeverityPolicy(
                level=level,
                key=key,
                name=self.text(sev["name"], f"{where}.name"),
                definition=self.text(sev["definition"], f"{where}.definition", empty=True),
                checkin=self.duration(sev["checkin"], f"{where}.checkin"),
                internal_update=self.duration(sev["internal_update"], f"{where}.internal_update"),
                status_page=self.optional_duration(sev["status_page"], f"{where}.status_page"),
                postmortem_deadline=self.deadline(
                    sev["postmortem_deadline"], f"{where}.postmortem_deadline"
                ),
            )
        if not found:
            self.fail("severity", "at least one severity is needed")
        return dict(sorted(found.items()))

    def roles(self, table: Mapping[str, Any]) -> dict[str, RolePolicy]:
        found: dict[str, RolePolicy] = {}
        aliases: dict[str, str] = {}
        for key, raw in table.items():
            where = _join("roles", key)
            if not _ROLE_KEY.fullmatch(key):
                self.fail(where, "role keys use lowercase letters, digits and underscores, like customer_liaison")
            if len(key) > ROLE_KEY_MAX:
                self.fail(where, f"a role key is at most {ROLE_KEY_MAX} characters")
            role = self.table(raw, where)
            self.check_keys(role, _ROLE_KEYS, where)
            self.require(role, ("name",), where, "a role")
            name = self.text(role["name"], f"{where}.name")
            for alias in {role_alias(key), role_alias(name)}:
                other = aliases.setdefault(alias, key)
                if other != key:
                    self.fail(f"{where}.name", f"{quote_input(name)} clashes with role '{other}'")
            found[key] = RolePolicy(
                key=key,
                name=name,
                many=self.boolean(role.get("many", False), f"{where}.many"),
                follow_up=self.follow_up(role.get("follow_up", []), f"{where}.follow_up"),
            )
        if not found:
            self.fail("roles", "at least one role is needed")
        return found

    def templates(self, table: Mapping[str, Any]) -> dict[str, MessageTemplate]:
        known = list(MESSAGE_KINDS)
        for key in table:
            if key not in MESSAGE_KINDS:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(known)}"
                self.fail(_join("templates", key), f"unknown message kind: {hint}")
        self.require(table, known, "templates", "[templates]")
        found: dict[str, MessageTemplate] = {}
        for key, kind in MESSAGE_KINDS.items():
            where = _join("templates", key)
            entry = self.table(table[key], where)
            self.check_keys(entry, _TEMPLATE_KEYS, where)
            self.require(entry, _TEMPLATE_KEYS, where, "a message template")
            found[key] = MessageTemplate(
                kind=key,
                channel=kind.channel,
                update_kind=kind.update_kind,
                label=kind.label,
                # A status-page post may have no title of its own: only its body is required.
                subject=self.template(
                    entry["subject"], f"{where}.subject", MESSAGE_PLACEHOLDERS, empty=kind.channel != "internal"
                ),
                body=self.template(entry["body"], f"{where}.body", MESSAGE_PLACEHOLDERS),
            )
        return found


_DEADLINE = re.compile(
    r"([0-9]{1,9})\s*(business\s+|calendar\s+)?days?", re.IGNORECASE | re.ASCII
)


ZONE_FILES = (Path("/etc/timezone"), Path("/etc/localtime"))
"""Where a Unix machine names its zone: a file holding the name (Debian), and a link into
the zone database whose path ends with the name."""


def _zone_name_from_system(environ: Mapping[str, str]) -> str | None:
    """The machine's zone as `TZ`, `/etc/timezone` or the `/etc/localtime` link name it, or
    None: read without pendulum, whose import costs every command 15 ms."""
    named_file, link = ZONE_FILES
    candidates: list[str] = []
    tz = environ.get("TZ", "").removeprefix(":")
    if tz:
        candidates.append(tz.rpartition("zoneinfo/")[2] if tz.startswith("/") else tz)
    try:
        named = named_file.read_text(encoding="utf-8", errors="replace")
        candidates.append(named.partition("#")[0].strip().partition(" ")[0])  # no comment or host
    except OSError:
        pass
    try:
        target = str(link.resolve(strict=True)) if link.is_symlink() else ""
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.rpartition("zoneinfo/")[2])
    for name in candidates:
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            if tz and name == candidates[0]:
                return None  # a TZ naming no zone (POSIX rules, say): pendulum reads it
            continue
        return name
    return None


def _local_timezone_name() -> str:
    """The machine's IANA zone name, or "UTC" when it cannot be determined."""
    import os

    found = _zone_name_from_system(os.environ)
    if found is not None:
        return found
    try:
        import pendulum  # when the system files do not name the zone

        # Looked up by name: mypy takes `pendulum.local_timezone` for the module of that name
        # or for the function, depending on what its cache holds.
        name = vars(pendulum)["local_timezone"]().name
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any failure means "unknown": fall back to UTC
        return "UTC"
    return name
