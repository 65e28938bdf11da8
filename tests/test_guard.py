"""Destructive changes ask first and can be undone: restoring a strike, refusing an edit made
from an older revision, and who each change is credited to (storage, on both backends)."""

from __future__ import annotations

import pytest

from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import EditConflict, InvalidInput
from storage.identity import Identity
from storage.policy import Policy
from tests.test_ops import declare


def test_a_strike_is_restored_and_both_are_kept_with_who_made_them(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    event = ops.log(store, ref, "!/decision roll back payments-api", author="Lee Chen")
    clock.advance(minutes=1)
    struck = ops.strike_event(store, ref, event.seq)  # the store's user: the person at the keyboard
    assert struck.struck and struck.author == "Lee Chen"
    clock.advance(minutes=1)
    restored = ops.restore_event(store, ref, event.seq, author="Dana Okafor")
    assert not restored.struck and restored.revision == 3
    assert (restored.kind, restored.key, restored.text) == ("decision", True, "roll back payments-api")
    history = ops.event_history(store, ref, event.seq)
    assert [(r.revision, r.struck, r.replaced_by) for r in history] == [(1, False, "tester"), (2, True, "Dana Okafor")]
    with pytest.raises(InvalidInput, match=f"event #{event.seq} is not struck"):
        ops.restore_event(store, ref, event.seq)
    assert len(ops.event_history(store, ref, event.seq)) == 2  # refused: nothing kept
    ops.strike_event(store, ref, event.seq)  # struck again: a strike can be made after a restore
    assert ops.timeline(store, ref)[-1].struck


def test_an_edit_from_an_older_revision_is_refused_with_both_texts(
    store: Store, policy: Policy, clock: FrozenClock
) -> None:
    """Two terminals on one database open revision 1; the first saves, the second is refused."""
    lee = store  # tester
    with Store(store.url, policy=policy, clock=clock, identity=Identity("Ana Souza", "--as")) as ana:
        ref = declare(lee)
        event = ops.log(lee, ref, "gatway restarted")
        opened_at = event.revision
        ops.edit_event(lee, ref, event.seq, "!gateway restarted", expected_revision=opened_at)
        with pytest.raises(EditConflict) as refused:
            ops.edit_event(ana, ref, event.seq, "gateway restarted on eu-1", expected_revision=opened_at)
        conflict = refused.value
        assert (conflict.seq, conflict.expected, conflict.revision) == (event.seq, 1, 2)
        assert (conflict.theirs, conflict.yours, conflict.by, conflict.struck) == (
            "!gateway restarted", "gateway restarted on eu-1", "tester", False
        )
        assert "changed since you opened it" in str(conflict) and "\n" not in str(conflict)
        current = ops.timeline(ana, ref)[-1]
        assert (current.text, current.revision) == ("gateway restarted", 2)  # nothing overwritten
        ops.edit_event(ana, ref, event.seq, "!gateway restarted on eu-1", expected_revision=2)  # applied again
        assert [r.replaced_by for r in ops.event_history(lee, ref, event.seq)] == ["tester", "Ana Souza"]
        # A strike from the older revision meets the same refusal; one from the current works.
        with pytest.raises(EditConflict, match="revision 2; now 3, by Ana Souza"):
            ops.strike_event(lee, ref, event.seq, expected_revision=2)
        ops.strike_event(lee, ref, event.seq, expected_revision=3)
        with pytest.raises(EditConflict) as struck_meanwhile:
            ops.edit_event(ana, ref, event.seq, "again", expected_revision=3)
        assert struck_meanwhile.value.struck and struck_meanwhile.value.by == "tester"


def test_a_release_is_credited_to_whoever_releases(store: Store) -> None:
    ref = declare(store, ic="Dana Okafor")
    ops.release_role(store, ref, "ic", "Dana Okafor")
    last = ops.timeline(store, ref)[-1]
    assert (last.kind, last.text, last.author) == ("role", "Dana Okafor stepped down as Incident Commander", "tester")
