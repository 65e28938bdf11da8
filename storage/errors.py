"""Errors whose message is written for the person at the keyboard."""

from __future__ import annotations

from datetime import datetime


class WarroomError(Exception):
    """A failure with a one-line message meant for the user."""


class NotFound(WarroomError):
    """A reference, event or person that does not exist."""


class InvalidInput(WarroomError):
    """Input that cannot be accepted as typed (a bad time, severity, role...)."""


class FactsConflict(InvalidInput):
    """Facts typed over values that another writer has changed since they were read:
    nothing is written. `theirs` holds the current value of each such fact, by name."""

    def __init__(self, message: str, *, theirs: dict[str, str | bool]) -> None:
        super().__init__(message)
        self.theirs = theirs


class ConfigError(WarroomError):
    """A configuration file that cannot be read or does not validate."""


class DatabaseError(WarroomError):
    """A database that cannot be opened, read or written."""


class Conflict(DatabaseError):
    """A write that collided with another writer's (a unique key taken meanwhile)."""


class ReadOnly(DatabaseError):
    """A write asked of a record opened read-only (`Store(read_only=True)`: the view
    `warroom view` and `warroom serve` show): nothing was written."""


class Busy(DatabaseError):
    """The database is held by another writer for longer than the wait allows: retry later."""


class NeedsConfirmation(InvalidInput):
    """A typed time that is written only once the person confirms it (see
    `storage.timeparse.time_concerns`): `.concerns` says why, `.at` is the time as resolved."""

    def __init__(self, message: str, *, concerns: list[str], at: datetime) -> None:
        super().__init__(message)
        self.concerns = concerns
        self.at = at


class EditConflict(InvalidInput):
    """A change made from revision `expected` of event `seq` that finds a later one saved
    (another terminal changed it meanwhile): nothing is written. `theirs` is the current
    version as a scribe line (`struck` if it is struck), `by` who made it; `yours` is the
    line refused (None for a strike or a restore)."""

    def __init__(
        self, message: str, *, seq: int, expected: int, revision: int, theirs: str, struck: bool, by: str,
        yours: str | None,
    ) -> None:
        super().__init__(message)
        self.seq = seq
        self.expected = expected
        self.revision = revision
        self.theirs = theirs
        self.struck = struck
        self.by = by
        self.yours = yours
