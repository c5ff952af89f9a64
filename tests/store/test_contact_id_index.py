"""The contact-id key as a named index (schema v5): an old file migrates with its data, and the account's first full
read into an empty cache runs without the index, keeping the newest copy of a contact its pages repeat."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ccdesk.store import DeskDatabase, contact_id_key, full_read
from ccdesk.store import contacts as store_contacts
from ccdesk.store import sqlite_file as dbmod
from ccdesk.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from ccdesk.store.timeutil import utcnow
from tests.store.conftest import LIST_A, LIST_B, LIST_C, assert_consistent, cid, facet_stored, make_contact
from tests.store.test_first_read_store import QUERIES, _pages

TABLES = ("contacts", "contact_json", "memberships", "facet_counts")


def _v4_file(path: Path, contacts: list[dict[str, Any]], *, mid_first_read: bool) -> None:
    """A cache as ccdesk with schema v4 left it (the contact id an inline UNIQUE constraint)."""
    conn = dbmod.connect(path)
    migrate(conn, str(path), MIGRATIONS[:4])
    conn.execute("BEGIN IMMEDIATE")
    if mid_first_read:
        full_read.begin(conn)
    store_contacts.upsert_contacts(conn, contacts, utcnow())
    conn.execute("COMMIT")
    conn.close()


def _dump(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def _same_matches(got: DeskDatabase, want: DeskDatabase) -> None:
    """The same contacts match (in an order that may differ among equal names: a kept copy has a new rowid)."""
    for q in QUERIES:
        for kw in ({}, {"status": "unsubscribed"}):
            mine = [c.contact_id for c in got.search(q, limit=5_000, **kw)]  # type: ignore[arg-type]
            theirs = [c.contact_id for c in want.search(q, limit=5_000, **kw)]  # type: ignore[arg-type]
            assert sorted(mine) == sorted(theirs), (q, kw)
        assert got.count(q) == want.count(q), q
        assert got.status_counts(q) == want.status_counts(q), q
        assert got.list_counts(q) == want.list_counts(q), q
    assert facet_stored(got) == facet_stored(want)


def _contacts_schema(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'contacts' AND type IN ('index', 'trigger')")}


@pytest.mark.parametrize("in_place", [True, False], ids=["in place", "table copied"])
@pytest.mark.parametrize("mid_first_read", [False, True], ids=["complete", "mid first read"])
def test_a_version_4_file_migrates_with_its_data(tmp_path: Path, mid_first_read: bool, in_place: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if not in_place:  # as when SQLite refuses schema edits
        monkeypatch.setattr(contact_id_key, "_in_place", lambda conn: False)
    path = tmp_path / "old.sqlite3"
    people = [make_contact(i, first=f"Ann{i}", lists=[LIST_A, LIST_B][: i % 3]) for i in range(1, 40)]
    people.append(make_contact(40, permission="unsubscribed", opt_out_date="2024-02-01T00:00:00Z"))
    _v4_file(path, people, mid_first_read=mid_first_read)
    old = sqlite3.connect(path)
    before, objects = _dump(old), _contacts_schema(old)
    (root,) = old.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_contacts_1'").fetchone()
    assert "sqlite_autoindex_contacts_1" in objects  # the inline UNIQUE constraint
    old.close()
    with DeskDatabase(path) as db:
        conn = db.connection
        assert user_version(conn) == SCHEMA_VERSION >= 5
        assert _dump(conn) == before  # every row kept, rowids included (memberships and the search index use them)
        assert _contacts_schema(conn) == objects - {"sqlite_autoindex_contacts_1"} | {full_read.CONTACT_ID}
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (now,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (full_read.CONTACT_ID,)).fetchone()
        assert (now == root) is in_place  # in place: the constraint's index, renamed
        assert "UNIQUE" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'contacts'").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO contacts (contact_id, status, sort_name, search_doc, fetched_at) "
                         "VALUES (?, 'mailable', '', '', '')", (cid(1),))
        assert db.search_ready() is not mid_first_read  # a first read in progress stays marked
        if mid_first_read:
            db.store_full_read_pages([[make_contact(41)]], last=True)
        assert_consistent(db)
        assert [c.contact_id for c in db.search("ann12")] == [cid(12)]
        assert db.get_contact(cid(40)) is not None and db.get_contact(cid(40)).status == "unsubscribed"  # type: ignore[union-attr]
        db.upsert_contacts([make_contact(3, first="Bea", updated_at="2025-01-01T00:00:00Z", lists=[LIST_C])])
        assert db.count() == (41 if mid_first_read else 40)
        assert db.get_contact(cid(3)).list_ids == (LIST_C,)  # type: ignore[union-attr]
        assert_consistent(db)


def test_a_first_read_into_an_empty_cache_keeps_the_newest_copy_of_a_repeated_contact(tmp_path: Path) -> None:
    lists, pages = _pages(1_200)
    lists += [{"list_id": lid, "name": lid[:4]} for lid in (LIST_A, LIST_B, LIST_C)]
    first = pages[0][7]
    newer = {**first, "first_name": "Quintessa", "updated_at": "2031-01-01T00:00:00Z", "list_memberships": [LIST_C]}
    older = {**pages[1][3], "first_name": "Stale", "updated_at": "2001-01-01T00:00:00Z", "list_memberships": []}
    answered = {**pages[2][5], "first_name": "Answered", "updated_at": "2032-01-01T00:00:00Z",
                "list_memberships": [LIST_A, LIST_B]}
    # The service's pages repeat three contacts: one changed since (newer), one older snapshot after a newer one,
    # and one that an action's answer stored newer meanwhile; and a group is stored twice (its process died).
    repeats = [[newer, older, {**pages[2][5], "list_memberships": [LIST_C]}], pages[3]]
    groups = [pages[0:3], pages[3:6], repeats, pages[6:12]]
    with DeskDatabase(tmp_path / "ref.sqlite3") as ref, DeskDatabase(tmp_path / "first.sqlite3") as db:
        ref.upsert_lists(lists)
        db.upsert_lists(lists)
        for page in [p for group in groups[:2] for p in group]:
            ref.upsert_contacts(page)
        ref.upsert_contacts([answered])
        for page in [p for group in groups[2:] for p in group]:
            ref.upsert_contacts(page)
        db.begin_full_read()
        assert not full_read.ids_indexed(db.connection)
        for i, group in enumerate(groups):
            if i == 2:
                db.upsert_contacts([answered])  # not a first-read page: looks the contact up (a scan) and updates it
                assert db.connection.execute("SELECT count(*) FROM contacts").fetchone()[0] == 600
            db.store_full_read_pages(group, state={"link": f"next{i}"}, last=i == len(groups) - 1)
        assert full_read.ids_indexed(db.connection) and db.search_ready()
        ids = [r[0] for r in db.connection.execute("SELECT contact_id FROM contacts")]
        assert len(ids) == len(set(ids)) == 1_200
        assert db.get_contact(first["contact_id"]).first_name == "Quintessa"  # type: ignore[union-attr]
        assert db.get_contact(first["contact_id"]).list_ids == (LIST_C,)  # type: ignore[union-attr]
        assert db.get_contact(older["contact_id"]).first_name != "Stale"  # type: ignore[union-attr]
        got = db.get_contact(answered["contact_id"])
        assert got is not None and got.first_name == "Answered" and got.list_ids == tuple(sorted([LIST_A, LIST_B]))
        assert_consistent(db)
        _same_matches(db, ref)
        assert [c.contact_id for c in db.search("quintessa")] == [first["contact_id"]]
        assert db.search("stale") == []
        for contact_id in ids:  # every field as a page-by-page read left it (but when it was last fetched)
            mine, theirs = db.get_contact(contact_id), ref.get_contact(contact_id)
            assert mine is not None and theirs is not None
            assert replace(mine, fetched_at=theirs.fetched_at) == theirs and mine.raw == theirs.raw
        orphans = "SELECT count(*) FROM memberships m LEFT JOIN contacts c ON c.id = m.contact_rowid WHERE c.id IS NULL"
        assert db.connection.execute(orphans).fetchone()[0] == 0
        assert db.connection.execute("SELECT count(*) FROM contact_json").fetchone()[0] == 1_200


def test_a_first_read_resumed_after_a_kill_finds_the_index_dropped_and_ends_correct(tmp_path: Path) -> None:
    lists, pages = _pages(900)
    path = tmp_path / "cache.sqlite3"
    with DeskDatabase(path) as ref:
        ref.upsert_lists(lists)
        for page in pages:
            ref.upsert_contacts(page)
        want = facet_stored(ref)
    path = tmp_path / "first.sqlite3"
    with DeskDatabase(path) as db:
        db.upsert_lists(lists)
        db.begin_full_read()
        db.store_full_read_pages(pages[:4], state={"link": "page5"})
    # ... killed here; the desk starts again and resumes the read, storing the last group again (it did not know
    # it had committed), into a cache that is not empty any more.
    with DeskDatabase(path) as db:
        assert not full_read.ids_indexed(db.connection) and db.count() == 400
        db.begin_full_read()
        assert not full_read.ids_indexed(db.connection)
        db.store_full_read_pages(pages[2:], state={"link": None}, last=True)
        assert full_read.ids_indexed(db.connection)
        assert db.count() == 900
        assert facet_stored(db) == want
        assert_consistent(db)
        for contact in pages[3]:
            assert [r.contact_id for r in db.search(contact["email_address"]["address"])] == [contact["contact_id"]]


def test_a_first_read_into_a_cache_with_contacts_keeps_looking_them_up(tmp_path: Path) -> None:
    lists, pages = _pages(300)
    with DeskDatabase(tmp_path / "cache.sqlite3") as db:
        db.upsert_lists(lists)
        db.upsert_contacts(pages[0])  # e.g. an address added before the first read started
        db.begin_full_read()
        assert full_read.ids_indexed(db.connection)
        db.store_full_read_pages(pages, state={"link": None}, last=True)
        assert db.count() == 300
        assert_consistent(db)
    with DeskDatabase(tmp_path / "slow.sqlite3") as db:  # at the real rate limit the index stays, even empty
        db.begin_full_read(defer_search=False)
        assert full_read.ids_indexed(db.connection)
