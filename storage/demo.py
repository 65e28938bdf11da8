"""A realistic incident in progress, for `warroom demo` and for trying things out."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import ops
from storage.db import Store


def build_demo(store: Store) -> str:
    """Fill `store` with a SEV1 about 50 minutes old and a resolved SEV2; return the SEV1's ref."""
    now = store.now()

    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    old = ops.declare(
        store, severity=2, functionality="search", state="slow", audience="all customers",
        at=now - timedelta(days=2, hours=3), ic="Priya Natarajan", author="Priya Natarajan",
        customer_impact="Search results took 5-10 s to load", quantity_impacted="All",
    )
    milestones = (
        ("started", 51.5), ("detected", 51.2), ("acknowledged", 51.1), ("mitigated", 50.2), ("resolved", 49.8)
    )
    for name, hours in milestones:
        ops.set_milestone(store, old.ref, name, at=now - timedelta(hours=hours), author="Priya Natarajan")
    ops.add_action_item(store, old.ref, "Alert on search p99 latency above 2 s", owner="Tomás Ruiz", priority="P1")

    incident = ops.declare(
        store, severity=2, functionality="checkout", state="failing", audience="EU customers",
        at=ago(46), ic="Dana Okafor", author="Dana Okafor",
        customer_impact="Card payments fail with an error at the last checkout step",
        quantity_impacted="Some", known_impacted_customers="Northwind Traders\nFabrikam",
    )
    ref = incident.ref
    ops.set_milestone(store, ref, "started", at=ago(58), author="Dana Okafor")
    ops.set_milestone(store, ref, "detected", at=ago(51), author="Dana Okafor")
    ops.set_milestone(store, ref, "acknowledged", at=ago(49), author="Dana Okafor")
    ops.assign_role(store, ref, "scribe", "Lee Chen", at=ago(45), author="Dana Okafor")
    ops.assign_role(store, ref, "sme", "Marta Kowalski", at=ago(44), note="payments-api", author="Dana Okafor")
    ops.assign_role(store, ref, "sme", "Sam Whitfield", at=ago(40), note="eu-gateway", author="Dana Okafor")
    ops.assign_role(store, ref, "customer_liaison", "Ana Souza", at=ago(38), author="Dana Okafor")
    lines = [
        (50, "!Pager: checkout error rate above 5% in eu-west https://grafana.example.com/d/checkout"),
        (47, "/query error rate by region: eu-west 18%, us-east 0.3%"),
        (44, "/action Marta rolling back payments-api 4.12 to 4.11"),
        (41, "Rollback finished, error rate unchanged"),
        (39, "/decision Treat as SEV1: SLA for card payments will be breached within the hour"),
        (33, "/query gateway logs show TLS handshake failures to the card processor https://logs.example.com/q/8812"),
        (30, "!Card processor rotated its intermediate certificate at 10:02 UTC"),
        (24, "/action Sam pinning the new intermediate on eu-gateway canary"),
        (18, "/todo Alert on TLS handshake failures per upstream"),
        (12, "Canary healthy: 0 handshake failures in 5 minutes"),
        (6, "/action Rolling the pinned certificate to all eu-gateway nodes"),
    ]
    for minutes, line in lines:
        if minutes == 39:
            ops.change_severity(store, ref, 1, at=ago(39), author="Dana Okafor")
        ops.log(store, ref, line, at=ago(minutes), author="Lee Chen")
    ops.set_milestone(store, ref, "investigating", at=ago(45), author="Dana Okafor")
    ops.record_status_update(
        store, ref, channel="internal", kind="initial", subject="SEV2 Incident - checkout is failing for EU customers",
        at=ago(40), author="Dana Okafor",
    )
    ops.record_status_update(store, ref, channel="status_page", kind="investigating", at=ago(36), author="Ana Souza")
    ops.record_status_update(store, ref, channel="checkin", kind="checkin", at=ago(26), author="Dana Okafor")
    ops.record_status_update(store, ref, channel="internal", kind="update", at=ago(14), author="Dana Okafor")
    ops.set_status(store, ref, "identified", at=ago(29), author="Dana Okafor")
    return ref
