"""Service ownership imported from CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.style import Style

from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput
from storage.policy import Policy
from storage.services import import_ownership, ownership

CSV = """functionality,service,team,paging_url,vendor
checkout,payments-api,Payments,https://pager.example.com/payments,
checkout,eu-gateway,Edge,https://pager.example.com/edge,
card processing,,,,Acme Cards
"""


def test_import_replaces_the_table_and_looks_up(store: Store) -> None:
    assert import_ownership(store, CSV) == 3
    assert [o.service for o in ownership(store, "Checkout")] == ["payments-api", "eu-gateway"]
    assert import_ownership(store, "functionality,team\nsearch,Discovery\n") == 1
    assert [(o.functionality, o.team) for o in ownership(store)] == [("search", "Discovery")]


def test_a_lookup_matches_the_name_itself_not_as_a_pattern(store: Store) -> None:
    import_ownership(store, "functionality,team\ncheck_out,Payments\ncheckXout,Other\nsearch%,Discovery\nÄpfel,Fruit\n")
    assert [o.team for o in ownership(store, "check_out")] == ["Payments"]
    assert [o.team for o in ownership(store, "search%")] == ["Discovery"]
    assert ownership(store, "search") == [] and ownership(store, "%") == []
    assert [o.team for o in ownership(store, " CHECK_OUT ")] == ["Payments"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service,team\napi,Core\n", "'functionality' column"),
        ("functionality,colour\nx,red\n", "unknown CSV column 'colour'"),
        ("functionality,team\n,Core\n", "line 2: the functionality is empty"),
        ("functionality\nx,y\n", "line 2: more fields"),
    ],
)
def test_bad_csv_is_refused_and_keeps_the_old_rows(store: Store, text: str, message: str) -> None:
    import_ownership(store, CSV)
    with pytest.raises(InvalidInput, match=message):
        import_ownership(store, text)
    assert len(ownership(store)) == 3


def test_the_owner_of_an_incident_follows_its_functionality(store: Store) -> None:
    from storage import ops
    from storage.services import owner_of

    ref = ops.declare(store, severity=2, functionality="Checkout", state="failing", audience="all").ref
    assert owner_of(store, ref) is None
    import_ownership(store, CSV)
    owner = owner_of(store, ref)
    assert owner is not None and (owner.team, owner.paging_url) == ("Payments", "https://pager.example.com/payments")
    ops.set_facts(store, ref, functionality="search")
    assert owner_of(store, ref) is None


async def test_the_header_shows_the_owning_team_and_follows_a_corrected_functionality(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    from screens.command import CommandScreen
    from storage import ops
    from storage.demo import build_demo
    from tests.waiting import until
    from tui.app import WarroomApp
    from widgets.incident_header import IncidentHeader

    with Store(tmp_path / "owned.db", policy=policy, clock=clock) as store:
        import_ownership(store, CSV + "search,search-api,Discovery,javascript:alert(1),\n")
        ref = build_demo(store)  # checkout is failing for EU customers
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(140, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, CommandScreen)
            header = screen.query_one(IncidentHeader)
            await until(pilot, lambda: header.owner == "Payments", what="the owning team")
            assert "owner Payments" in str(header.render())
            assert header.owner_link == "https://pager.example.com/payments"
            assert "https://pager.example.com/payments" in _links(header)
            ops.set_facts(store, ref, functionality="search")
            screen.poll_now()
            await until(pilot, lambda: header.owner == "Discovery", what="the new owner")
            assert "owner Discovery" in str(header.render())
            assert _links(header) == []  # a javascript: link is not handed to the terminal


def _links(header: object) -> list[str]:
    from widgets.incident_header import IncidentHeader

    assert isinstance(header, IncidentHeader)
    return [span.style.link for span in header.render().spans if isinstance(span.style, Style) and span.style.link]
