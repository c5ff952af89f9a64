"""Fixtures for store tests: a fresh SQLite file per test and a contact factory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccdesk.store import DeskDatabase

LIST_A = "11111111-1111-4111-8111-111111111111"
LIST_B = "22222222-2222-4222-8222-222222222222"
LIST_C = "33333333-3333-4333-8333-333333333333"

_MISSING: Any = object()


def cid(n: int) -> str:
    """A stable contact UUID for test contact number ``n``."""
    return str(uuid.UUID(int=n, version=4))


def make_contact(
    n: int,
    *,
    email: str | None = _MISSING,
    first: str | None = None,
    last: str | None = None,
    company: str | None = None,
    permission: str | None = "implicit",
    lists: list[str] | None = _MISSING,
    deleted_at: str | None = None,
    opt_out_date: str | None = None,
    opt_out_source: str | None = None,
    opt_out_reason: str | None = None,
    updated_at: str = "2024-01-01T00:00:00Z",
    email_updated_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ContactResource-shaped dict. ``lists=None`` leaves ``list_memberships`` out entirely."""
    contact: dict[str, Any] = {"contact_id": cid(n)}
    address = f"person{n}@example.com" if email is _MISSING else email
    if address is not None:
        ea: dict[str, Any] = {
            "address": address,
            "permission_to_send": permission,
            "created_at": "2023-01-01T00:00:00Z",
            "updated_at": email_updated_at or updated_at,
            "opt_in_source": "Account",
            "opt_in_date": "2023-01-01T00:00:00Z",
            "confirm_status": "off",
        }
        if opt_out_date is not None:
            ea["opt_out_date"] = opt_out_date
            ea["opt_out_source"] = opt_out_source or "Contact"
        if opt_out_reason is not None:
            ea["opt_out_reason"] = opt_out_reason
        contact["email_address"] = ea
    if first is not None:
        contact["first_name"] = first
    if last is not None:
        contact["last_name"] = last
    if company is not None:
        contact["company_name"] = company
    contact["created_at"] = "2023-01-01T00:00:00Z"
    contact["updated_at"] = updated_at
    if deleted_at is not None:
        contact["deleted_at"] = deleted_at
    member_of = [LIST_A] if lists is _MISSING else lists
    if member_of is not None:
        contact["list_memberships"] = member_of
    contact.update(extra)
    return contact


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ccdesk.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[DeskDatabase]:
    with DeskDatabase(db_path) as s:
        yield s


def facet_truth(store: DeskDatabase) -> dict[tuple[str, str], int]:
    """facet_counts recomputed from scratch, to compare with the trigger-maintained table."""
    conn = store.connection
    truth: dict[tuple[str, str], int] = {}
    for status, n in conn.execute("SELECT status, count(*) FROM contacts GROUP BY status"):
        truth[("", status)] = n
    for list_id, status, n in conn.execute(
        "SELECT m.list_id, c.status, count(*) FROM memberships m JOIN contacts c ON c.id = m.contact_rowid "
        "GROUP BY m.list_id, c.status"
    ):
        truth[(list_id, status)] = n
    return truth


def facet_stored(store: DeskDatabase) -> dict[tuple[str, str], int]:
    rows = store.connection.execute("SELECT list_id, status, n FROM facet_counts WHERE n <> 0")
    return {(lid, st): n for lid, st, n in rows}


def assert_consistent(store: DeskDatabase) -> None:
    """Derived structures agree with the base tables: facet counters and the FTS index."""
    assert facet_stored(store) == facet_truth(store)
    store.connection.execute("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('integrity-check', 1)")
