"""The SQLite fast path: `warroom log`, `timeline` and `list` without loading SQLAlchemy,
and the app's scribe lines without the ORM (`storage.outbox.LiteLines`).

Importing SQLAlchemy and SQLModel costs about half a second, more than the rest of a
command together; a person typing `warroom log` waits for it every time. This package
opens a SQLite record with the standard library's `sqlite3` (`connection`: the same
pragmas, write lock and one-line failures as `storage.db`) and runs the three operations
those commands need (`record`), with the meaning of their `storage.ops` counterparts;
`view` reads what the app's first frame shows of an incident, as `storage.live` reads it.
Everything else, and any database this path does not take (PostgreSQL, a new file, another
schema revision), goes through `storage.db.Store`.
"""

from storage.lite.connection import SCHEMA_REVISION, LiteStore, open_lite, sqlite_path
from storage.lite.record import IncidentRow, LoggedEvent, TimelineRow, incident_rows, log_line, timeline_rows

__all__ = [
    "SCHEMA_REVISION",
    "IncidentRow",
    "LiteStore",
    "LoggedEvent",
    "TimelineRow",
    "incident_rows",
    "log_line",
    "open_lite",
    "sqlite_path",
    "timeline_rows",
]
