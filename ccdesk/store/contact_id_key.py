"""Schema v5: the contact-id key becomes a named UNIQUE index, `contacts_contact_id`.

Until v4 it was the contacts table's inline UNIQUE constraint, whose index cannot be dropped. The account's first
full read into an empty cache drops the named one and builds it at its end (store/full_read.py, issue 17): its
random keys made every commit of a 1M read rewrite thousands of index pages.

The constraint's index and the named one hold the same entries in the same order (the contact id, then the rowid),
so the usual file changes in place: the table's stored definition loses the UNIQUE, and the constraint's index is
renamed, with its definition given (SQLite's `writable_schema`, for changes that leave what is on disk valid, the
schema version bumped so other connections read it again). A million-contact cache migrates in milliseconds; the
general procedure (a copy of the table) took 28 s there. That procedure remains the fallback, for a table whose
stored definition is not the one ccdesk wrote or an SQLite that refuses schema edits (SQLITE_DBCONFIG_DEFENSIVE).
Either way indexes and triggers stay as they were: a first read in progress keeps its deferred indexes and its
search-index marker absent.
"""

from __future__ import annotations

import sqlite3

NAME = "contacts_contact_id"
CONTACT_ID_INDEX = f"CREATE UNIQUE INDEX {NAME} ON contacts (contact_id)"
_AUTOINDEX = "sqlite_autoindex_contacts_1"
_INLINE = "contact_id         TEXT NOT NULL UNIQUE,"  # as schema v1 wrote it
_PLAIN = "contact_id         TEXT NOT NULL,"


def migrate(conn: sqlite3.Connection) -> None:
    """Inside the migration's transaction, with foreign key enforcement off (schema.TableRebuild)."""
    if not _in_place(conn):
        _rebuild(conn)


def _in_place(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'contacts'").fetchone()
    columns = [r[2] for r in conn.execute(f"PRAGMA index_info({_AUTOINDEX})")]
    if row is None or row[0].count(_INLINE) != 1 or columns != ["contact_id"]:
        return False
    version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute("SAVEPOINT contact_id_key")
    try:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'contacts'",
                     (row[0].replace(_INLINE, _PLAIN),))
        conn.execute("UPDATE sqlite_master SET name = ?, sql = ? WHERE type = 'index' AND name = ?",
                     (NAME, CONTACT_ID_INDEX, _AUTOINDEX))
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    except sqlite3.DatabaseError:  # schema edits refused: copy the table instead
        conn.execute("ROLLBACK TO contact_id_key")
        return False
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
        conn.execute("RELEASE contact_id_key")
    return True


_CONTACTS = """
CREATE TABLE contacts_v5 (
    id                 INTEGER PRIMARY KEY,
    contact_id         TEXT NOT NULL,
    email              TEXT,
    email_lower        TEXT,
    first_name         TEXT,
    last_name          TEXT,
    company            TEXT,
    job_title          TEXT,
    status             TEXT NOT NULL
                       CHECK (status IN ('mailable', 'unsubscribed', 'removed', 'deleted', 'pending')),
    permission_to_send TEXT,
    opt_in_source      TEXT,
    opt_in_date        TEXT,
    opt_out_source     TEXT,
    opt_out_date       TEXT,
    opt_out_reason     TEXT,
    confirm_status     TEXT,
    created_at         TEXT,
    updated_at         TEXT,
    email_updated_at   TEXT,
    deleted_at         TEXT,
    lists_known        INTEGER NOT NULL DEFAULT 0,
    sort_name          TEXT NOT NULL,
    search_doc         TEXT NOT NULL,
    fetched_at         TEXT NOT NULL,
    change_seq         INTEGER NOT NULL DEFAULT 0
)"""
_COLUMNS = (
    "id, contact_id, email, email_lower, first_name, last_name, company, job_title, status, permission_to_send, "
    "opt_in_source, opt_in_date, opt_out_source, opt_out_date, opt_out_reason, confirm_status, created_at, "
    "updated_at, email_updated_at, deleted_at, lists_known, sort_name, search_doc, fetched_at, change_seq"
)


def _rebuild(conn: sqlite3.Connection) -> None:
    kept = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'contacts' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name")]
    conn.execute(_CONTACTS)
    conn.execute(f"INSERT INTO contacts_v5 ({_COLUMNS}) SELECT {_COLUMNS} FROM contacts")
    conn.execute("DROP TABLE contacts")  # its indexes and triggers go with it
    # Legacy rename: the memberships trigger that reads `contacts` would otherwise fail the schema check while the
    # table is gone; it names the table, not the old table's object, so it reads the new one once renamed.
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        conn.execute("ALTER TABLE contacts_v5 RENAME TO contacts")
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
    conn.execute(CONTACT_ID_INDEX)
    for sql in kept:
        conn.execute(sql)
    broken = conn.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:
        raise sqlite3.IntegrityError(f"schema v5 left a dangling reference: {broken!r}")
