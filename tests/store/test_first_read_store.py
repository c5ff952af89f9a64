"""The account's first full read (issue 17): no search index row by row, built in one pass with the last page;
search, counts and name order meanwhile and after are the same as a cache filled page by page."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

from ccdesk.store import DeskDatabase
from tests.benchmarks.store_fill import synthetic_contacts

QUERIES = ["smith", "jo", "j", "gmail", "maria garcia", "nunez", "zzqxj", "acme"]


def _pages(n: int, size: int = 100) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    rnd = random.Random(5)
    lists = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(6)]
    contacts = list(synthetic_contacts(n, lists, seed=5))
    for contact in contacts[::50]:  # a page read without its lists: memberships unknown, not empty
        del contact["list_memberships"]
    return [{"list_id": lid, "name": f"L{i}"} for i, lid in enumerate(lists)], \
        [contacts[i:i + size] for i in range(0, n, size)]


def _indexed_docs(db: DeskDatabase) -> int:
    return int(db.connection.execute("SELECT count(*) FROM contacts_fts_docsize").fetchone()[0])


def _integrity(db: DeskDatabase) -> None:
    db.connection.execute("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('integrity-check', 1)")


def _same_answers(got: DeskDatabase, want: DeskDatabase) -> None:
    for q in QUERIES:
        for kw in ({}, {"status": "unsubscribed"}, {"sort": "email"}):
            mine = [c.contact_id for c in got.search(q, limit=5_000, **kw)]  # type: ignore[arg-type]
            assert mine == [c.contact_id for c in want.search(q, limit=5_000, **kw)], (q, kw)  # type: ignore[arg-type]
        assert got.count(q) == want.count(q), q
        assert got.status_counts(q) == want.status_counts(q), q
        assert got.list_counts(q) == want.list_counts(q), q
    assert got.status_counts() == want.status_counts()
    assert got.list_counts() == want.list_counts()
    facets = "SELECT list_id, status, n FROM facet_counts WHERE n <> 0 ORDER BY 1, 2"
    assert got.connection.execute(facets).fetchall() == want.connection.execute(facets).fetchall()


def _same_rows(got: DeskDatabase, want: DeskDatabase) -> None:
    """Every contact's columns, JSON and lists as a cache filled page by page has them (but where and when)."""
    columns = [r[1] for r in want.connection.execute("PRAGMA table_info(contacts)")
               if r[1] not in ("id", "fetched_at", "change_seq")]
    sql = (f"SELECT {', '.join('c.' + c for c in columns)}, j.raw_json, "
           "(SELECT group_concat(list_id) FROM (SELECT list_id FROM memberships m WHERE m.contact_rowid = c.id "
           "ORDER BY list_id)) FROM contacts c JOIN contact_json j ON j.id = c.id ORDER BY c.contact_id")
    assert got.connection.execute(sql).fetchall() == want.connection.execute(sql).fetchall()


def test_the_first_read_fills_the_search_index_once_at_its_end(tmp_path: Path) -> None:
    lists, pages = _pages(1_200)
    with DeskDatabase(tmp_path / "ref.sqlite3") as ref, DeskDatabase(tmp_path / "first.sqlite3") as db:
        ref.upsert_lists(lists)
        db.upsert_lists(lists)
        db.begin_full_read()
        assert not db.search_ready()
        for i in range(0, len(pages), 4):
            ref_group = pages[i:i + 4]
            for page in ref_group:
                ref.upsert_contacts(page)
            last = i + 4 >= len(pages)
            if last:
                # Meanwhile (before the last group): nothing in the search index, the same answers by a scan.
                assert _indexed_docs(db) == 0
                partial = DeskDatabase(tmp_path / "partial.sqlite3")
                partial.upsert_lists(lists)
                for page in pages[:i]:
                    partial.upsert_contacts(page)
                _same_answers(db, partial)
                partial.close()
            db.store_full_read_pages(ref_group, state={"link": None if last else f"next{i}"}, last=last)
        assert db.search_ready()
        assert _indexed_docs(db) == 1_200
        _integrity(db)
        _same_answers(db, ref)
        _same_rows(db, ref)
        every = [c for page in pages for c in page]
        for contact in every:  # each row is found by its own address, through the index
            address = contact["email_address"]["address"]
            assert [r.contact_id for r in db.search(address)] == [contact["contact_id"]]
        assert db.get_state("link") is None
        # change_seq moved with every page: the name ranks built now see every row
        assert db.connection.execute("SELECT count(*) FROM contacts WHERE change_seq = 0").fetchone()[0] == 0


def test_an_interrupted_first_read_stays_marked_and_the_next_one_builds_everything(tmp_path: Path) -> None:
    lists, pages = _pages(900)
    path = tmp_path / "cache.sqlite3"
    with DeskDatabase(path) as db:
        db.upsert_lists(lists)
        db.begin_full_read()
        db.store_full_read_pages(pages[:3], state={"link": "page4"})
    # ... the process died here. Reopened, the cache knows its search index is not built:
    with DeskDatabase(path) as db:
        assert not db.search_ready()
        assert _indexed_docs(db) == 0
        victim = pages[0][0]
        address = victim["email_address"]["address"]
        assert [r.contact_id for r in db.search(address)] == [victim["contact_id"]]  # by a scan
        # A single-contact refresh meanwhile (e.g. after an unsubscribe) and a purge do not touch the index.
        renamed = {**victim, "first_name": "Quintessa", "updated_at": "2030-01-01T00:00:00Z"}
        db.upsert_contacts([renamed])
        gone = pages[1][0]["contact_id"]
        db.connection.execute("DELETE FROM contacts WHERE contact_id = ?", (gone,))
        assert _indexed_docs(db) == 0
        assert [r.contact_id for r in db.search("quintessa")] == [victim["contact_id"]]
        # The read resumes (begin again: idempotent) and its last page builds everything.
        db.begin_full_read()
        db.store_full_read_pages(pages[3:], state={"link": None}, last=True)
        assert db.search_ready()
        _integrity(db)
        assert [r.contact_id for r in db.search("quintessa")] == [victim["contact_id"]]
        assert db.search(pages[1][0]["email_address"]["address"]) == []
        assert _indexed_docs(db) == 899
        # After the first read, updates write the index row by row again (and keep it whole).
        db.upsert_contacts([{**renamed, "first_name": "Ximena", "updated_at": "2031-01-01T00:00:00Z"}])
        _integrity(db)
        assert db.search("quintessa") == [] and len(db.search("ximena")) == 1


def test_first_read_pages_commit_without_fsync_and_the_outbox_keeps_its_own(tmp_path: Path) -> None:
    lists, pages = _pages(200)
    with DeskDatabase(tmp_path / "cache.sqlite3") as db:
        db.upsert_lists(lists)
        db.begin_full_read()
        seen: list[int] = []
        db.connection.set_trace_callback(lambda sql: seen.append(
            int(db.connection.execute("PRAGMA synchronous").fetchone()[0])) if sql == "COMMIT" else None)
        db.store_full_read_pages(pages, state={"link": None}, last=True)
        db.connection.set_trace_callback(None)
        assert seen == [1]  # NORMAL for the page's transaction
        assert db.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again afterwards
        assert db.connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def _segments(db: DeskDatabase) -> int:
    return int(db.connection.execute("SELECT count(DISTINCT segid) FROM contacts_fts_idx").fetchone()[0])


def test_the_search_index_is_built_in_few_segments_and_later_writes_keep_the_default_buffer(tmp_path: Path) -> None:
    """The end's one-pass build gathers trigrams in a 64 MiB buffer (full_read.FTS_BUILD_HASHSIZE): with FTS5's
    1 MiB, 30,000 contacts' trigrams went out as several segments, merged again and again, and searches read them
    all; so they did when the build read the contacts in name order from the covering name index (9 segments). The
    buffer is for the build only: the syncs' page-by-page writes keep FTS5's default."""
    lists, pages = _pages(30_000, size=500)
    with DeskDatabase(tmp_path / "first.sqlite3") as db:
        db.upsert_lists(lists)
        db.begin_full_read()
        for i in range(0, len(pages), 8):
            db.store_full_read_pages(pages[i:i + 8], last=i + 8 >= len(pages))
        assert db.search_ready() and _indexed_docs(db) == 30_000
        assert _segments(db) == 1
        _integrity(db)
        config = "SELECT v FROM contacts_fts_config WHERE k = 'hashsize'"
        assert db.connection.execute(config).fetchone()[0] == 1024 * 1024
        some = pages[3][7]
        assert some["contact_id"] in [c.contact_id for c in db.search(some["email_address"]["address"])]
