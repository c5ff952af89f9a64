"""The team outbox: every desk's actions in one table, each sent once.

An action's id is made on the desk that queued it (`<desk id>:<local outbox id>`), so handing it over again after a
lost answer or a reconnection inserts nothing new. Sending is claimed in one transaction: the action's row is
locked (`FOR UPDATE SKIP LOCKED`: a row another desk holds is skipped, not waited for) and an advisory lock on the
change it makes ("unsubscribe contact X") serialises two desks that queued the same change. A twin that another
desk is sending makes this one wait; a twin sent since this one was queued makes it `merged` (nothing sent).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

OUTBOX_CHANNEL = "ccdesk_outbox"
SEND = "send"        # this desk sends it now
MERGED = "merged"    # the same change was sent by another desk: done, nothing sent
BUSY = "busy"        # another desk is sending it (or its twin) right now: look again shortly
FINISHED = "finished"  # already finished in the team outbox (an earlier attempt whose local record was lost)


@dataclass(frozen=True)
class Claim:
    verdict: str
    message: str = ""
    by_desk: str = ""


def action_id(desk_id: str, local_id: int) -> str:
    return f"{desk_id}:{local_id}"


def dedupe_key(kind: str, contact_id: str | None, payload: dict[str, Any]) -> str:
    """What makes two actions the same change: an opt-out of one contact is one change whatever the reason."""
    if kind == "unsubscribe":
        return f"unsubscribe:{contact_id}"
    if kind == "add_unsubscribed":
        return f"add_unsubscribed:{str(payload.get('email', '')).strip().lower()}"
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return f"{kind}:{contact_id}:{digest}"


def hand_over(conn: psycopg.Connection[Any], desk_id: str, items: list[tuple[int, str, str | None, dict[str, Any],
              str, datetime]]) -> int:
    """Insert (local id, kind, contact id, payload, created by, created at) items; already there: untouched."""
    if not items:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ccdesk.outbox (action_id, desk_id, kind, contact_id, payload, dedupe_key, created_by, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (action_id) DO NOTHING",
            [(action_id(desk_id, lid), desk_id, kind, cid, Jsonb(payload), dedupe_key(kind, cid, payload), by, at)
             for lid, kind, cid, payload, by, at in items])
        n = cur.rowcount
    if n:
        conn.execute("SELECT pg_notify(%s, 'queued')", (OUTBOX_CHANNEL,))
    return max(0, n)


def claim(conn: psycopg.Connection[Any], desk_id: str, local_id: int, kind: str, contact_id: str | None,
          payload: dict[str, Any], created_by: str, created_at: datetime) -> Claim:
    """Decide, in one transaction, whether this desk sends its action now (see the module docstring)."""
    aid = action_id(desk_id, local_id)
    key = dedupe_key(kind, contact_id, payload)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        hand_over(conn, desk_id, [(local_id, kind, contact_id, payload, created_by, created_at)])
        row = conn.execute("SELECT state, claimed_by, message, created_at FROM ccdesk.outbox WHERE action_id = %s "
                           "FOR UPDATE SKIP LOCKED", (aid,)).fetchone()
        if row is None:
            return Claim(BUSY, "another desk holds this action")
        state, claimed_by, message, mine_created = row
        if state in ("done", "merged", "cancelled"):  # a failed one asked again (Retry) is claimed again
            return Claim(FINISHED, message or "", claimed_by or "")
        if state == "in_progress" and claimed_by not in (None, desk_id):  # another desk sends it for us
            return Claim(BUSY, "another desk is sending it for this one", claimed_by)
        twin = conn.execute(
            "SELECT o.state, o.claimed_by, o.message, coalesce(d.name, o.claimed_by) FROM ccdesk.outbox o "
            "LEFT JOIN ccdesk.desks d ON d.desk_id = o.claimed_by "
            "WHERE o.dedupe_key = %s AND o.action_id <> %s AND (o.state = 'in_progress' "
            "OR (o.state = 'done' AND o.claimed_at >= %s)) ORDER BY o.state = 'in_progress' DESC LIMIT 1",
            (key, aid, mine_created)).fetchone()
        if twin is not None and twin[0] == "in_progress" and twin[1] != desk_id:
            return Claim(BUSY, f"the same change is being sent from desk {twin[3]}", twin[1] or "")
        if twin is not None and twin[0] == "done":
            text = f"Already sent from desk {twin[3]}; not sent again."
            conn.execute("UPDATE ccdesk.outbox SET state = 'merged', claimed_by = %s, message = %s, updated_at = now() "
                         "WHERE action_id = %s", (desk_id, text, aid))
            conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, aid))
            return Claim(MERGED, text, twin[1] or "")
        conn.execute("UPDATE ccdesk.outbox SET state = 'in_progress', claimed_by = %s, claimed_at = now(), "
                     "updated_at = now() WHERE action_id = %s", (desk_id, aid))
    return Claim(SEND)


def finish(conn: psycopg.Connection[Any], desk_id: str, local_id: int, state: str, message: str) -> None:
    """Record the outcome: 'done', 'failed', or 'pending' (it will be tried again)."""
    finish_action(conn, action_id(desk_id, local_id), state, message)


def open_of_mine(conn: psycopg.Connection[Any], desk_id: str) -> dict[int, str]:
    """{local id: team state} of this desk's actions the team still sees open (pending or in progress): their
    outcome may not have reached the team (the database was away when they finished, or they were cancelled)."""
    rows = conn.execute("SELECT action_id, state FROM ccdesk.outbox WHERE state IN ('pending', 'in_progress') "
                        "AND desk_id = %s", (desk_id,)).fetchall()
    return {int(aid.rsplit(":", 1)[1]): state for aid, state in rows}


def waiting(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM ccdesk.outbox WHERE state IN ('pending', 'in_progress')").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Orphan:
    """An action handed over by a desk that has not been seen for a while, now claimed by this desk."""
    action_id: str
    desk_id: str
    kind: str
    contact_id: str | None
    payload: dict[str, Any]
    created_by: str
    created_at: datetime


def claim_orphan(conn: psycopg.Connection[Any], desk_id: str, gone_after_s: float) -> Orphan | Claim | None:
    """Take the oldest pending action of a desk unseen for `gone_after_s` (the row lock skips one another desk is
    taking): an Orphan to send, a Claim(MERGED) when its twin was sent meanwhile, None when there is none."""
    with conn.transaction():
        row = conn.execute(
            "SELECT o.action_id, o.desk_id, o.kind, o.contact_id, o.payload, o.created_by, o.created_at, "
            "o.dedupe_key FROM ccdesk.outbox o JOIN ccdesk.desks d ON d.desk_id = o.desk_id "
            "WHERE o.state = 'pending' AND o.desk_id <> %s AND d.last_seen < now() - make_interval(secs => %s) "
            "AND d.left_at IS NULL "  # a desk that left sends its own actions alone: taking them would send twice
            "ORDER BY o.created_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED", (desk_id, gone_after_s)).fetchone()
        if row is None:
            return None
        aid, owner, kind, cid, payload, by, at, key = row
        # The same serialisation as claim(): a twin being sent, or sent since, decides.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        twin = conn.execute(
            "SELECT o.state, coalesce(d.name, o.claimed_by) FROM ccdesk.outbox o "
            "LEFT JOIN ccdesk.desks d ON d.desk_id = o.claimed_by WHERE o.dedupe_key = %s AND o.action_id <> %s "
            "AND (o.state = 'in_progress' OR (o.state = 'done' AND o.claimed_at >= %s)) "
            "ORDER BY o.state = 'in_progress' DESC LIMIT 1", (key, aid, at)).fetchone()
        if twin is not None and twin[0] == "in_progress":
            return None  # its twin is on its way: look again later
        if twin is not None:
            text = f"Already sent from desk {twin[1]}; not sent again."
            conn.execute("UPDATE ccdesk.outbox SET state = 'merged', claimed_by = %s, message = %s, "
                         "updated_at = now() WHERE action_id = %s", (desk_id, text, aid))
            return Claim(MERGED, text)
        conn.execute("UPDATE ccdesk.outbox SET state = 'in_progress', claimed_by = %s, claimed_at = now(), "
                     "updated_at = now() WHERE action_id = %s", (desk_id, aid))
    return Orphan(aid, owner, kind, cid, payload if isinstance(payload, dict) else {}, by, at)


def finish_action(conn: psycopg.Connection[Any], aid: str, state: str, message: str) -> None:
    """finish() for an action known by its team id (an orphan sent by this desk for another)."""
    with conn.transaction():
        conn.execute("UPDATE ccdesk.outbox SET state = %s, message = %s, updated_at = now(), "
                     "claimed_at = CASE WHEN %s = 'done' THEN now() ELSE claimed_at END WHERE action_id = %s",
                     (state, message, state, aid))
        conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, aid))
