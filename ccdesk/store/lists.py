"""Contact lists."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ccdesk.store.derive import raw_json_text
from ccdesk.store.rows import ListRow
from ccdesk.store.timeutil import api_to_db, db_to_dt, dt_to_db


def upsert_lists(conn: sqlite3.Connection, lists: Iterable[Mapping[str, Any]], fetched_at: datetime) -> int:
    """Insert or update lists; returns how many were written. The caller provides the transaction."""
    fetched = dt_to_db(fetched_at)
    rows = []
    for item in lists:
        list_id = item.get("list_id")
        if not isinstance(list_id, str) or not list_id:
            raise ValueError(f"list without a list_id: {str(item)[:200]}")
        count = item.get("membership_count")
        rows.append(
            (
                list_id,
                str(item.get("name") or ""),
                item.get("description") if isinstance(item.get("description"), str) else None,
                int(bool(item.get("favorite"))),
                api_to_db(item.get("created_at")),
                api_to_db(item.get("updated_at")),
                api_to_db(item.get("deleted_at")),
                count if isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 2**63 else None,
                raw_json_text(item),
                fetched,
            )
        )
    conn.executemany(
        """INSERT INTO lists (list_id, name, description, favorite, created_at, updated_at, deleted_at,
                              membership_count, raw_json, fetched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (list_id) DO UPDATE SET
               name = excluded.name, description = excluded.description, favorite = excluded.favorite,
               created_at = excluded.created_at, updated_at = excluded.updated_at,
               deleted_at = excluded.deleted_at,
               membership_count = coalesce(excluded.membership_count, lists.membership_count),
               raw_json = excluded.raw_json, fetched_at = excluded.fetched_at""",
        rows,
    )
    return len(rows)


def all_lists(conn: sqlite3.Connection, *, include_deleted: bool = False) -> list[ListRow]:
    """Lists by name, each with the number of cached contacts on it."""
    sql = """SELECT l.list_id, l.name, l.description, l.favorite, l.created_at, l.updated_at,
                    l.deleted_at, l.membership_count,
                    (SELECT coalesce(sum(f.n), 0) FROM facet_counts f WHERE f.list_id = l.list_id)
             FROM lists l"""
    if not include_deleted:
        sql += " WHERE l.deleted_at IS NULL"
    rows = conn.execute(sql).fetchall()
    result = [
        ListRow(
            list_id=r[0],
            name=r[1],
            description=r[2],
            favorite=bool(r[3]),
            created_at=db_to_dt(r[4]),
            updated_at=db_to_dt(r[5]),
            deleted_at=db_to_dt(r[6]),
            membership_count=r[7],
            member_count=int(r[8]),
        )
        for r in rows
    ]
    result.sort(key=lambda lr: (lr.name.casefold(), lr.list_id))
    return result
