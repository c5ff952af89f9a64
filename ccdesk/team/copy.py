"""The team's copy of the account in PostgreSQL: contacts with a change sequence, lists, and sync bookmarks.

A contact is written only when what arrives is at least as new as what is there (its `updated_at` or its email's,
whichever is later) and differs from it, so a desk publishing an older read never undoes a newer one, and an
unchanged re-read costs no sequence number (other desks have nothing to apply).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

CONTACTS_CHANNEL = "ccdesk_contacts"


def version_of(raw: Mapping[str, Any]) -> str:
    """The newest change date the contact carries (ISO text compares in date order)."""
    email = raw.get("email_address") or {}
    stamps = [str(v) for v in (raw.get("updated_at"), email.get("updated_at") if isinstance(email, dict) else None)
              if v]
    return max(stamps, default="")


PUBLISH_LOCK = 0x63636473_6571  # pg_advisory_xact_lock key ("ccdseq") serialising the numbering of changes

def publish_contacts(conn: psycopg.Connection[Any], raws: Iterable[Mapping[str, Any]], fetched_at: datetime,
                     desk_id: str) -> int:
    """Write contacts into the team copy (caller's transaction); returns how many changed. NOTIFY on commit."""
    rows = [(str(r["contact_id"]), version_of(r), Jsonb(dict(r)), fetched_at, desk_id) for r in raws]
    if not rows:
        return 0
    # Readers follow `seq > bookmark`, so a change must never commit below a number already visible. Numbers
    # are taken only under this lock, held until the transaction ends: committed changes are always a prefix
    # of the sequence, and a page still being written cannot be overtaken by a later, smaller transaction.
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ccdesk.contacts AS c (contact_id, seq, version, raw, fetched_at, written_by) "
            "VALUES (%s, nextval('ccdesk.change_seq'), %s, %s, %s, %s) "
            "ON CONFLICT (contact_id) DO UPDATE SET seq = nextval('ccdesk.change_seq'), version = excluded.version, "
            "raw = excluded.raw, fetched_at = excluded.fetched_at, written_by = excluded.written_by "
            "WHERE c.version <= excluded.version AND c.raw IS DISTINCT FROM excluded.raw", rows, returning=False)
        changed = cur.rowcount
    if changed:
        conn.execute("SELECT pg_notify(%s, (SELECT last_value::text FROM ccdesk.change_seq))", (CONTACTS_CHANNEL,))
    return max(0, changed)


Stamps = tuple[str, str | None, str | None]  # (contact id, updated_at, email_address.updated_at) as in the JSON


def changes_since(conn: psycopg.Connection[Any], seq: int, limit: int, desk_id: str = ""
                  ) -> list[tuple[int, dict[str, Any] | None, datetime, Stamps | None]]:
    """(seq, raw, fetched_at, stamps) of contacts changed after `seq`, oldest change first, at most `limit`. Rows
    this desk wrote itself come without their JSON (raw None) but with their stamps: the store that wrote them has
    them already; another store of the same desk (a new one, a restored backup) fetches them (`contacts_by_id`)."""
    return [(int(s), None if raw is None else raw if isinstance(raw, dict) else json.loads(raw), at,
             None if raw is not None else (cid, updated, email_updated))
            for s, raw, at, cid, updated, email_updated in conn.execute(
                "SELECT seq, CASE WHEN written_by = %s THEN NULL ELSE raw END, fetched_at, contact_id, "
                "CASE WHEN written_by = %s THEN raw->>'updated_at' END, "
                "CASE WHEN written_by = %s THEN raw->'email_address'->>'updated_at' END FROM ccdesk.contacts "
                "WHERE seq > %s ORDER BY seq LIMIT %s", (desk_id, desk_id, desk_id, seq, limit))]


def contacts_by_id(conn: psycopg.Connection[Any], contact_ids: list[str]) -> list[tuple[dict[str, Any], datetime]]:
    """(raw, fetched_at) of these contacts as the team copy has them now."""
    return [(raw if isinstance(raw, dict) else json.loads(raw), at) for raw, at in conn.execute(
        "SELECT raw, fetched_at FROM ccdesk.contacts WHERE contact_id = ANY(%s)", (contact_ids,))]


def latest_seq(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM ccdesk.contacts").fetchone()
    return int(row[0]) if row else 0


def publish_lists(conn: psycopg.Connection[Any], raws: Iterable[Mapping[str, Any]], fetched_at: datetime) -> None:
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO ccdesk.lists (list_id, raw, fetched_at) VALUES (%s, %s, %s) "
                        "ON CONFLICT (list_id) DO UPDATE SET raw = excluded.raw, fetched_at = excluded.fetched_at "
                        "WHERE ccdesk.lists.raw IS DISTINCT FROM excluded.raw",
                        [(str(r["list_id"]), Jsonb(dict(r)), fetched_at) for r in raws])


def lists_after(conn: psycopg.Connection[Any], after: datetime | None) -> list[tuple[dict[str, Any], datetime]]:
    sql = "SELECT raw, fetched_at FROM ccdesk.lists"
    if after is None:
        return [(r, at) for r, at in conn.execute(sql)]
    return [(r, at) for r, at in conn.execute(sql + " WHERE fetched_at > %s", (after,))]


def get_state(conn: psycopg.Connection[Any], keys: Iterable[str]) -> dict[str, str | None]:
    wanted = list(keys)
    found = dict(conn.execute("SELECT key, value FROM ccdesk.sync_state WHERE key = ANY(%s)", (wanted,)).fetchall())
    return {k: found.get(k) for k in wanted}


def set_state(conn: psycopg.Connection[Any], values: Mapping[str, str | None]) -> None:
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO ccdesk.sync_state (key, value, updated_at) VALUES (%s, %s, now()) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
                        list(values.items()))
