"""The incident's facts: its title parts and what it does to customers, checked as the
record stores them and corrected after declaring (each change an event with the old and
new value)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from storage.db import Store
from storage.errors import FactsConflict, InvalidInput
from storage.limits import check_text
from storage.models import QUANTITIES, Incident
from storage.ops.record import choice, required, storable, title_of, writing

FACT_LABELS: dict[str, str] = {
    "customer_impact": "Customer impact",
    "quantity_impacted": "Customers impacted",
    "known_impacted_customers": "Known impacted customers",
}
"""The incident's facts other than its title and full outage, as the timeline names them."""


TITLE_PARTS = ("functionality", "state", "audience")
"""The parts of an incident's title, in the order the naming policy takes them."""


def checked_fact(name: str, value: str) -> str:
    """Fact `name` (`functionality`, `customer_impact`...) as the record stores it: stripped,
    the quantity one of `QUANTITIES`. Refused (InvalidInput, naming the fact) when a title
    part is empty, when it holds a NUL, or when it is longer than the record holds. Pure: a
    dialog checks what was typed with it before anything is written."""
    what = name.replace("_", " ")
    if name == "quantity_impacted":
        return choice(value, QUANTITIES, what)
    cleaned = required(value, what) if name in TITLE_PARTS else storable(value, what).strip()
    check_text(f"incident.{name}", cleaned)
    return cleaned


def checked_facts(**facts: str | None) -> dict[str, str]:
    """`checked_fact` of each fact given (None: not given, left out)."""
    return {name: checked_fact(name, value) for name, value in facts.items() if value is not None}


def _quoted(value: str) -> str:
    return f"“{value}”" if value else "(none)"


def set_facts(
    store: Store,
    ref: str,
    *,
    functionality: str | None = None,
    state: str | None = None,
    audience: str | None = None,
    customer_impact: str | None = None,
    quantity_impacted: str | None = None,
    known_impacted_customers: str | None = None,
    full_outage: bool | None = None,
    at: datetime | None = None,
    author: str | None = None,
    expected: Mapping[str, str | bool] | None = None,
) -> Incident:
    """Correct the incident's facts after declaring: its title parts (functionality, state,
    audience) and what it does to customers. Each fact that changes is an event giving the
    old and the new value (`facts`, its `detail` the field: `title`, `customer_impact`...);
    messages and the post-mortem read the current values. Refused when nothing changes.

    `expected`: the values the person saw when they typed theirs, by fact; when another
    writer has changed one of them since, nothing is written (`FactsConflict`, with the
    current values), checked in the same transaction as the write."""
    title_parts = checked_facts(functionality=functionality, state=state, audience=audience)
    facts = checked_facts(
        customer_impact=customer_impact, quantity_impacted=quantity_impacted,
        known_impacted_customers=known_impacted_customers,
    )
    if not title_parts and not facts and full_outage is None:
        raise InvalidInput("nothing to change: give a new title part, impact, quantity, customers or full outage")
    with writing(store, ref, at=at, author=author) as w:
        incident = w.incident
        _refuse_if_changed_since(incident, expected or {})
        changed = False
        old_title = title_of(store, incident)
        for name, value in title_parts.items():
            setattr(incident, name, value)
        new_title = title_of(store, incident)
        if new_title != old_title:
            w.event("facts", f"Title changed from {_quoted(old_title)} to {_quoted(new_title)}", detail="title")
            changed = True
        for name, value in facts.items():
            previous = getattr(incident, name)
            if previous != value:
                setattr(incident, name, value)
                text = f"{FACT_LABELS[name]} changed from {_quoted(previous)} to {_quoted(value)}"
                w.event("facts", text, key=True, detail=name)
                changed = True
        if full_outage is not None and incident.full_outage != full_outage:
            incident.full_outage = full_outage
            text = "Marked as a full outage" if full_outage else "No longer marked as a full outage"
            w.event("facts", text, key=True, detail="full_outage")
            changed = True
        if not changed:
            raise InvalidInput(f"{incident.ref} already has those facts: nothing changed")
        return incident


def _refuse_if_changed_since(incident: Incident, expected: Mapping[str, str | bool]) -> None:
    theirs = {name: getattr(incident, name) for name, seen in expected.items() if getattr(incident, name) != seen}
    if theirs:
        names = ", ".join(FACT_LABELS.get(name, name.replace("_", " ")).lower() for name in theirs)
        raise FactsConflict(f"{incident.ref}: changed by someone else meanwhile ({names}); nothing was changed",
                            theirs=theirs)


def set_impact(
    store: Store,
    ref: str,
    *,
    customer_impact: str | None = None,
    quantity_impacted: str | None = None,
    known_impacted_customers: str | None = None,
    full_outage: bool | None = None,
) -> Incident:
    """Update what the incident does to customers (`set_facts`, for those facts only)."""
    return set_facts(
        store, ref, customer_impact=customer_impact, quantity_impacted=quantity_impacted,
        known_impacted_customers=known_impacted_customers, full_outage=full_outage,
    )
