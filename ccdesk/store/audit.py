"""Append-only journal of what ccdesk did and who asked (triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

import getpass
import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ccdesk.store.rows import AuditRow
from ccdesk.store.timeutil import db_to_dt, dt_to_db

_SECRET_WORDS = ("token", "authorization", "password", "secret", "client_secret")
# Who is at this desk besides the OS login: the desk's display name (Settings) and the Constant Contact user
# signed in. Set once per process (window or CLI) and written into every audit row's details as "who".
_identity: dict[str, str] = {}


def set_identity(*, desk: str = "", cc_user: str = "") -> None:
    """Record the desk name and the signed-in Constant Contact user with every later audit row."""
    _identity.clear()
    _identity.update({k: v for k, v in (("desk", desk.strip()), ("cc_user", cc_user.strip())) if v})


def identity() -> dict[str, str]:
    return dict(_identity)


def current_actor() -> str:
    """The OS user name, the best 'who did it' a desktop app can offer without its own logins."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no USER/LOGNAME and no passwd entry (e.g. some containers)
        return "unknown"


def reject_secrets(data: Mapping[str, Any], what: str) -> None:
    """Refuse to persist anything that looks like a credential (tokens live only in the keyring)."""
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if any(word in str(key).lower() for word in _SECRET_WORDS):
                    raise ValueError(f"{what} must not contain credentials (key {key!r})")
                stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def add_audit(
    conn: sqlite3.Connection,
    *,
    action: str,
    outcome: str,
    at: datetime,
    actor: str | None = None,
    contact_id: str | None = None,
    email: str | None = None,
    details: Mapping[str, Any] | None = None,
    message: str | None = None,
) -> int:
    details = dict(details or {})
    if _identity and "who" not in details:
        details["who"] = dict(_identity)
    reject_secrets(details, "audit details")
    cur = conn.execute(
        "INSERT INTO audit (at, actor, action, contact_id, email, details, outcome, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            dt_to_db(at),
            actor or current_actor(),
            action,
            contact_id,
            email,
            json.dumps(details, ensure_ascii=False, separators=(",", ":")),
            outcome,
            message,
        ),
    )
    return int(cur.lastrowid or 0)


def audit_rows(
    conn: sqlite3.Connection, contact_id: str | None = None, limit: int = 200, before_id: int | None = None
) -> list[AuditRow]:
    """Newest first. ``before_id`` pages further back."""
    where: list[str] = []
    params: list[Any] = []
    if contact_id is not None:
        where.append("contact_id = ?")
        params.append(contact_id)
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    sql = "SELECT id, at, actor, action, contact_id, email, details, outcome, message FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [
        AuditRow(
            id=r[0],
            at=db_to_dt(r[1]) or datetime.min,
            actor=r[2],
            action=r[3],
            contact_id=r[4],
            email=r[5],
            details=json.loads(r[6]) if r[6] else {},
            outcome=r[7],
            message=r[8],
        )
        for r in conn.execute(sql, params)
    ]
