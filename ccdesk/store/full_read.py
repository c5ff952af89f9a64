"""The first full read of an account: the search index and three indexes are built once at its end.

At a million contacts, keeping `contacts_name` (sort_name, with the folded text), `contacts_email` (email_lower) and
`contacts_status_name` (status, sort_name) up to date while pages arrive doubled the time a page took to store
(issue 17): their keys are random, so every insert lands on a different page of a 1.5 GB file, and each commit
wrote those pages again. The trigram search index (FTS5) was worse: each
page's commit flushed its trigrams as a new segment, and FTS5 kept merging those segments, so a page's commit
took longer than its inserts. So the first full read:

* drops the three indexes and, when pages may arrive faster than they are stored with it (services/cache_pull.py:
  no rate limit, or one above 5 requests a second), the search index's delete trigger, and empties the search
  index (`begin`); at Constant Contact's 4 requests a second the store keeps up with the search index written
  page by page, so it is kept: search stays indexed during a long first read and its end holds the write lock
  for seconds, not the ~17 s a rebuild takes at 1M;
* into an empty cache, at that speed, drops the contact-id index too (schema v5; its random keys were most of
  what a 1M read's commits wrote) and inserts pages without looking their contacts up (`ids_indexed`);
* stores pages without writing the search index (contacts.upsert_contacts asks `search_ready`);
* keeps the newest copy of a contact stored twice and builds the contact-id index (store/unique_ids.py), builds
  the three indexes in one sorted pass each, fills the search index from the contacts table in one pass
  (FTS5 `rebuild`) and puts the trigger back (`end`), all in the transaction of the read's last page.

The trigger's absence is the marker "search index not built yet": it lives in the file, so a first read that
was interrupted (a crash, a cancel, a refused link) is still marked after a restart; the next full read starts
with `begin` again (idempotent) and its last page builds everything. Meanwhile the window's queries run without
them (`usable`, `search_ready`): text is matched with `instr` on the same folded document the index holds, so
results are the same, only slower until the read completes (the table's name order is a sort instead of an
index walk). Everything else (memberships, facet counts, the opt-out date and change indexes) is kept up to date
page by page.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from ccdesk.store import contact_id_key, name_index, unique_ids

# The name index carries each contact's folded text (schema v7, store/name_index.py): a text query walking it in name
# order tests the text without reading the contact's row.
DEFERRED = {
    "contacts_name": name_index.CREATE,
    "contacts_email": "CREATE INDEX IF NOT EXISTS contacts_email ON contacts (email_lower)",
    "contacts_status_name": "CREATE INDEX IF NOT EXISTS contacts_status_name ON contacts (status, sort_name)",
}
CONTACT_ID = contact_id_key.NAME  # UNIQUE (schema v5); dropped by a first read into an empty cache
FTS_TRIGGER = "contacts_fts_ad"
# FTS5 gathers a write's trigrams in memory and writes them out as a new segment each time they pass its
# `hashsize` (1 MiB by default), then merges segments four at a time. A one-pass build of a million contacts' trigrams
# (about 250 MB) wrote some 250 segments and merged them level after level; with a larger buffer for the build
# alone it writes a few and merges once: the build is faster and leaves fewer segments (searches read fewer).
FTS_BUILD_HASHSIZE = 64 * 1024 * 1024
FTS_HASHSIZE = 1024 * 1024  # FTS5's default, for the page-by-page writes of syncs
_FTS_CONFIG = "INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('hashsize', ?)"
_CREATE_FTS_TRIGGER = f"""CREATE TRIGGER IF NOT EXISTS {FTS_TRIGGER} AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
END"""


def begin(conn: sqlite3.Connection, *, defer_search: bool = True) -> None:
    """Drop the deferred indexes; with `defer_search`, stop writing the search index too (a first read resumed
    after it was deferred keeps it deferred: the index is partial), and into an empty cache drop the contact-id
    index as well (see `ids_indexed`)."""
    for name in DEFERRED:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    if defer_search and search_ready(conn):
        conn.execute(f"DROP TRIGGER {FTS_TRIGGER}")
        conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('delete-all')")
    if defer_search and conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchone() is None:
        conn.execute(f"DROP INDEX IF EXISTS {CONTACT_ID}")


def end(conn: sqlite3.Connection) -> None:
    if not ids_indexed(conn):
        unique_ids.build(conn)  # first: the repeats it drops leave the search index and facet counts with them
    if not search_ready(conn):
        # Before the indexes: FTS5 reads the contacts with a plain scan, which SQLite answers from the smallest
        # covering index; the name index holds the text (schema v7), so it was read in name order, and FTS5 writes
        # its buffer out as a segment whenever a rowid comes lower than the one before (30,000 contacts: 9 segments).
        conn.execute(_FTS_CONFIG, (FTS_BUILD_HASHSIZE,))
        try:
            conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')")
        finally:
            conn.execute(_FTS_CONFIG, (FTS_HASHSIZE,))
        conn.execute(_CREATE_FTS_TRIGGER)
    for sql in DEFERRED.values():
        conn.execute(sql)


def ids_indexed(conn: sqlite3.Connection) -> bool:
    """False while a first full read into an empty cache has not completed. Its pages are inserted without
    looking up their contacts (none can be stored yet, but a page may repeat a contact of an earlier one, and a
    read resumed after a crash may store a page again): no contact-id index to keep up (its random keys made each
    commit of a 1M read rewrite thousands of its pages). `end` keeps the newest copy of a repeated contact and
    builds the index. Meanwhile other writes (an action's answer, a single contact read again) still look up by
    contact id, by a scan, and so update the copy they find."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                        (CONTACT_ID,)).fetchone() is not None


@contextlib.contextmanager
def bulk_pragmas(conn: sqlite3.Connection) -> Iterator[None]:
    """Pages of a first full read commit without an fsync each (synchronous NORMAL: in WAL mode a crash still
    leaves every commit whole, a power cut may lose the last pages, which the read then fetches again as the
    link to them commits with them) and checkpoint less often; restored to ccdesk's settings (sqlite_file.py)
    afterwards, so the outbox's writes keep their fsync. Call outside a transaction."""
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 16384")
    try:
        yield
    finally:
        conn.execute("PRAGMA wal_autocheckpoint = 1000")
        conn.execute("PRAGMA synchronous = FULL")


def search_ready(conn: sqlite3.Connection) -> bool:
    """False while a first full read has not completed: the search index is empty or partial, not to be used
    (nor written: its rows are all added by `end`)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                        (FTS_TRIGGER,)).fetchone() is not None


def usable(conn: sqlite3.Connection, sql: str) -> str:
    """`sql` without an `INDEXED BY` naming a deferred index that is not there (during the first full read)."""
    for name in DEFERRED:
        clause = f" INDEXED BY {name}"
        if clause in sql and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                          (name,)).fetchone() is None:
            sql = sql.replace(clause, "")
    return sql
