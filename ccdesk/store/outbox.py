"""Durable queue of actions to send to Constant Contact.

Every transition writes its audit row in the same transaction, so the journal never disagrees with
the queue. Items for one contact are handed out strictly in order: a later action waits while an
earlier one for the same contact is pending (e.g. in back-off) or in progress, a bulk removal naming
the contact included (its contacts are in list_removals, store/removals.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ccdesk.store.audit import add_audit, reject_secrets
from ccdesk.store.contacts import contact_email
from ccdesk.store.errors import InvalidStateError
from ccdesk.store.process_alive import process_exists, process_started
from ccdesk.store.rows import OutboxItem, OutboxState, Outcome
from ccdesk.store.timeutil import db_to_dt, dt_to_db

# Identifies this process's claims: "<pid>:<random>:<when the process started>". Recovery on open only resets
# in_progress items claimed by a process that is gone, so neither a second DeskDatabase in this process nor another
# live ccdesk process on this PC (the window and a scheduled `ccdesk unsubscribe` share the file) can take work that
# is being sent; the start stamp tells a process that later got the same pid from the one that claimed.
PROCESS_SESSION = f"{os.getpid()}:{uuid.uuid4().hex}:{process_started(os.getpid()) or ''}"


def claim_is_live(claimed_by: str | None) -> bool:
    """True if the claim belongs to this process or to another process that is still running."""
    if not claimed_by:
        return False
    if claimed_by == PROCESS_SESSION:
        return True
    pid_text, sep, rest = claimed_by.partition(":")
    if not sep or not pid_text.isdigit():
        return False  # a claim from an older version: its process is long gone
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # our pid but not our session: an earlier process that had the same pid
    if not process_exists(pid):
        return False
    claimed_at = rest.partition(":")[2]  # empty in a claim from an older version, or where it cannot be told
    started = process_started(pid) if claimed_at else None
    return started is None or started == claimed_at  # another start: the pid went to another process

_ITEM_COLUMNS = (
    "id, kind, contact_id, payload, state, attempts, next_attempt_at, last_error, "
    "created_at, updated_at, created_by"
)


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        kind=row[1],
        contact_id=row[2],
        payload=json.loads(row[3]),
        state=OutboxState(row[4]),
        attempts=row[5],
        next_attempt_at=db_to_dt(row[6]) or datetime.min,
        last_error=row[7],
        created_at=db_to_dt(row[8]) or datetime.min,
        updated_at=db_to_dt(row[9]) or datetime.min,
        created_by=row[10],
    )


def enqueue(
    conn: sqlite3.Connection,
    kind: str,
    contact_id: str | None,
    payload: Mapping[str, Any],
    actor: str,
    now: datetime,
) -> int:
    reject_secrets(payload, "outbox payload")
    text = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"))
    ts = dt_to_db(now)
    cur = conn.execute(
        "INSERT INTO outbox (kind, contact_id, payload, state, attempts, next_attempt_at, created_at, "
        "updated_at, created_by) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
        (kind, contact_id, text, ts, ts, ts, actor),
    )
    item_id = int(cur.lastrowid or 0)
    add_audit(
        conn,
        action=kind,
        outcome=Outcome.QUEUED,
        at=now,
        actor=actor,
        contact_id=contact_id,
        email=contact_email(conn, contact_id),
        details={"outbox_id": item_id, "payload": dict(payload)},
    )
    return item_id


def get_item(conn: sqlite3.Connection, item_id: int) -> OutboxItem | None:
    row = conn.execute(f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE id = ?", (item_id,)).fetchone()
    return None if row is None else _item(row)


def states(conn: sqlite3.Connection, item_ids: list[int]) -> list[tuple[int, str, OutboxState]]:
    """(id, kind, state) of many items in one query: what a bulk run polls while it waits."""
    return [(item_id, kind, OutboxState(state)) for item_id, kind, state in conn.execute(
        "SELECT id, kind, state FROM outbox WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(item_ids),))]


def next_due(conn: sqlite3.Connection, now: datetime) -> OutboxItem | None:
    """Claim the oldest due item (state -> in_progress, attempts + 1). The caller holds a transaction."""
    row = conn.execute(
        f"""UPDATE outbox SET state = 'in_progress', attempts = attempts + 1, updated_at = :now,
                              claimed_by = :session
            WHERE id = (
                SELECT o.id FROM outbox o
                WHERE o.state = 'pending' AND o.next_attempt_at <= :now
                  AND NOT EXISTS (
                      SELECT 1 FROM outbox e
                      WHERE e.contact_id = o.contact_id AND e.id < o.id
                        AND e.state IN ('pending', 'in_progress'))
                  -- an action for a contact waits for an earlier bulk removal naming it (say an add back)
                  AND NOT EXISTS (
                      SELECT 1 FROM list_removals r JOIN outbox e ON e.id = r.item_id
                      WHERE o.contact_id IS NOT NULL AND r.contact_id = o.contact_id AND r.item_id < o.id
                        AND e.contact_id IS NULL AND e.state IN ('pending', 'in_progress'))
                  -- and a bulk removal for earlier actions for any contact it names
                  AND NOT EXISTS (
                      SELECT 1 FROM json_each(o.payload, '$.contact_ids') c JOIN outbox e ON e.contact_id = c.value
                      WHERE o.contact_id IS NULL AND e.id < o.id AND e.state IN ('pending', 'in_progress'))
                ORDER BY o.id LIMIT 1)
            RETURNING {_ITEM_COLUMNS}""",
        {"now": dt_to_db(now), "session": PROCESS_SESSION},
    ).fetchone()
    return None if row is None else _item(row)


def next_attempt_at(conn: sqlite3.Connection) -> datetime | None:
    """When the earliest pending item becomes due (for the worker's sleep)."""
    row = conn.execute("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'").fetchone()
    return db_to_dt(row[0])


def _item_in(conn: sqlite3.Connection, item_id: int, state: OutboxState) -> OutboxItem:
    """The item, which must be in `state` (InvalidStateError otherwise: gone, or changed meanwhile)."""
    current = get_item(conn, item_id)
    if current is None:
        raise InvalidStateError(f"outbox item {item_id} does not exist")
    if current.state is not state:
        raise InvalidStateError(f"outbox item {item_id} is {current.state}, not {state}")
    return current


def _transition(
    conn: sqlite3.Connection,
    item_id: int,
    *,
    state: OutboxState,
    outcome: Outcome,
    message: str | None,
    now: datetime,
    next_at: datetime | None = None,
    error: str | None = None,
) -> OutboxItem:
    current = _item_in(conn, item_id, OutboxState.IN_PROGRESS)
    (claimed_by,) = conn.execute("SELECT claimed_by FROM outbox WHERE id = ?", (item_id,)).fetchone()
    if claimed_by != PROCESS_SESSION:
        # Put back and claimed by another process that took this one for gone: its result is the one to keep.
        raise InvalidStateError(f"outbox item {item_id} is being sent by another ccdesk process")
    conn.execute(
        "UPDATE outbox SET state = ?, updated_at = ?, claimed_by = NULL, "
        "last_error = coalesce(?, last_error), next_attempt_at = coalesce(?, next_attempt_at) "
        "WHERE id = ?",
        (str(state), dt_to_db(now), error, dt_to_db(next_at) if next_at else None, item_id),
    )
    details: dict[str, Any] = {"outbox_id": item_id, "attempts": current.attempts}
    if next_at is not None:
        details["next_attempt_at"] = dt_to_db(next_at)
    add_audit(
        conn,
        action=current.kind,
        outcome=outcome,
        at=now,
        contact_id=current.contact_id,
        email=contact_email(conn, current.contact_id),
        details=details,
        message=message,
    )
    return current


def mark_done(conn: sqlite3.Connection, item_id: int, result_message: str | None, now: datetime) -> None:
    _transition(conn, item_id, state=OutboxState.DONE, outcome=Outcome.SENT, message=result_message, now=now)


def mark_retry(
    conn: sqlite3.Connection, item_id: int, error: str, next_attempt_at: datetime, now: datetime
) -> None:
    _transition(
        conn,
        item_id,
        state=OutboxState.PENDING,
        outcome=Outcome.RETRY,
        message=error,
        now=now,
        next_at=next_attempt_at,
        error=error,
    )


def due_now(conn: sqlite3.Connection, item_ids: list[int], now: datetime) -> int:
    """Bring pending items waiting out a back-off forward to `now` (someone asked to try again)."""
    changed = 0
    for item_id in item_ids:
        changed += conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending' "
                                "AND next_attempt_at > ?", (dt_to_db(now), item_id, dt_to_db(now))).rowcount
    return changed


def mark_failed(conn: sqlite3.Connection, item_id: int, error: str, now: datetime) -> None:
    _transition(
        conn, item_id, state=OutboxState.FAILED, outcome=Outcome.FAILED, message=error, now=now, error=error
    )


def pending(
    conn: sqlite3.Connection, contact_id: str | None = None, kind: str | None = None
) -> list[OutboxItem]:
    """Items not finished yet (pending or in progress), oldest first."""
    sql = f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE state IN ('pending', 'in_progress')"
    params: list[Any] = []
    if contact_id is not None:
        sql += " AND contact_id = ?"
        params.append(contact_id)
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    return [_item(r) for r in conn.execute(sql + " ORDER BY id", params)]


def items(conn: sqlite3.Connection, state: str | None = None, limit: int = 500) -> list[OutboxItem]:
    """Any items, newest first (for the Activity tab, including done and failed ones)."""
    sql = f"SELECT {_ITEM_COLUMNS} FROM outbox"
    params: list[Any] = []
    if state is not None:
        sql += " WHERE state = ?"
        params.append(str(OutboxState(state)))
    params.append(limit)
    return [_item(r) for r in conn.execute(sql + " ORDER BY id DESC LIMIT ?", params)]


def recover_interrupted(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Put items left in_progress by a process that is gone back to pending (audited)."""
    stale = [item_id for item_id, claimed_by in conn.execute(
        "SELECT id, claimed_by FROM outbox WHERE state = 'in_progress'") if not claim_is_live(claimed_by)]
    rows = [conn.execute(
        "UPDATE outbox SET state = 'pending', claimed_by = NULL, updated_at = ? WHERE id = ? AND state = 'in_progress' "
        "RETURNING id, kind, contact_id, attempts",
        (dt_to_db(now), item_id),
    ).fetchone() for item_id in stale]
    rows = [r for r in rows if r is not None]
    for item_id, kind, contact_id, attempts in sorted(rows):
        add_audit(
            conn,
            action=kind,
            outcome=Outcome.REQUEUED,
            at=now,
            contact_id=contact_id,
            email=contact_email(conn, contact_id),
            details={"outbox_id": item_id, "attempts": attempts},
            message="ccdesk stopped while this was being sent; it will be tried again.",
        )
    return sorted(r[0] for r in rows)


def release_own_claims(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Items this process claimed but could not finish recording (the file was locked, the disk full) go back
    to the queue. Only the sender calls this, when it has nothing in flight."""
    rows = conn.execute("UPDATE outbox SET state = 'pending', claimed_by = NULL, updated_at = ?, next_attempt_at = ? "
                        "WHERE state = 'in_progress' AND claimed_by = ? RETURNING id",
                        (dt_to_db(now), dt_to_db(now), PROCESS_SESSION)).fetchall()
    return sorted(r[0] for r in rows)


def _staff_transition(conn: sqlite3.Connection, item_id: int, state: OutboxState, outcome: Outcome, actor: str,
                      message: str, now: datetime) -> None:
    current = _item_in(conn, item_id, OutboxState.FAILED)
    conn.execute(
        "UPDATE outbox SET state = ?, updated_at = ?, next_attempt_at = ?, claimed_by = NULL WHERE id = ?",
        (str(state), dt_to_db(now), dt_to_db(now), item_id),
    )
    add_audit(conn, action=current.kind, outcome=outcome, at=now, actor=actor, contact_id=current.contact_id,
              email=contact_email(conn, current.contact_id), details={"outbox_id": item_id}, message=message)


def retry_failed(conn: sqlite3.Connection, item_id: int, actor: str, now: datetime) -> None:
    """Staff asked to try a failed action again: it goes back to the queue, due now."""
    _staff_transition(conn, item_id, OutboxState.PENDING, Outcome.REQUEUED, actor, "Retry requested", now)


def discard_failed(conn: sqlite3.Connection, item_id: int, actor: str, now: datetime) -> None:
    """Staff gave up on a failed action: it stays in the table and the journal, marked discarded."""
    _staff_transition(conn, item_id, OutboxState.DISCARDED, Outcome.DISCARDED, actor, "Discarded", now)


def cancel_pending(conn: sqlite3.Connection, item_ids: list[int], actor: str, now: datetime) -> list[int]:
    """Staff stopped a bulk run: items not yet being sent are discarded (kept in the table and journal).
    An item already in progress is left to finish; it cannot be recalled halfway."""
    cancelled = []
    for item_id in item_ids:
        current = get_item(conn, item_id)
        if current is None or current.state is not OutboxState.PENDING:
            continue
        conn.execute("UPDATE outbox SET state = ?, updated_at = ?, claimed_by = NULL WHERE id = ? AND state = ?",
                     (str(OutboxState.DISCARDED), dt_to_db(now), item_id, str(OutboxState.PENDING)))
        add_audit(conn, action=current.kind, outcome=Outcome.DISCARDED, at=now, actor=actor,
                  contact_id=current.contact_id, email=contact_email(conn, current.contact_id),
                  details={"outbox_id": item_id}, message="Cancelled before it was sent")
        cancelled.append(item_id)
    return cancelled

