"""The incident rules as loaded from the config: severities with their cadences and
post-mortem deadlines, roles, naming, process times and message templates.

Plain frozen dataclasses that import in no time (the app opens the record on start);
`storage.policy_check` builds them from a config file, validating every field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .errors import InvalidInput
from .templates import render_template
from .timeparse import quote_input

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
    """How quickly the first steps of a response must happen, and the reminders that keep
    it going: the IC's handover and overdue updates."""

    decide_within: timedelta
    declare_within: timedelta
    offer_handover_after: timedelta = timedelta(hours=1)
    """The IC's row suggests offering a handover once the IC has held the role this long."""
    hand_over_by: timedelta = timedelta(hours=3)
    """Past this the IC's row warns: nobody should hold the role longer."""
    remind_overdue_every: timedelta | None = timedelta(minutes=5)
    """An overdue update is reminded of again this often until sent or snoozed (None: never)."""


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


SEND_CHANNELS: tuple[str, ...] = ("internal", "status_page")
"""The channels whose messages a command can send (`[send.<channel>]`)."""


@dataclass(frozen=True)
class SendCommand:
    """How one channel's messages go out: a program (no shell) that reads the message
    (`headers`, `Subject:`, a blank line and the body) on its standard input, stopped after
    `timeout`."""

    command: tuple[str, ...]
    timeout: timedelta = timedelta(seconds=30)
    headers: tuple[tuple[str, str], ...] = ()


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
    keys: dict[str, str] = field(default_factory=dict)
    senders: dict[str, SendCommand] = field(default_factory=dict)
    """Per channel, the command that sends its messages (`[send.<channel>]`; none: recorded only)."""
    """`[keys]`: binding id to the keys that replace its default ones ("f6", "ctrl+s,f2")."""

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
        wanted = role_alias(key)
        for role in self.roles.values():
            if wanted in (role_alias(role.key), role_alias(role.name)):
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
ROLE_KEY_MAX = 32
"""The longest role key: what `role_assignment.role` holds (`storage.limits`, not imported
here: the policy loads before the record's tables are needed)."""
FOLLOW_UP_MAX = 1_000
"""The longest follow-up step: what `checklist_item.label` holds (`storage.limits`)."""


def role_alias(text: str) -> str:
    """How a role key or name compares: casefolded, spaces and hyphens as `_`."""
    return re.sub(r"[\s\-]+", "_", text.strip().casefold())
