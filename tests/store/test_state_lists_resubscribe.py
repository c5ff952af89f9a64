"""Sync checkpoints and transactions, lists, resubscribe requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ccdesk.store import DeskDatabase
from tests.store.conftest import LIST_A, LIST_B, LIST_C, cid, make_contact

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def test_state_get_set_delete(store: DeskDatabase) -> None:
    assert store.get_state("optout_checkpoint") is None
    store.set_state("optout_checkpoint", "2024-06-01T00:00:00Z")
    store.set_state("optout_checkpoint", "2024-06-02T00:00:00Z")
    assert store.get_state("optout_checkpoint") == "2024-06-02T00:00:00Z"
    store.set_state("optout_checkpoint", None)
    assert store.get_state("optout_checkpoint") is None


def test_page_and_checkpoint_commit_together(store: DeskDatabase) -> None:
    store.upsert_contacts([make_contact(1)], T0, state={"full_pull.cursor": "abc", "full_pull.done": "0"})
    assert store.get_state("full_pull.cursor") == "abc"
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_contacts([make_contact(2)], T0)
        store.set_state("full_pull.cursor", "def")
        raise RuntimeError("cancelled mid-page")
    assert store.get_state("full_pull.cursor") == "abc"
    assert store.get_contact(cid(2)) is None


def test_nested_transaction_rolls_back_inner_only(store: DeskDatabase) -> None:
    with store.transaction():
        store.set_state("a", "1")
        with pytest.raises(KeyError), store.transaction():
            store.set_state("b", "2")
            raise KeyError("inner")
        store.set_state("c", "3")
    assert (store.get_state("a"), store.get_state("b"), store.get_state("c")) == ("1", None, "3")


def test_lists_with_member_counts(store: DeskDatabase) -> None:
    store.upsert_lists(
        [
            {
                "list_id": LIST_B,
                "name": "beta",
                "favorite": True,
                "membership_count": 7,
                "created_at": "2024-01-01T00:00:00-05:00",
            },
            {"list_id": LIST_A, "name": "Alpha", "description": "first"},
            {"list_id": LIST_C, "name": "gone", "deleted_at": "2024-05-01T00:00:00Z"},
        ]
    )
    store.upsert_contacts(
        [make_contact(1, lists=[LIST_A, LIST_B]), make_contact(2, lists=[LIST_A]), make_contact(3, lists=[LIST_C])], T0
    )
    rows = store.lists()
    assert [(r.name, r.member_count) for r in rows] == [("Alpha", 2), ("beta", 1)]
    assert rows[1].favorite and rows[1].membership_count == 7
    assert rows[1].created_at == datetime(2024, 1, 1, 5, tzinfo=UTC)
    assert [r.name for r in store.lists(include_deleted=True)] == ["Alpha", "beta", "gone"]
    # A later read without membership_count keeps the one we had.
    store.upsert_lists([{"list_id": LIST_B, "name": "Beta"}])
    assert store.lists()[1].membership_count == 7 and store.lists()[1].name == "Beta"
    with pytest.raises(ValueError):
        store.upsert_lists([{"name": "no id"}])


def test_resubscribe_requests(store: DeskDatabase) -> None:
    store.upsert_contacts([make_contact(1, permission="unsubscribed", opt_out_date="2024-01-01T00:00:00Z")], T0)
    assert store.resubscribe_requested_at(cid(1)) is None
    at = datetime(2024, 6, 3, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    store.record_resubscribe_request(cid(1), at, [LIST_A], actor="carol")
    assert store.resubscribe_requested_at(cid(1)) == at
    row = store.get_contact(cid(1))
    assert row is not None and row.resubscribe_requested_at == at
    assert store.search("")[0].resubscribe_requested_at == at
