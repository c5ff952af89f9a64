"""The lists each list-removal outbox item takes each contact off, one row per (contact, item, list) (schema v6).

"Add back to lists" offers the lists this desk took a contact off, and the window decides whether to offer it at
every selection, on the GUI thread. Reading that from the items' payloads (a bulk removal names up to 500 contacts)
took ~100 ms with 1,000 sent bulk removals; these rows make it one indexed read.

A trigger on the outbox writes them, from the same SQL the migration uses for the items queued before v6: in the
transaction of the INSERT that queues the item, whichever process queues it (the window, a command, a scheduled
job, or a ccdesk still running the previous version when another one migrated the file). Whether an item was sent
stays in the outbox (its state), read with the rows.
"""

from __future__ import annotations

import sqlite3

# The list-removal kinds (rows.LIST_REMOVALS) as the v6 trigger names them: a kind added there later needs a
# migration that recreates the trigger and writes the rows of its items (a test compares the two).
KINDS = ("remove_from_lists", "remove_from_lists_bulk")
_KINDS = ", ".join(f"'{kind}'" for kind in KINDS)

# The contacts the payload names (a bulk removal) and the item's own contact (one contact's), each with every list
# the payload names. Only text ids: contact and list ids are strings in Constant Contact. The lists are the outer
# loop (CROSS JOIN keeps that order): SQLite 3.40 parses a json_each's text again for every outer row.
_ROWS = """
INSERT OR IGNORE INTO list_removals (contact_id, item_id, list_id)
SELECT c.value, {o}.id, l.value FROM {items} json_each({o}.payload, '$.list_ids') AS l
CROSS JOIN json_each({o}.payload, '$.contact_ids') AS c
WHERE {which} AND l.type = 'text' AND c.type = 'text';
INSERT OR IGNORE INTO list_removals (contact_id, item_id, list_id)
SELECT {o}.contact_id, {o}.id, l.value FROM {items} json_each({o}.payload, '$.list_ids') AS l
WHERE {which} AND {o}.contact_id IS NOT NULL AND l.type = 'text';
"""

_TABLE = """CREATE TABLE list_removals (
    contact_id TEXT NOT NULL,
    item_id    INTEGER NOT NULL,                     -- outbox.id of a list-removal item
    list_id    TEXT NOT NULL,
    PRIMARY KEY (contact_id, item_id, list_id)
) WITHOUT ROWID"""
_TRIGGER = (f"CREATE TRIGGER list_removals_ai AFTER INSERT ON outbox WHEN new.kind IN ({_KINDS}) BEGIN"
            + _ROWS.format(o="new", items="", which="1") + "END")
# The newest sent items of one kind, newest first, without reading their (large) payloads.
_INDEX = "CREATE INDEX outbox_kind_state ON outbox (kind, state)"


def migrate(conn: sqlite3.Connection) -> None:
    """Schema v6: the table, its trigger, and the rows of every list-removal item already queued (any state)."""
    for statement in (_TABLE, _TRIGGER, _INDEX):
        conn.execute(statement)
    for statement in _ROWS.format(o="o", items="outbox AS o CROSS JOIN", which=f"o.kind IN ({_KINDS})").split(";"):
        if statement.strip():
            conn.execute(statement)


def lists_removed_from(conn: sqlite3.Connection, contact_id: str, recent: int) -> set[str]:
    """The lists that the `recent` newest sent list removals (state done) took `contact_id` off: its own item, or
    a bulk item naming it among its `contact_ids`."""
    # Sent or not from the index: the state column comes after the payload, and reading it from a bulk item's
    # row walks the payload's overflow pages (0.7 ms instead of 0.04 for a contact in 25 bulk removals).
    rows = conn.execute(
        "SELECT r.item_id, r.list_id FROM list_removals AS r WHERE r.contact_id = ? AND EXISTS (SELECT 1 FROM "
        f"outbox AS o INDEXED BY outbox_kind_state WHERE o.kind IN ({_KINDS}) AND o.state = 'done' "
        "AND o.id = r.item_id)", (contact_id,)).fetchall()
    if not rows:
        return set()
    oldest = _oldest_recent(conn, recent)
    return {list_id for item_id, list_id in rows if item_id >= oldest}


def _oldest_recent(conn: sqlite3.Connection, recent: int) -> int:
    """The id of the `recent`-th newest sent list removal (0 when there are fewer): each kind's newest from the
    outbox_kind_state index, merged."""
    if recent <= 0:
        return 2**63 - 1
    newest = " UNION ALL ".join(
        "SELECT id FROM (SELECT id FROM outbox WHERE kind = ? AND state = 'done' ORDER BY id DESC LIMIT ?)"
        for _ in KINDS)
    params: list[object] = [p for kind in KINDS for p in (kind, recent)]
    row = conn.execute(f"SELECT id FROM ({newest}) ORDER BY id DESC LIMIT 1 OFFSET ?", [*params, recent - 1]).fetchone()
    return 0 if row is None else int(row[0])
