"""Schema migrations, applied in order; ``PRAGMA user_version`` holds the number applied.

Never edit a released migration: append a new one. Each runs in its own IMMEDIATE transaction together
with the version bump, so a crash leaves the database at the previous version, never half-migrated.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ccdesk.store import contact_id_key, name_index, removals
from ccdesk.store.errors import SchemaTooNewError


@dataclass(frozen=True)
class TableRebuild:
    """A migration that may rebuild a table other tables reference (SQLite's documented procedure: create the new
    table, copy, drop the old one, rename). It runs with foreign key enforcement off, so dropping the old table
    does not cascade into the tables that reference it; the pragma cannot change inside a transaction, so
    `migrate` sets it around the step's transaction (the step checks the references it rebuilt)."""

    step: Callable[[sqlite3.Connection], None]


Migration = str | Callable[[sqlite3.Connection], None] | TableRebuild

_V1 = """
CREATE TABLE contacts (
    id                 INTEGER PRIMARY KEY,          -- local rowid: FTS and memberships key
    contact_id         TEXT NOT NULL UNIQUE,
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
    deleted_at         TEXT,                         -- a date, YYYY-MM-DD
    lists_known        INTEGER NOT NULL DEFAULT 0,   -- 1 once a page carried list_memberships
    sort_name          TEXT NOT NULL,                -- folded "1last first" / "2email"
    search_doc         TEXT NOT NULL,                -- folded text indexed by contacts_fts
    fetched_at         TEXT NOT NULL
);
CREATE INDEX contacts_email ON contacts (email_lower);
CREATE INDEX contacts_name ON contacts (sort_name);
CREATE INDEX contacts_status_name ON contacts (status, sort_name);
CREATE INDEX contacts_optout ON contacts (opt_out_date);

-- The raw JSON lives beside the contact row, not in it: keeping contacts rows small (~300 bytes
-- instead of 1-3 KB) keeps index-order scans and row lookups for the table view fast.
CREATE TABLE contact_json (
    id       INTEGER PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    raw_json TEXT NOT NULL
);

CREATE TABLE lists (
    list_id          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    description      TEXT,
    favorite         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT,
    updated_at       TEXT,
    deleted_at       TEXT,
    membership_count INTEGER,
    raw_json         TEXT NOT NULL,
    fetched_at       TEXT NOT NULL
);

-- No foreign key to lists: a contact page may name a list before the lists are synced.
CREATE TABLE memberships (
    list_id       TEXT NOT NULL,
    contact_rowid INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, contact_rowid)
) WITHOUT ROWID;
CREATE INDEX memberships_contact ON memberships (contact_rowid, list_id);

-- Substring search: external-content trigram FTS5 over contacts.search_doc. Inserts and updates are
-- maintained explicitly by contacts.upsert_contacts, in one executemany per page: an FTS5 insert made
-- from a trigger flushes FTS5's pending data on every statement and made page upserts ~4x slower.
-- Deletes (rare: maintenance only) keep a trigger so no path can leave a dangling index entry.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    search_doc, content = 'contacts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
END;

-- Counters for the filter UI without a query (list_id '' = all contacts), kept by triggers so that
-- "how many unsubscribed on list X" is one lookup instead of a scan of a million rows.
CREATE TABLE facet_counts (
    list_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (list_id, status)
) WITHOUT ROWID;
CREATE TRIGGER facet_contact_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO facet_counts (list_id, status, n) VALUES ('', new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
-- BEFORE: memberships must go while the contact (and so its status) is still there.
CREATE TRIGGER facet_contact_bd BEFORE DELETE ON contacts BEGIN
    DELETE FROM memberships WHERE contact_rowid = old.id;
    UPDATE facet_counts SET n = n - 1 WHERE list_id = '' AND status = old.status;
END;
CREATE TRIGGER facet_contact_au AFTER UPDATE OF status ON contacts
WHEN old.status IS NOT new.status BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE status = old.status
        AND (list_id = '' OR list_id IN (SELECT list_id FROM memberships WHERE contact_rowid = new.id));
    INSERT INTO facet_counts (list_id, status, n) VALUES ('', new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO facet_counts (list_id, status, n)
        SELECT list_id, new.status, 1 FROM memberships WHERE contact_rowid = new.id
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER facet_membership_ai AFTER INSERT ON memberships BEGIN
    INSERT INTO facet_counts (list_id, status, n)
        SELECT new.list_id, status, 1 FROM contacts WHERE id = new.contact_rowid
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER facet_membership_ad AFTER DELETE ON memberships BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE list_id = old.list_id
        AND status = (SELECT status FROM contacts WHERE id = old.contact_rowid);
END;

CREATE TABLE sync_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    contact_id      TEXT,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_progress', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    claimed_by      TEXT,                            -- process session that holds an in_progress item
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_contact ON outbox (contact_id, state);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    contact_id TEXT,
    email      TEXT,
    details    TEXT NOT NULL DEFAULT '{}',
    outcome    TEXT NOT NULL,
    message    TEXT
);
CREATE INDEX audit_contact ON audit (contact_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TABLE resubscribe_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id   TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    list_ids     TEXT NOT NULL,                      -- JSON array
    actor        TEXT NOT NULL
);
CREATE INDEX resubscribe_contact ON resubscribe_requests (contact_id, requested_at);
"""

# v2: a failed action can be discarded by staff (it stays in the table and the journal, marked as such).
# SQLite cannot change a CHECK constraint in place, so the outbox table is rebuilt with the same rows.
_V2 = """
CREATE TABLE outbox_v2 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    contact_id      TEXT,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_progress', 'done', 'failed', 'discarded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    claimed_by      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);
INSERT INTO outbox_v2 SELECT id, kind, contact_id, payload, state, attempts, next_attempt_at, last_error,
    claimed_by, created_at, updated_at, created_by FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_contact ON outbox (contact_id, state);
"""

# v3: a sequence number bumped whenever a contact row is written, so a reader can tell which contacts changed
# since it last ranked them in name order (ccdesk/store/name_order.py).
_V3 = """
ALTER TABLE contacts ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX contacts_change ON contacts (change_seq);
"""

# v4: contacts and memberships added are counted into facet_counts by upsert_contacts, once per page and
# (list, status), instead of by a trigger statement per row (issue 17: the full read spent a sixth of its time
# there). Status changes and deletes keep their triggers.
_V4 = """
DROP TRIGGER facet_contact_ai;
DROP TRIGGER facet_membership_ai;
"""


# v5: the contact-id key becomes a named UNIQUE index (store/contact_id_key.py), which the account's first full read
# into an empty cache drops and builds at its end (store/full_read.py).
# v6: the lists each list-removal outbox item takes each contact off, as rows (store/removals.py): the window reads
# them at every selection. They are written by a trigger on outbox: a later migration that rebuilds that table must
# create the trigger (and the outbox_kind_state index) again.
# v7: the name index covers the folded text (store/name_index.py): text walks in name order read no rows.
MIGRATIONS: list[Migration] = [_V1, _V2, _V3, _V4, TableRebuild(contact_id_key.migrate), removals.migrate,
                               name_index.migrate]
SCHEMA_VERSION = len(MIGRATIONS)


def split_statements(script: str) -> Iterator[str]:
    """Split a script into complete statements (trigger bodies contain ';' too).

    Needed because ``Connection.executescript`` commits any open transaction first.
    """
    *pieces, tail = script.split(";")
    buf = ""
    for piece in pieces:
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            yield buf
            buf = ""
    rest = [line for line in (buf + tail).splitlines() if line.strip() and not line.strip().startswith("--")]
    if rest:
        raise ValueError(f"incomplete SQL statement in migration: {rest[0][:80]!r}")


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: str, migrations: list[Migration] | None = None) -> int:
    """Bring the database up to date; returns the version now in force.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    steps = MIGRATIONS if migrations is None else migrations
    known = len(steps)
    found = user_version(conn)
    if found > known:
        raise SchemaTooNewError(path, found, known)
    for target in range(found + 1, known + 1):
        step = steps[target - 1]
        with _foreign_keys_off(conn, isinstance(step, TableRebuild)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = user_version(conn)  # another process may have migrated meanwhile
                if current > known:
                    raise SchemaTooNewError(path, current, known)
                if current < target:
                    _apply(conn, step)
                    conn.execute(f"PRAGMA user_version = {int(target)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    return user_version(conn)


def _apply(conn: sqlite3.Connection, step: Migration) -> None:
    if isinstance(step, str):
        for statement in split_statements(step):
            conn.execute(statement)
    elif isinstance(step, TableRebuild):
        step.step(conn)
    else:
        step(conn)


@contextlib.contextmanager
def _foreign_keys_off(conn: sqlite3.Connection, off: bool) -> Iterator[None]:
    before = int(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    if off:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if off:
            conn.execute(f"PRAGMA foreign_keys = {before}")
