"""Desks of the team, the sync lease, and the team's status as `ccdesk team status` shows it.

The lease is one row: the desk that holds it reads Constant Contact for the team and renews it while it lives;
when it lapses (the desk quit, crashed or lost the database) any other desk takes it over. Times are the
database's, the one clock every desk shares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

# A holder renews every LEASE_S / 3; a lapsed lease is taken over. CCDESK_TEAM_LEASE_S: tests make it short.
LEASE_S = float(os.environ.get("CCDESK_TEAM_LEASE_S", "90"))


def register(conn: psycopg.Connection[Any], desk_id: str, name: str, os_user: str) -> None:
    conn.execute("INSERT INTO ccdesk.desks (desk_id, name, os_user) VALUES (%s, %s, %s) ON CONFLICT (desk_id) DO "
                 "UPDATE SET name = excluded.name, os_user = excluded.os_user, left_at = NULL, last_seen = now()",
                 (desk_id, name, os_user))


def leave(conn: psycopg.Connection[Any], desk_id: str) -> None:
    conn.execute("UPDATE ccdesk.desks SET left_at = now() WHERE desk_id = %s", (desk_id,))
    release_lease(conn, desk_id)


def seen(conn: psycopg.Connection[Any], desk_id: str, replica_seq: int | None = None) -> None:
    conn.execute("UPDATE ccdesk.desks SET last_seen = now(), replica_seq = coalesce(%s, replica_seq) "
                 "WHERE desk_id = %s", (replica_seq, desk_id))


def take_lease(conn: psycopg.Connection[Any], desk_id: str, seconds: float | None = None) -> bool:
    """Take or renew the sync lease (for `seconds`, LEASE_S by default); False while another desk holds a live
    one."""
    seconds = LEASE_S if seconds is None else seconds
    row = conn.execute(
        "UPDATE ccdesk.sync_lease SET desk_id = %s, expires_at = now() + make_interval(secs => %s), "
        "taken_at = CASE WHEN desk_id IS DISTINCT FROM %s THEN now() ELSE taken_at END "
        "WHERE id = 1 AND (desk_id IS NULL OR desk_id = %s OR expires_at < now()) RETURNING desk_id",
        (desk_id, seconds, desk_id, desk_id)).fetchone()
    return row is not None


def release_lease(conn: psycopg.Connection[Any], desk_id: str) -> None:
    conn.execute("UPDATE ccdesk.sync_lease SET desk_id = NULL, expires_at = NULL WHERE id = 1 AND desk_id = %s",
                 (desk_id,))


@dataclass(frozen=True)
class DeskInfo:
    desk_id: str
    name: str
    os_user: str
    last_seen: datetime
    replica_seq: int
    syncing: bool


@dataclass(frozen=True)
class TeamStatus:
    schema_version: int
    desks: list[DeskInfo]
    sync_holder: str | None
    lease_expires: datetime | None
    last_sync: str | None
    requests_today: int
    items_waiting: int
    contacts: int
    latest_seq: int

    def as_json(self) -> dict[str, Any]:
        return {"schema_version": self.schema_version, "sync_holder": self.sync_holder,
                "lease_expires": self.lease_expires.isoformat() if self.lease_expires else None,
                "last_sync": self.last_sync, "requests_today": self.requests_today,
                "items_waiting": self.items_waiting, "contacts": self.contacts, "latest_seq": self.latest_seq,
                "desks": [{"desk_id": d.desk_id, "name": d.name, "os_user": d.os_user,
                           "last_seen": d.last_seen.isoformat(), "replica_seq": d.replica_seq,
                           "syncing": d.syncing} for d in self.desks]}


def status(conn: psycopg.Connection[Any], schema_version: int) -> TeamStatus:
    lease = conn.execute("SELECT desk_id, expires_at, expires_at > now() FROM ccdesk.sync_lease WHERE id = 1"
                         ).fetchone()
    holder = lease[0] if lease and lease[2] else None
    desks = [DeskInfo(d, n, u, s, int(q), d == holder) for d, n, u, s, q in conn.execute(
        "SELECT desk_id, name, os_user, last_seen, replica_seq FROM ccdesk.desks WHERE left_at IS NULL "
        "ORDER BY name, desk_id")]
    last = conn.execute("SELECT value FROM ccdesk.sync_state WHERE key = 'sync.last_run_at'").fetchone()
    used = conn.execute("SELECT coalesce(sum(used), 0) FROM ccdesk.budget_days "
                        "WHERE day = (now() AT TIME ZONE 'UTC')::date").fetchone()
    waiting = conn.execute("SELECT count(*) FROM ccdesk.outbox WHERE state IN ('pending', 'in_progress')").fetchone()
    counts = conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM ccdesk.contacts").fetchone()
    return TeamStatus(schema_version, desks, holder, lease[1] if holder and lease else None,
                      last[0] if last else None, int(used[0]) if used else 0, int(waiting[0]) if waiting else 0,
                      int(counts[0]) if counts else 0, int(counts[1]) if counts else 0)
