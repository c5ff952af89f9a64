"""Sync checkpoints (key -> text value)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ccdesk.store.timeutil import dt_to_db


def get_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_state(conn: sqlite3.Connection, key: str, value: str | None, now: datetime) -> None:
    """Set (or with ``None`` remove) a checkpoint."""
    if value is None:
        conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
        return
    conn.execute(
        "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, dt_to_db(now)),
    )
