"""Upserting contact pages: counts, idempotency, opt-out detection, raw JSON, memberships, staleness."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from ccdesk.store import DeskDatabase, Status
from tests.store.conftest import LIST_A, LIST_B, LIST_C, assert_consistent, cid, make_contact

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def test_insert_then_idempotent(store: DeskDatabase) -> None:
    page = [make_contact(i, first=f"N{i}") for i in range(1, 6)]
    page.append(make_contact(6, permission="unsubscribed", opt_out_date="2024-05-01T00:00:00Z"))
    first = store.upsert_contacts(page, T0)
    assert (first.inserted, first.updated, first.unchanged, first.stale) == (6, 0, 0, 0)
    assert first.new_optouts == [cid(6)]
    snapshot = store.connection.execute("SELECT * FROM contacts ORDER BY id").fetchall()

    second = store.upsert_contacts(copy.deepcopy(page), T0)
    assert (second.inserted, second.updated, second.unchanged, second.new_optouts) == (0, 0, 6, [])
    assert store.connection.execute("SELECT * FROM contacts ORDER BY id").fetchall() == snapshot
    assert_consistent(store)


def test_update_counts_and_fetched_at(store: DeskDatabase) -> None:
    store.upsert_contacts([make_contact(1, first="Ann"), make_contact(2)], T0)
    later = datetime(2024, 7, 1, tzinfo=UTC)
    result = store.upsert_contacts(
        [make_contact(1, first="Anne", updated_at="2024-02-01T00:00:00Z"), make_contact(2)], later
    )
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    one, two = store.get_contact(cid(1)), store.get_contact(cid(2))
    assert one is not None and two is not None
    assert one.first_name == "Anne"
    assert one.fetched_at == two.fetched_at == later  # unchanged rows are still marked as seen


def test_new_optout_detection(store: DeskDatabase) -> None:
    store.upsert_contacts([make_contact(1), make_contact(2)], T0)
    became = make_contact(
        1, permission="unsubscribed", opt_out_date="2024-05-01T12:00:00+02:00", updated_at="2024-05-01T10:00:00Z"
    )
    assert store.upsert_contacts([became, make_contact(2)], T0).new_optouts == [cid(1)]
    assert store.upsert_contacts([became], T0).new_optouts == []
    # Still unsubscribed, only the reason text arrives later: not a new opt-out.
    same = copy.deepcopy(became)
    same["email_address"]["opt_out_reason"] = "moved"
    same["email_address"]["updated_at"] = "2024-05-02T00:00:00Z"
    assert store.upsert_contacts([same], T0).new_optouts == []
    # Resubscribed and left again between two syncs: a newer opt-out date is a new opt-out.
    again = copy.deepcopy(same)
    again["email_address"]["opt_out_date"] = "2024-09-01T00:00:00Z"
    again["email_address"]["updated_at"] = "2024-09-01T00:00:00Z"
    assert store.upsert_contacts([again], T0).new_optouts == [cid(1)]
    # Resubscribed (by the contact's own confirmation): not an opt-out.
    back = make_contact(1, permission="explicit", updated_at="2024-10-01T00:00:00Z")
    assert store.upsert_contacts([back], T0).new_optouts == []
    row = store.get_contact(cid(1))
    assert row is not None and row.status is Status.MAILABLE


def test_raw_json_roundtrip_exact(store: DeskDatabase) -> None:
    contact = make_contact(
        1,
        first="Zoë 🎉",
        last="Ó Briain",
        company='Acme "Quotes" \\ Back',
        lists=[LIST_B, LIST_A],
        custom_fields=[{"custom_field_id": "cf-1", "value": "日本語", "choice_ids": []}],
        phone_numbers=[{"phone_number": "+1 555", "kind": "home"}],
        street_addresses=[],
        taggings=["t1"],
        notes=[{"note_id": "n1", "content": "line1\nline2\ttab\u2028sep", "created_at": "2024-01-01T00:00:00Z"}],
        sms_channel={"sms_address": "555", "sms_channel_consents": []},
        birthday_month=2,
        anniversary="2006-11-15",
        some_future_field={"nested": [1, 2.5, None, True, {"x": "y"}]},
    )
    contact["email_address"]["unknown_inner"] = "kept"
    original = copy.deepcopy(contact)
    store.upsert_contacts([contact], T0)
    row = store.get_contact(cid(1))
    assert row is not None and row.raw is not None
    assert row.raw == original
    assert list(row.raw) == list(original)  # key order kept too
    assert json.dumps(row.raw, ensure_ascii=False) == json.dumps(original, ensure_ascii=False)
    assert row.list_ids == tuple(sorted([LIST_A, LIST_B]))
    by_email = store.get_contact_by_email("PERSON1@example.COM ")
    assert by_email is not None and by_email.raw == original


def test_columns_from_json(store: DeskDatabase) -> None:
    store.upsert_contacts(
        [
            make_contact(1, first="Ann", last="Lee", company="Acme", permission="unsubscribed",
                         opt_out_date="2024-03-01T10:00:00-05:00", opt_out_source="Account",
                         opt_out_reason="asked by phone", job_title="CTO")
        ],
        T0,
    )
    row = store.get_contact(cid(1))
    assert row is not None
    assert (row.first_name, row.last_name, row.company, row.job_title) == ("Ann", "Lee", "Acme", "CTO")
    assert row.display_name == "Ann Lee"
    assert row.status is Status.UNSUBSCRIBED and row.permission_to_send == "unsubscribed"
    assert row.opt_out_date == datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
    assert (row.opt_out_source, row.opt_out_reason) == ("Account", "asked by phone")
    assert row.opt_in_date == datetime(2023, 1, 1, tzinfo=UTC)
    assert row.raw is not None and store.search()[0].raw is None  # search rows stay light
    assert store.get_contact("nope") is None and store.get_contact_by_email("nobody@x") is None


def test_memberships_absent_means_unknown(store: DeskDatabase) -> None:
    store.upsert_contacts([make_contact(1, lists=[LIST_A, LIST_B])], T0)
    # A page without include=list_memberships: keep what we know.
    store.upsert_contacts([make_contact(1, first="X", lists=None, updated_at="2024-02-01T00:00:00Z")], T0)
    row = store.get_contact(cid(1))
    assert row is not None and row.list_ids == tuple(sorted([LIST_A, LIST_B])) and row.lists_known
    # Present and empty: removed from all lists.
    store.upsert_contacts([make_contact(1, lists=[], updated_at="2024-03-01T00:00:00Z")], T0)
    row = store.get_contact(cid(1))
    assert row is not None and row.list_ids == () and row.status is Status.REMOVED
    # Never read at all: not "removed".
    store.upsert_contacts([make_contact(2, lists=None)], T0)
    row2 = store.get_contact(cid(2))
    assert row2 is not None and not row2.lists_known and row2.status is Status.MAILABLE
    assert_consistent(store)


def test_stale_snapshot_is_skipped(store: DeskDatabase) -> None:
    newer = make_contact(
        1, permission="unsubscribed", opt_out_date="2024-05-01T00:00:00Z", updated_at="2024-05-01T00:00:00Z"
    )
    store.upsert_contacts([newer], T0)
    older = make_contact(1, permission="implicit", updated_at="2024-04-30T23:59:59-01:00")  # = 05-01T00:59:59Z
    assert store.upsert_contacts([older], T0).updated == 1  # not older once normalised to UTC
    really_older = make_contact(1, permission="implicit", updated_at="2024-04-01T00:00:00Z")
    result = store.upsert_contacts([really_older], T0)
    assert (result.stale, result.updated) == (1, 0)


def test_duplicate_within_page_last_wins(store: DeskDatabase) -> None:
    result = store.upsert_contacts([make_contact(1, first="A"), make_contact(1, first="B")], T0)
    assert result.inserted == 1
    row = store.get_contact(cid(1))
    assert row is not None and row.first_name == "B"


def test_bad_record_rolls_back_whole_page(store: DeskDatabase) -> None:
    with pytest.raises(ValueError):
        store.upsert_contacts([make_contact(1), {"first_name": "no id"}], T0, state={"cursor": "x"})
    assert store.count() == 0
    assert store.get_state("cursor") is None


def test_random_operations_keep_counters_and_index_consistent(store: DeskDatabase) -> None:
    rnd = random.Random(7)
    perms = ["implicit", "explicit", "unsubscribed", "pending_confirmation", "temp_hold"]
    names = ["Ann", "Bob", "Zoë", "Łukasz", None]
    version = 0
    for _ in range(25):
        page = []
        for _ in range(20):
            version += 1
            n = rnd.randint(1, 40)
            lists_choice = rnd.choice([None, [], [LIST_A], [LIST_A, LIST_B], [LIST_C]])
            page.append(make_contact(n, first=rnd.choice(names), permission=rnd.choice(perms), lists=lists_choice,
                                     deleted_at=rnd.choice([None, None, "2024-01-02"]),
                                     updated_at=(T0 + timedelta(seconds=version)).isoformat()))
        store.upsert_contacts(page, T0)
    assert_consistent(store)
    counts = store.status_counts()
    assert (
        sum(counts.values())
        == store.count()
        == len({r[0] for r in store.connection.execute("SELECT id FROM contacts")})
    )


def test_many_addresses_at_once_match_one_by_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ccdesk.store.database import DeskDatabase
    from tests.benchmarks import store_fill as bench

    with DeskDatabase(tmp_path / "many.sqlite3") as store:
        bench.fill(store, 500, seed=4)
        emails = [r.email for r in store.search("", limit=120) if r.email]
        asked = [e.upper() for e in emails[:60]] + emails[60:] + ["nobody@nowhere.example"]
        found = store.get_contacts_by_emails(asked)
        assert set(found) == {e.lower() for e in emails}
        for email, row in found.items():
            one = store.get_contact_by_email(email)
            assert one is not None and one.contact_id == row.contact_id and one.status == row.status
            assert sorted(one.list_ids) == sorted(row.list_ids)
