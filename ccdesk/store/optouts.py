"""Streaming reads of opt-outs (Recent opt-outs tab, Do Not Mail export).

These are generators over a live cursor, never ``fetchall``: a million-row export stays flat in memory.
The cursor's read snapshot lasts until the generator is exhausted or closed, so consume it promptly
(or ``close()`` it) - an open snapshot keeps the WAL from being checkpointed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ccdesk.store.contacts import CONTACT_SELECT, row_to_contact
from ccdesk.store.rows import ContactRow
from ccdesk.store.timeutil import dt_to_db

_FETCH = 500


def _stream(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Iterator[ContactRow]:
    cur = conn.execute(sql, params)
    try:
        while rows := cur.fetchmany(_FETCH):
            for row in rows:
                yield row_to_contact(row)
    finally:
        cur.close()


def optouts(
    conn: sqlite3.Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    *,
    newest_first: bool = False,
) -> Iterator[ContactRow]:
    """Unsubscribed contacts (deleted ones included) with an opt-out date in ``[since, until)``,
    ordered by opt-out date. ``source`` is ``"Contact"`` or ``"Account"``."""
    # IS NOT NULL lets the index skip the (many) contacts without an opt-out date. An unsubscribed
    # contact without a date is left out here; do_not_mail() lists every unsubscribed contact.
    # pending_confirmation: a resubscribe email was sent; the opt-out stands until the contact confirms.
    where = ["c.permission_to_send IN ('unsubscribed', 'pending_confirmation')", "c.opt_out_date IS NOT NULL"]
    params: list[Any] = []
    if since is not None:
        where.append("c.opt_out_date >= ?")
        params.append(dt_to_db(since))
    if until is not None:
        where.append("c.opt_out_date < ?")
        params.append(dt_to_db(until))
    if source is not None:
        where.append("c.opt_out_source = ?")
        params.append(source)
    direction = " DESC" if newest_first else ""
    sql = (
        f"SELECT {CONTACT_SELECT} FROM contacts c INDEXED BY contacts_optout WHERE {' AND '.join(where)} "
        f"ORDER BY c.opt_out_date{direction}, c.id{direction}"
    )
    return _stream(conn, sql, params)


# `pending_confirmation` alone also marks a new sign-up waiting for its double opt-in (not an opt-out).
AWAITING_RESUBSCRIBE = (
    "c.permission_to_send = 'pending_confirmation' AND (c.opt_out_date IS NOT NULL OR c.contact_id IN "
    "(SELECT contact_id FROM resubscribe_requests))"
)


def do_not_mail(conn: sqlite3.Connection) -> Iterator[ContactRow]:
    """Every unsubscribed contact, deleted ones included, by email address; also one that was sent a
    resubscribe email and has not confirmed (`pending_confirmation` with its opt-out on record, or asked from
    this desk): the opt-out stands until the contact confirms."""
    sql = (
        f"SELECT {CONTACT_SELECT} FROM contacts c "
        f"WHERE c.permission_to_send = 'unsubscribed' OR ({AWAITING_RESUBSCRIBE}) "
        "ORDER BY c.email_lower, c.id"
    )
    return _stream(conn, sql, [])
