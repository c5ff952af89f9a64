"""The team journal: every desk's journal rows (who did what to whom, why, who asked, when the request was
received), copied with the desk's id so any desk can read and export the whole team's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ccdesk.store.rows import AuditRow

COLUMNS = ("at", "desk", "actor", "action", "contact_id", "email", "outcome", "reason", "asked_by", "received_on",
           "message")


def publish(conn: psycopg.Connection[Any], desk_id: str, rows: Iterable[AuditRow]) -> int:
    """Copy local journal rows (a row copied before is kept once)."""
    values = [(desk_id, r.id, r.at, r.actor, r.action, r.contact_id, r.email, r.outcome, Jsonb(r.details), r.message)
              for r in rows]
    if not values:
        return 0
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO ccdesk.journal (desk_id, local_id, at, actor, action, contact_id, email, "
                        "outcome, details, message) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (desk_id, local_id) DO NOTHING", values)
        return max(0, cur.rowcount)


def rows(conn: psycopg.Connection[Any], contact_id: str | None = None) -> Iterator[dict[str, Any]]:
    """The team's journal, oldest first, one flat dict per row (COLUMNS)."""
    sql = ("SELECT j.at, coalesce(nullif(j.details->'who'->>'desk', ''), d.name, j.desk_id), j.actor, j.action, "
           "j.contact_id, j.email, j.outcome, j.details, j.message FROM ccdesk.journal j "
           "LEFT JOIN ccdesk.desks d ON d.desk_id = j.desk_id")
    params: tuple[Any, ...] = ()
    if contact_id:
        sql, params = sql + " WHERE j.contact_id = %s", (contact_id,)
    with conn.cursor() as cur:
        cur.execute(sql + " ORDER BY j.at, j.id", params)
        for at, desk, actor, action, cid, email, outcome, details, message in cur:
            d = details if isinstance(details, dict) else json.loads(details or "{}")
            payload = d.get("payload")
            p: dict[str, Any] = payload if isinstance(payload, dict) else {}
            yield {"at": at.isoformat(), "desk": desk, "actor": actor, "action": action, "contact_id": cid,
                   "email": email, "outcome": outcome, "reason": p.get("reason"),
                   "asked_by": p.get("update_source"), "received_on": p.get("received_on"), "message": message}
