"""The team outbox: every desk's actions in one table, each sent once.

An action's id is made on the desk that queued it (`<desk id>:<local outbox id>:<queued at>`), so handing it
over again after a lost answer or a reconnection inserts nothing new. Sending is claimed in one transaction: the
action's row is locked (`FOR UPDATE SKIP LOCKED`: a row another desk holds is skipped, not waited for) and an
advisory lock on the change it makes ("unsubscribe contact X") serialises two desks that queued the same change.
A twin that another desk is sending makes this one wait; a twin sent since this one was queued makes it `merged`
(nothing sent), unless that was the team's opt-out (Account) and this is the contact's own (Contact): this one
is then sent after it. A claim not renewed for CLAIM_S (its sender died) expires: the action's own desk, a
twin's, or (when its desk is gone too) any desk may claim it again; sending again is safe because every send
reads the contact first (docs/team.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

OUTBOX_CHANNEL = "ccdesk_outbox"
SEND = "send"        # this desk sends it now
MERGED = "merged"    # the same change was sent by another desk: done, nothing sent
BUSY = "busy"        # another desk is sending it (or its twin) right now: look again shortly
FINISHED = "finished"  # already finished in the team outbox (an earlier attempt whose local record was lost)
# A claim (state in_progress) holds while its sender renews it (every CLAIM_S / 4 while sending); one not renewed
# for CLAIM_S is expired: its sender died or lost the database, and the action may be claimed again (docs/team.md:
# what is sent again and what never is). CCDESK_TEAM_CLAIM_S: tests make it short.
CLAIM_S = float(os.environ.get("CCDESK_TEAM_CLAIM_S", "300"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The kinds whose update_source says who asked: the contact's own opt-out (Contact) is final, the team's (Account)
# can be undone by the account, so a sent Account twin does not cover a Contact one (it is sent after it).
_ASKED_BY_KINDS = ("unsubscribe", "add_unsubscribed")


@dataclass(frozen=True)
class Claim:
    verdict: str
    message: str = ""
    by_desk: str = ""


def action_id(desk_id: str, local_id: int, created_at: datetime) -> str:
    """`<desk id>:<local id>:<queued at, microseconds>`. The local id alone is not enough: it starts again at 1 in a
    new local store (`--db`, a reinstall) and goes back in a restored backup, and the team would then take a new
    action for one it has finished. The time it was queued (to the microsecond) tells them apart."""
    return f"{desk_id}:{local_id}:{(created_at - _EPOCH) // timedelta(microseconds=1)}"


def _legacy_id(desk_id: str, local_id: int) -> str:
    """The id ccdesk gave actions before the time was part of it (team schema 1 as first released)."""
    return f"{desk_id}:{local_id}"


def local_id_of(aid: str, desk_id: str) -> int:
    return int(aid[len(desk_id) + 1:].split(":", 1)[0])


def dedupe_key(kind: str, contact_id: str | None, payload: dict[str, Any]) -> str:
    """What makes two actions the same change: an opt-out of one contact is one change whatever the reason; a
    resubscribe is one per contact whatever the lists (Constant Contact sends one resubscribe email per contact)."""
    if kind in ("unsubscribe", "resubscribe_request"):
        return f"{kind}:{contact_id}"
    if kind == "add_unsubscribed":
        return f"add_unsubscribed:{str(payload.get('email', '')).strip().lower()}"
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return f"{kind}:{contact_id}:{digest}"


def _asked_by_contact(kind: str, payload: dict[str, Any]) -> bool:
    return kind in _ASKED_BY_KINDS and payload.get("update_source") == "Contact"


def hand_over(conn: psycopg.Connection[Any], desk_id: str, items: list[tuple[int, str, str | None, dict[str, Any],
              str, datetime]]) -> int:
    """Insert (local id, kind, contact id, payload, created by, created at) items; already there: untouched. One
    handed over under the first release's id (`desk:local id`) and the same queue time takes its new id."""
    if not items:
        return 0
    ids = [action_id(desk_id, lid, at) for lid, _k, _c, _p, _b, at in items]
    conn.execute(
        "UPDATE ccdesk.outbox o SET action_id = v.new FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) "
        "AS v(old, new, at) WHERE o.action_id = v.old AND o.created_at = v.at "
        "AND NOT EXISTS (SELECT FROM ccdesk.outbox n WHERE n.action_id = v.new)",
        ([_legacy_id(desk_id, item[0]) for item in items], ids, [item[5] for item in items]))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ccdesk.outbox (action_id, desk_id, kind, contact_id, payload, dedupe_key, created_by, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (action_id) DO NOTHING",
            [(aid, desk_id, kind, cid, Jsonb(payload), dedupe_key(kind, cid, payload), by, at)
             for aid, (_lid, kind, cid, payload, by, at) in zip(ids, items, strict=True)])
        n = cur.rowcount
    if n:
        conn.execute("SELECT pg_notify(%s, 'queued')", (OUTBOX_CHANNEL,))
    return max(0, n)


def _twin(conn: psycopg.Connection[Any], key: str, aid: str, since: datetime, contact_asked: bool
          ) -> tuple[str, str, str] | None:
    """(state, claimed by, its desk's name) of the same change queued elsewhere that decides for this one: one
    being sent (a live claim), else one sent since this one was queued that covers it (an Account opt-out does
    not cover the contact's own request)."""
    row = conn.execute(
        "SELECT o.state, coalesce(o.claimed_by, ''), coalesce(d.name, o.claimed_by, '') FROM ccdesk.outbox o "
        "LEFT JOIN ccdesk.desks d ON d.desk_id = o.claimed_by WHERE o.dedupe_key = %s AND o.action_id <> %s "
        "AND ((o.state = 'in_progress' AND o.claimed_at >= now() - make_interval(secs => %s)) "
        "OR (o.state = 'done' AND o.claimed_at >= %s AND (NOT %s OR o.payload->>'update_source' = 'Contact'))) "
        "ORDER BY o.state = 'in_progress' DESC LIMIT 1", (key, aid, CLAIM_S, since, contact_asked)).fetchone()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


def _merge(conn: psycopg.Connection[Any], aid: str, desk_id: str, twin: tuple[str, str, str]) -> Claim:
    text = f"Already sent from desk {twin[2]}; not sent again."
    conn.execute("UPDATE ccdesk.outbox SET state = 'merged', claimed_by = %s, message = %s, updated_at = now() "
                 "WHERE action_id = %s", (desk_id, text, aid))
    conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, aid))
    return Claim(MERGED, text, twin[1])


def _take(conn: psycopg.Connection[Any], aid: str, desk_id: str) -> None:
    conn.execute("UPDATE ccdesk.outbox SET state = 'in_progress', claimed_by = %s, claimed_at = now(), "
                 "updated_at = now() WHERE action_id = %s", (desk_id, aid))


def claim(conn: psycopg.Connection[Any], desk_id: str, local_id: int, kind: str, contact_id: str | None,
          payload: dict[str, Any], created_by: str, created_at: datetime) -> Claim:
    """Decide, in one transaction, whether this desk sends its action now (see the module docstring)."""
    aid = action_id(desk_id, local_id, created_at)
    key = dedupe_key(kind, contact_id, payload)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        hand_over(conn, desk_id, [(local_id, kind, contact_id, payload, created_by, created_at)])
        row = conn.execute("SELECT state, claimed_by, message, created_at, "
                           "claimed_at < now() - make_interval(secs => %s) FROM ccdesk.outbox WHERE action_id = %s "
                           "FOR UPDATE SKIP LOCKED", (CLAIM_S, aid)).fetchone()
        if row is None:
            return Claim(BUSY, "another desk holds this action")
        state, claimed_by, message, mine_created, expired = row
        if state in ("done", "merged", "cancelled"):  # a failed one asked again (Retry) is claimed again
            return Claim(FINISHED, message or "", claimed_by or "")
        if state == "in_progress" and claimed_by not in (None, desk_id) and not expired:
            return Claim(BUSY, "another desk is sending it for this one", claimed_by)
        twin = _twin(conn, key, aid, mine_created, _asked_by_contact(kind, payload))
        if twin is not None and twin[0] == "in_progress" and twin[1] != desk_id:
            return Claim(BUSY, f"the same change is being sent from desk {twin[2]}", twin[1])
        if twin is not None and twin[0] == "done":
            return _merge(conn, aid, desk_id, twin)
        _take(conn, aid, desk_id)
    return Claim(SEND)


def finish(conn: psycopg.Connection[Any], desk_id: str, local_id: int, created_at: datetime, state: str,
           message: str) -> None:
    """Record the outcome: 'done', 'failed', or 'pending' (it will be tried again)."""
    finish_action(conn, action_id(desk_id, local_id, created_at), state, message, desk_id)


def renew(conn: psycopg.Connection[Any], aid: str, desk_id: str) -> None:
    """This desk is still sending `aid`: its claim holds for another CLAIM_S."""
    conn.execute("UPDATE ccdesk.outbox SET claimed_at = now() WHERE action_id = %s AND claimed_by = %s "
                 "AND state = 'in_progress'", (aid, desk_id))


@dataclass(frozen=True)
class Open:
    """One of this desk's actions the team still sees open (pending or in progress)."""
    action_id: str
    local_id: int
    created_at: datetime
    state: str


def open_of_mine(conn: psycopg.Connection[Any], desk_id: str) -> list[Open]:
    """This desk's actions the team still sees open: their outcome may not have reached the team (the database
    was away when they finished, or they were cancelled). Some may be another local store's (`--db`, a store
    replaced): the caller matches each with its own item by local id and queue time."""
    rows = conn.execute("SELECT action_id, created_at, state FROM ccdesk.outbox WHERE state IN ('pending', "
                        "'in_progress') AND desk_id = %s", (desk_id,)).fetchall()
    return [Open(aid, local_id_of(aid, desk_id), at, state) for aid, at, state in rows]


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
    """Take the oldest open action of a desk unseen for `gone_after_s`: pending, or in progress under a claim
    nobody renewed for CLAIM_S (its sender died mid-send). The row lock skips one another desk is taking. Returns
    an Orphan to send, a Claim(MERGED) when its twin was sent meanwhile, None when there is none."""
    with conn.transaction():
        row = conn.execute(
            "SELECT o.action_id, o.desk_id, o.kind, o.contact_id, o.payload, o.created_by, o.created_at, "
            "o.dedupe_key FROM ccdesk.outbox o JOIN ccdesk.desks d ON d.desk_id = o.desk_id "
            "WHERE o.desk_id <> %s AND d.last_seen < now() - make_interval(secs => %s) "
            "AND d.left_at IS NULL "  # a desk that left sends its own actions alone: taking them would send twice
            "AND (o.state = 'pending' OR (o.state = 'in_progress' "
            "AND o.claimed_at < now() - make_interval(secs => %s))) "
            "ORDER BY o.created_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED", (desk_id, gone_after_s, CLAIM_S)).fetchone()
        if row is None:
            return None
        aid, owner, kind, cid, payload, by, at, key = row
        payload = payload if isinstance(payload, dict) else {}
        # The same serialisation as claim(): a twin being sent, or sent since, decides.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        twin = _twin(conn, key, aid, at, _asked_by_contact(kind, payload))
        if twin is not None and twin[0] == "in_progress":
            return None  # its twin is on its way: look again later
        if twin is not None:
            return _merge(conn, aid, desk_id, twin)
        _take(conn, aid, desk_id)
    return Orphan(aid, owner, kind, cid, payload, by, at)


def finish_action(conn: psycopg.Connection[Any], aid: str, state: str, message: str, desk_id: str) -> None:
    """finish() for an action known by its team id (an orphan sent by this desk for another). A live claim of
    another desk (it took the action over after this desk's claim expired) is left alone: that desk reports."""
    with conn.transaction():
        conn.execute("UPDATE ccdesk.outbox SET state = %s, message = %s, updated_at = now(), "
                     "claimed_at = CASE WHEN %s = 'done' THEN now() ELSE claimed_at END WHERE action_id = %s "
                     "AND NOT (state = 'in_progress' AND claimed_by IS DISTINCT FROM %s)",
                     (state, message, state, aid, desk_id))
        conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, aid))
