"""Service ownership: who owns a piece of functionality, and whom to page."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from sqlmodel import col, delete, select

from storage.db import Store
from storage.errors import InvalidInput
from storage.limits import check_text
from storage.models import ServiceOwner
from storage.timeparse import quote_input

CSV_COLUMNS: tuple[str, ...] = (
    "functionality",
    "service",
    "team",
    "paging_url",
    "vendor",
    "relationship_owner",
    "support_url",
    "status_url",
)
"""Columns of the ownership CSV; only `functionality` is required, the rest may be empty."""


def parse_ownership_csv(text: str) -> list[ServiceOwner]:
    """Rows of an ownership CSV with a header line; errors name the line at fault."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _owners(reader)
    except csv.Error as exc:  # a field past csv's limit (131,072 characters), a stray quote...
        raise InvalidInput(f"line {reader.reader.line_num}: not readable as CSV ({exc})") from None


def _owners(reader: csv.DictReader[str]) -> list[ServiceOwner]:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "functionality" not in header:
        raise InvalidInput(
            f"the CSV needs a header line with a 'functionality' column; columns: {', '.join(CSV_COLUMNS)}"
        )
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput(f"unknown CSV column {quote_input(unknown[0])}: use {', '.join(CSV_COLUMNS)}")
    repeated = [name for position, name in enumerate(header) if name in header[:position]]
    if repeated:
        raise InvalidInput(f"the CSV header names the column {quote_input(repeated[0])} twice")
    reader.fieldnames = header
    owners = []
    for row in reader:
        if None in row:
            raise InvalidInput(f"line {reader.line_num}: more fields than the header names")
        values = {key: (value or "").strip() for key, value in row.items()}
        if not any(values.values()):
            continue
        if not values.get("functionality"):
            raise InvalidInput(f"line {reader.line_num}: the functionality is empty")
        if any("\x00" in value for value in values.values()):
            raise InvalidInput(f"line {reader.line_num}: holds a NUL character")
        for key, value in values.items():
            check_text(f"service_owner.{key}", value, label=f"line {reader.line_num}: the {key}")
        owners.append(ServiceOwner.model_validate(values))
    return owners


def import_ownership(store: Store, text: str) -> int:
    """Replace the ownership table with the CSV's rows; returns how many were read."""
    owners = parse_ownership_csv(text)
    with store.write() as session:
        session.exec(delete(ServiceOwner))
        session.add_all(owners)
    return len(owners)


def ownership(store: Store, functionality: str | None = None) -> list[ServiceOwner]:
    """Ownership rows, all or those whose functionality matches (case-insensitive)."""
    with store.read() as session:
        query = select(ServiceOwner).order_by(col(ServiceOwner.functionality), col(ServiceOwner.id))
        if functionality:
            # Compared lower-cased, not with LIKE: a `_` or `%` in a name is itself.
            query = query.where(sa.func.lower(col(ServiceOwner.functionality)) == functionality.strip().lower())
        return list(session.exec(query).all())


def owner_of(store: Store, ref: str) -> ServiceOwner | None:
    """The ownership row of incident `ref`'s functionality (the first, when several), or None."""
    from storage.ops.record import find_incident

    with store.read() as session:
        functionality = find_incident(session, ref).functionality
    rows = ownership(store, functionality)
    return rows[0] if rows else None
