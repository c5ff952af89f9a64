"""Resubscribe requests sent for a contact: CC allows the confirmation email only once, so the UI must
know that one was sent ("Resubscribe requested on DATE") and not offer a second."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from ccdesk.store.optouts import AWAITING_RESUBSCRIBE
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


def awaiting_confirmation_ids(conn: sqlite3.Connection) -> list[str]:
    """Cached contacts a resubscribe email was sent to (from here or from Constant Contact's web UI) and who
    have not confirmed yet, in either reading of the service's state: their next change is email-only."""
    return [r[0] for r in conn.execute(
        "SELECT c.contact_id FROM contacts c WHERE c.confirm_status = 'pending' AND c.deleted_at IS NULL "
        f"AND (c.permission_to_send = 'unsubscribed' OR ({AWAITING_RESUBSCRIBE}))")]


def unsubscribed_ids(conn: sqlite3.Connection) -> set[str]:
    """Cached contacts that `GET /contacts?status=unsubscribed` should return (not deleted)."""
    return {r[0] for r in conn.execute(
        "SELECT contact_id FROM contacts WHERE permission_to_send = 'unsubscribed' AND deleted_at IS NULL")}
