"""Seeded accounts: deterministic, realistic, and fast enough for a million contacts."""

from __future__ import annotations

import sys
import time

import pytest

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.state import Sandbox

ANCHOR = 1_790_000_000.0


def make(n: int, seed: int = 1) -> Sandbox:
    return Sandbox(SandboxConfig(contacts=n, seed=seed, anchor=ANCHOR, clock=lambda: ANCHOR + 3600))


def test_same_size_and_seed_same_account() -> None:
    a, b = make(300), make(300)
    ids = a.contact_ids(status="all")
    assert ids == b.contact_ids(status="all")
    assert [a.contact_json(c) for c in ids] == [b.contact_json(c) for c in ids]
    assert a.lists() == b.lists()


def test_other_seed_other_account() -> None:
    a, b = make(50, seed=1), make(50, seed=2)
    assert not set(a.contact_ids(status="all")) & set(b.contact_ids(status="all"))
    assert a.contact_json(a.contact_ids()[0]) != b.contact_json(b.contact_ids()[0])


def test_a_prefix_of_a_bigger_account_is_not_required_but_ids_are_unique() -> None:
    sb = make(3000)
    contacts = [sb.contact_json(c) for c in sb.contact_ids(status="all")]
    emails = [c["email_address"]["address"].lower() for c in contacts]
    assert len(set(emails)) == len(emails) == 3000
    assert len({c["contact_id"] for c in contacts}) == 3000
    sms = [c["sms_channel"]["sms_address"] for c in contacts if "sms_channel" in c]
    assert len(set(sms)) == len(sms) > 0


def test_realistic_shares_and_history() -> None:
    sb = make(5000)
    contacts = [sb.contact_json(c) for c in sb.contact_ids(status="all")]
    unsubscribed = [c for c in contacts if c["email_address"]["permission_to_send"] == "unsubscribed"]
    assert 0.08 <= len(unsubscribed) / len(contacts) <= 0.15
    assert 0.01 <= sum("deleted_at" in c for c in contacts) / len(contacts) <= 0.03
    sources = [c["email_address"]["opt_out_source"] for c in unsubscribed]
    assert 0.5 < sources.count("Contact") / len(sources) < 0.9
    assert any(c["email_address"].get("opt_out_reason") for c in unsubscribed)
    dates = sorted(c["email_address"]["opt_out_date"] for c in unsubscribed)
    assert dates[0][:4] in ("2024", "2025") and dates[-1][:7] == "2026-09"  # spread over the last two years
    rich = [c for c in contacts if all(c.get(k) for k in ("custom_fields", "phone_numbers", "street_addresses",
                                                          "taggings", "notes", "sms_channel"))]
    assert len(rich) >= 100
    assert all(c["created_at"] < c["updated_at"] or c["created_at"] == c["updated_at"] for c in contacts)
    assert len({c.get("company_name") for c in contacts}) > 500
    assert all(not c["list_memberships"] for c in contacts if "deleted_at" in c)


def test_small_sizes() -> None:
    assert make(0).contact_ids(status="all") == []
    assert len(make(1).contact_ids(status="all")) == 1


@pytest.mark.slow  # seeds 1,000,000 contacts
def test_a_million_contacts_start_fast_and_small() -> None:
    started = time.perf_counter()
    sb = make(1_000_000)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed
    ix = sb.records.index
    columns = (ix.perm, ix.flags, ix.sms, ix.lists, ix.tags, ix.created, ix.updated, ix.optout)
    assert sum(sys.getsizeof(c) for c in columns) < 40 * 2**20
    assert not any(sb.records.touched(s) for s in range(0, 1_000_000, 997))
    last = sb.records.contact_id(999_999)
    assert sb.contact_json(last)["contact_id"] == last
    address = sb.contact_json(last)["email_address"]["address"]
    assert sb.records.seq_by_email(address.upper()) == 999_999
