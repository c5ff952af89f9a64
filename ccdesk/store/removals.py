"""The lists each list-removal outbox item takes each contact off, one row per (contact, item, list) (schema v6).

"Add back to lists" offers the lists this desk took a contact off, and the window decides whether to offer it at
every selection, on the GUI thread. Reading that from the items' payloads (a bulk removal names up to 500 contacts)
took ~100 ms with 1,000 sent bulk removals; these rows make it one indexed read. They are written by the SQL that
reads the payload, in the transaction that queues the item (`enqueue`), and for items queued before v6 by the
migration, so both give the same rows. Whether an item was sent stays in the outbox (its state), read at query time.
"""

from __future__ import annotations

import sqlite3

from ccdesk.store.rows import LIST_REMOVALS

_KINDS = tuple(str(k) for k in LIST_REMOVALS)

SCHEMA = (
    """CREATE TABLE list_removals (
        contact_id TEXT NOT NULL,
        item_id    INTEGER NOT NULL,                 -- outbox.id of a list-removal item
        list_id    TEXT NOT NULL,
        PRIMARY KEY (contact_id, item_id, list_id)
    ) WITHOUT ROWID""",
    # The newest sent items of one kind, newest first, without reading their (large) payloads.
    "CREATE INDEX outbox_kind_state ON outbox (kind, state)",
)

# The item's own contact (one contact's removal) and the contacts its payload names (a bulk one), each with every
# list the payload names. Only text ids: contact and list ids are strings in Constant Contact. Each payload is
# parsed once per CTE (SQLite 3.40 keeps no parsed JSON: a join of two json_each parsed it again for every contact).
_ROWS = """
WITH lists AS MATERIALIZED (
    SELECT o.id, l.value FROM outbox AS o, json_each(o.payload, '$.list_ids') AS l
    WHERE {items} AND l.type = 'text'
), people AS MATERIALIZED (
    SELECT o.id, c.value FROM outbox AS o, json_each(o.payload, '$.contact_ids') AS c
    WHERE {items} AND c.type = 'text'
    UNION SELECT o.id, o.contact_id FROM outbox AS o WHERE {items} AND o.contact_id IS NOT NULL
)
INSERT OR IGNORE INTO list_removals (contact_id, item_id, list_id)
SELECT people.value, people.id, lists.value FROM people JOIN lists ON lists.id = people.id
"""
_KIND_IN = f"o.kind IN ({','.join(f':k{n}' for n in range(len(_KINDS)))})"


def record(conn: sqlite3.Connection, item_id: int, kind: str) -> None:
    """Write the rows of an item just queued; the caller's transaction holds the item's INSERT."""
    if kind not in _KINDS:
        return
    conn.execute(_ROWS.format(items="o.id = :item"), {"item": item_id})


def migrate(conn: sqlite3.Connection) -> None:
    """Schema v6: the table, and the rows of every list-removal item already queued (whatever its state)."""
    for statement in SCHEMA:
        conn.execute(statement)
    conn.execute(_ROWS.format(items=_KIND_IN), {f"k{n}": kind for n, kind in enumerate(_KINDS)})


def lists_removed_from(conn: sqlite3.Connection, contact_id: str, recent: int) -> set[str]:
    """The lists that the `recent` newest sent list removals (state done) took `contact_id` off: its own item, or
    a bulk item naming it among its `contact_ids`."""
    rows = conn.execute(
        "SELECT r.item_id, r.list_id FROM list_removals AS r JOIN outbox AS o ON o.id = r.item_id "
        "WHERE r.contact_id = ? AND o.state = 'done'", (contact_id,)).fetchall()
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
        for _ in _KINDS)
    params: list[object] = [p for kind in _KINDS for p in (kind, recent)]
    row = conn.execute(f"SELECT id FROM ({newest}) ORDER BY id DESC LIMIT 1 OFFSET ?", [*params, recent - 1]).fetchone()
    return 0 if row is None else int(row[0])
