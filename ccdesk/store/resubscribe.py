"""Resubscribe requests sent for a contact: CC allows the confirmation email only once, so the UI must
know that one was sent ("Resubscribe requested on DATE") and not offer a second."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from ccdesk.store.timeutil import db_to_dt, dt_to_db


def record_resubscribe_request(
    conn: sqlite3.Connection, contact_id: str, at: datetime, list_ids: Iterable[str], actor: str
) -> int:
    cur = conn.execute(
        "INSERT INTO resubscribe_requests (contact_id, requested_at, list_ids, actor) VALUES (?, ?, ?, ?)",
        (contact_id, dt_to_db(at), json.dumps(list(list_ids)), actor),
    )
    return int(cur.lastrowid or 0)


def resubscribe_requested_at(conn: sqlite3.Connection, contact_id: str) -> datetime | None:
    """The latest request for this contact, or None."""
    row = conn.execute(
        "SELECT max(requested_at) FROM resubscribe_requests WHERE contact_id = ?", (contact_id,)
    ).fetchone()
    return db_to_dt(row[0])
