"""The organisation's incident rules: severities, cadences, roles, naming, deadlines
and the templates of the messages sent during an incident.

Defaults live in the packaged `default_config.toml`; a user's TOML file is merged over
them key by key (see `load_policy`). Every problem in a config file is reported as a
one-line `ConfigError` naming the file and the dotted field.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from .errors import ConfigError, InvalidInput
from .identity import name_problem
from .templates import TemplateError, render_template
from .timeparse import parse_duration, quote_input

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "Deadline",
    "MESSAGE_KINDS",
    "MESSAGE_PLACEHOLDERS",
    "MessageKind",
    "MessageTemplate",
    "Naming",
    "Policy",
    "Process",
    "REFERENCE_PLACEHOLDERS",
    "RolePolicy",
    "SeverityPolicy",
    "TITLE_PLACEHOLDERS",
    "default_config_text",
    "load_policy",
    "resolve_config_path",
    "user_config_file",
]

APP_NAME = "warroom"
CONFIG_ENV = "WARROOM_CONFIG"
DEFAULT_CONFIG_NAME = "default_config.toml"
REFERENCE_PLACEHOLDERS: tuple[str, ...] = ("yy", "yyyy", "mm", "dd", "sev")
TITLE_PLACEHOLDERS: tuple[str, ...] = ("functionality", "state", "audience")
MESSAGE_PLACEHOLDERS: tuple[str, ...] = (
    "sev",
    "severity_name",
    "ref",
    "title",
    "functionality",
    "state",
    "audience",
    "identified_time",
    "customer_impact",
    "quantity_impacted",
    "known_customers",
    "phase",
    "phase_sentence",
    "next_update",
    "next_update_in",
    "responder",
    "responders",
    "retrospective",
    "started_time",
    "started_date",
    "resolved_time",
    "duration",
)
"""Every placeholder a message template may use (filled by `storage.comms.message_values`)."""

_MAX_DEADLINE_DAYS = 3650
_MAX_DURATION = timedelta(days=_MAX_DEADLINE_DAYS)
"""The longest cadence or process duration (like a deadline, ten years)."""
_NEVER = frozenset({"never", "none"})


# --------------------------------------------------------------------------- models
# Plain frozen dataclasses: `_Builder` below validates every field with a message that
# names the file and key, and they import in no time (the app opens the record on start).


@dataclass(frozen=True)
class Deadline:
    """A deadline of `amount` calendar days, or business days (Monday to Friday)."""

    amount: int
    business: bool = False

    def due(self, start: datetime, tz: tzinfo) -> datetime:
        """When the deadline falls for something that happened at `start` (aware).

        Counting happens on local dates in `tz` and keeps the local time of day:
        - calendar: the date `amount` days after the start date;
        - business: step forward one date at a time from the start date, counting
          only Mondays to Fridays, until `amount` have been counted. A weekend start
          therefore counts as if it were the Friday before: Friday 15:00 + 5 gives
          the next Friday 15:00; Saturday or Sunday 10:00 + 1 gives Monday 10:00.
        Public holidays are not known. If the wall time does not exist on the due date
        (a DST gap) it moves forward by the gap; if it occurs twice, the first counts.
        The result is an aware datetime in `tz`.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"naive datetime {start!r}: a timezone is required")
        local = start.astimezone(tz)
        day = local.date()
        if self.business:
            if day.weekday() >= 5:  # Saturday/Sunday count like the Friday before
                day -= timedelta(days=day.weekday() - 4)
            weeks, rest = divmod(self.amount, 5)
            day += timedelta(weeks=weeks)
            while rest:
                day += timedelta(days=1)
                if day.weekday() < 5:
                    rest -= 1
        else:
            day += timedelta(days=self.amount)
        wall = datetime.combine(day, local.time(), tzinfo=tz)  # fold=0
        return wall.astimezone(UTC).astimezone(tz)

    def __str__(self) -> str:
        unit = "business day" if self.business else "day"
        return f"{self.amount} {unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class SeverityPolicy:
    """One severity level with its meaning, update cadences and post-mortem deadline."""

    level: int
    key: str
    name: str
    definition: str
    checkin: timedelta
    internal_update: timedelta
    status_page: timedelta | None
    postmortem_deadline: Deadline | None


@dataclass(frozen=True)
class RolePolicy:
    """A response role: display name, whether several people may hold it, follow-ups."""

    key: str
    name: str
    many: bool = False
    follow_up: tuple[str, ...] = ()


@dataclass(frozen=True)
class Naming:
    """Templates for the incident reference (channel slug) and title."""

    reference: str
    title: str


@dataclass(frozen=True)
class Process:
    """How quickly the first steps of a response must happen."""

    decide_within: timedelta
    declare_within: timedelta


@dataclass(frozen=True)
class MessageKind:
    """One kind of incident message: where it goes and the update kind it is recorded as."""

    kind: str
    channel: str
    """The update channel (see `storage.ops.UPDATE_CHANNELS`): "internal" or "status_page"."""
    update_kind: str
    label: str


MESSAGE_KINDS: Mapping[str, MessageKind] = MappingProxyType(
    {
        kind.kind: kind
        for kind in (
            MessageKind("internal_initial", "internal", "initial", "Internal: initial message"),
            MessageKind("internal_update", "internal", "update", "Internal: update"),
            MessageKind("internal_resolved", "internal", "resolved", "Internal: resolved"),
            MessageKind("status_investigating", "status_page", "investigating", "Status page: investigating"),
            MessageKind("status_update", "status_page", "update", "Status page: update"),
            MessageKind("status_resolved", "status_page", "resolved", "Status page: resolved"),
        )
    }
)
"""The message kinds, in the order they are offered: internal list first, then status page."""


@dataclass(frozen=True)
class MessageTemplate:
    """The configured subject and body of one message kind (see `[templates]`)."""

    kind: str
    channel: str
    update_kind: str
    label: str
    subject: str
    body: str


@dataclass(frozen=True)
class Policy:
    """All configurable incident rules, as loaded by `load_policy`."""

    timezone: str
    naming: Naming
    process: Process
    severities: dict[int, SeverityPolicy]
    roles: dict[str, RolePolicy]
    templates: dict[str, MessageTemplate] = field(default_factory=dict)
    user: str | None = None
    """Who you are (`user = "..."`), when the file says; see `storage.identity`."""
    source: Path | None = field(default=None, compare=False)
    """The config file read over the defaults, None when there was none."""
    confirm_times_older_than: timedelta = timedelta(hours=3)
    """A typed time further back than this needs a confirmation (see `timeparse.time_concerns`)."""

    @property
    def tz(self) -> tzinfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    def severity(self, level: int | str) -> SeverityPolicy:
        """Look up a severity by 1, "1", "SEV1", "sev1" or "SEV-1"; InvalidInput if unknown."""
        number: int | None = None
        if isinstance(level, int) and not isinstance(level, bool):
            number = level
            shown = f"SEV{level}"
        else:
            shown = str(level)
            match = _SEVERITY_INPUT.fullmatch(shown.strip())
            if match is not None:
                number = int(match[1])
        if number is not None and number in self.severities:
            return self.severities[number]
        known = ", ".join(s.key for s in self.severities.values())
        raise InvalidInput(f"unknown severity {quote_input(shown)}: use one of {known}")

    def role(self, key: str) -> RolePolicy:
        """Look up a role by key or name, any case, '-' or ' ' as '_'; InvalidInput if unknown."""
        wanted = _role_alias(key)
        for role in self.roles.values():
            if wanted in (_role_alias(role.key), _role_alias(role.name)):
                return role
        known = ", ".join(self.roles)
        raise InvalidInput(f"unknown role {quote_input(key)}: use one of {known}")

    def cadences(self, level: int | str) -> dict[str, timedelta | None]:
        """The update cadences of a severity; None means "never"."""
        sev = self.severity(level)
        return {
            "checkin": sev.checkin,
            "internal_update": sev.internal_update,
            "status_page": sev.status_page,
        }

    def reference(self, declared_local: datetime, level: int | str) -> str:
        """The incident reference, e.g. "inc-26-11-23-SEV-1".

        An aware `declared_local` is converted to the policy's time zone first; a naive
        one is taken as already local.
        """
        local = declared_local.astimezone(self.tz) if declared_local.tzinfo else declared_local
        values = {
            "yy": f"{local.year % 100:02d}",
            "yyyy": f"{local.year:04d}",
            "mm": f"{local.month:02d}",
            "dd": f"{local.day:02d}",
            "sev": str(self.severity(level).level),
        }
        return render_template(self.naming.reference, values)

    def title(self, functionality: str, state: str, audience: str) -> str:
        """The incident title, e.g. "login is failing for EU customers"."""
        values = {"functionality": functionality, "state": state, "audience": audience}
        return render_template(self.naming.title, values)


_SEVERITY_INPUT = re.compile(r"(?:sev[\s_-]*)?([0-9]{1,9})", re.IGNORECASE | re.ASCII)
_SEVERITY_KEY = re.compile(r"SEV(0|[1-9][0-9]{0,5})", re.ASCII)
_ROLE_KEY = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
ROLE_KEY_MAX = 32
"""The longest role key: what `role_assignment.role` holds (`storage.limits`, not imported
here: the policy loads before the record's tables are needed)."""
FOLLOW_UP_MAX = 1_000
"""The longest follow-up step: what `checklist_item.label` holds (`storage.limits`)."""


def _role_alias(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().casefold())


# --------------------------------------------------------------------------- files


def default_config_text() -> str:
    """The text of the packaged default config file (a commented, copyable example)."""
    return resources.files(__package__).joinpath(DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def user_config_file() -> Path:
    """Where the user's config file is looked for when WARROOM_CONFIG is not set."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def resolve_config_path(path: Path | None = None) -> Path | None:
    """The config file to read, or None for defaults only.

    An explicit `path` must exist; otherwise WARROOM_CONFIG (if set, it must exist),
    otherwise `user_config_file()` if it exists.
    """
    if path is not None:
        chosen = Path(path).expanduser()
        _require_file(chosen, f"{chosen}: config file not found")
        return chosen
    env = os.environ.get(CONFIG_ENV)
    if env:
        chosen = Path(env).expanduser()
        _require_file(chosen, f"{CONFIG_ENV}={env}: config file not found")
        return chosen
    chosen = user_config_file()
    try:
        present = chosen.exists()
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read: {exc.strerror or exc}") from None
    if present:
        _require_file(chosen, f"{chosen}: config file not found")
        return chosen
    return None


def _require_file(path: Path, missing: str) -> None:
    try:
        if not path.exists():
            raise ConfigError(missing)
        if not path.is_file():
            raise ConfigError(f"{path}: not a file")
    except OSError as exc:  # a directory on the way that this user may not enter
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_policy(path: Path | None = None) -> Policy:
    """Load the defaults, merge the user's config file over them and validate the result.

    Tables merge key by key (arrays and other values are replaced whole), so a file with
    only `[severity.SEV1] checkin = "15m"` changes just that cadence; a new table such as
    `[severity.SEV4]` or `[roles.comms]` adds an entry, which must then set every required
    key. See `resolve_config_path` for which file is read. Raises ConfigError.
    """
    data = _parse_toml(default_config_text(), DEFAULT_CONFIG_NAME)
    label = DEFAULT_CONFIG_NAME
    source = resolve_config_path(path)
    if source is not None:
        label = str(source)
        data = _merge(data, _read_toml(source))
    return _Builder(label).policy(data, source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return _parse_toml(text, str(path))


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: arrays or tables nested too deeply") from None
    except ValueError:  # tomllib reads a number with int(), which refuses more than 4,300 digits
        raise ConfigError(f"{label}: invalid TOML: {TOML_NUMBER_TOO_LONG}") from None


TOML_NUMBER_TOO_LONG = f"a number is too long to read (more than {sys.get_int_max_str_digits():,} digits)"
"""Why a TOML file holding a number of thousands of digits is refused."""


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` into a copy of `base`: tables recursively, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------- validation

_TOP_KEYS = ("timezone", "user", "confirm_times_older_than", "naming", "process", "severity", "roles", "templates")
_NAMING_KEYS = ("reference", "title")
_PROCESS_KEYS = ("decide_within", "declare_within")
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


class _Builder:
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
        )

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
        self.check_keys(table, _PROCESS_KEYS, "process")
        self.require(table, _PROCESS_KEYS, "process", "[process]")
        return Process(
            decide_within=self.duration(table["decide_within"], "process.decide_within"),
            declare_within=self.duration(table["declare_within"], "process.declare_within"),
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
            for alias in {_role_alias(key), _role_alias(name)}:
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


def _local_timezone_name() -> str:
    """The machine's IANA zone name, or "UTC" when it cannot be determined."""
    try:
        import pendulum  # only to find the machine's zone, when the config names none

        name = pendulum.local_timezone().name
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any failure means "unknown": fall back to UTC
        return "UTC"
    return name
