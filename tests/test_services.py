"""Service ownership imported from CSV."""

from __future__ import annotations

import pytest

from storage.db import Store
from storage.errors import InvalidInput
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
