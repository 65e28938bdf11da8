"""The longest text each column of the record holds: one table, the same on every backend.

SQLite ignores a VARCHAR's length and PostgreSQL enforces it, so without this table a
SQLite record could hold what a PostgreSQL one refuses (and an export of it could not be
imported there). A column with a length in `storage.models` keeps it here; every other
text column gets a limit in `storage.lengths`. A flush that would store longer text is refused with
`InvalidInput` naming the field (see `refuse_overlong_text`), whichever way the row came:
the command line, a screen, the scribe line or an import. `storage.lengths`, which loads
no SQLAlchemy, holds the numbers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import AutoString, Session

from storage.errors import InvalidInput
from storage.lengths import (  # noqa: F401  (importable from here too)
    _CHOSEN,
    DOCUMENT,
    EVENT_TEXT,
    LABEL,
    NAME,
    PARAGRAPH,
    TITLE_PART,
    URL,
    label_of,
    too_long,
)
from storage.models import SQLModel


def _text_limits() -> dict[str, int]:
    """`table.column` -> most characters, for every text column of the record."""
    limits: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (AutoString, sa.String)):
                continue
            name = f"{table.name}.{column.name}"
            length = getattr(column.type, "length", None)
            limit = length if length is not None else _CHOSEN.get(name)
            if limit is None:
                raise AssertionError(f"the text column {name} has no length limit: add one to storage.limits")
            limits[name] = limit
    return limits


TEXT_LIMITS: dict[str, int] = _text_limits()
"""`table.column` -> the most characters it holds (documented in docs/export-format.md)."""

_COLUMNS_OF: dict[str, tuple[str, ...]] = {}
for _name in TEXT_LIMITS:
    _table, _column = _name.split(".")
    _COLUMNS_OF[_table] = (*_COLUMNS_OF.get(_table, ()), _column)

def check_text(name: str, value: str | None, *, label: str | None = None) -> str | None:
    """`value`, refused with InvalidInput when longer than column `name` (`table.column`) holds."""
    if value is not None and len(value) > TEXT_LIMITS[name]:
        raise InvalidInput(f"{label or label_of(name)} is {too_long(len(value), TEXT_LIMITS[name])}")
    return value


def refuse_overlong_text(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: refuse a new row, or a changed text, longer than its column holds.

    Only changed attributes of rows already stored are checked, so a row stored before
    these limits existed stays usable as long as the long text is left alone. With more
    than one text too long, the first column in `TEXT_LIMITS` order is named, so the
    message does not depend on the order rows were added in.
    """
    overlong: list[tuple[int, str, int]] = []
    for row, is_new in [(row, True) for row in session.new] + [(row, False) for row in session.dirty]:
        table = getattr(row, "__tablename__", "")
        columns = _COLUMNS_OF.get(table, ())
        state = None if is_new or not columns else sa.inspect(row)
        for column in columns:
            name = f"{table}.{column}"
            value = getattr(row, column, None)
            if value is None or len(value) <= TEXT_LIMITS[name]:
                continue
            if state is None or state.attrs[column].history.added:
                overlong.append((_ORDER[name], name, len(value)))
    if overlong:
        _, name, length = min(overlong)
        raise InvalidInput(f"{label_of(name)} is {too_long(length, TEXT_LIMITS[name])}")


_ORDER = {name: position for position, name in enumerate(TEXT_LIMITS)}


sa.event.listen(Session, "before_flush", refuse_overlong_text)
