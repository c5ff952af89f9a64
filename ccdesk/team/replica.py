"""This desk's SQLite store as a replica of the team copy, and the way its own work reaches the team.

`exchange()` runs on the store's own thread (DatabaseThread.call), so no other local write can slip between its
steps: it publishes the local contact rows changed since the last publish (what this desk read from Constant
Contact or got back from a send), hands over queued actions and journal rows, then applies the team's changes
after the local bookmark `team.seq`, page by page, each page in one local transaction with its bookmarks. The
rows it applies are marked published in the same transaction, so nothing comes back to the team twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from ccdesk.services.cache_pull import COMPLETED_AT
from ccdesk.services.reconcile import LAST_COMPARE
from ccdesk.services.sync import CHANGES, LAST_RUN, OPTOUTS
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import AuditRow
from ccdesk.store.timeutil import api_to_db, db_to_dt, dt_to_db

from . import copy, journal, outbox

TEAM_SEQ = "team.seq"                     # the team change applied last
PUBLISHED = "team.published_local_seq"    # local change_seq up to which our rows are in the team copy
PUBLISHED_ROW = "team.published_local_row"  # ... and within that change_seq, the row id
AUDIT_MARK = "team.published_audit_id"    # local journal rows copied up to here
HANDED = "team.handed_outbox_id"          # local outbox items handed over up to here
LISTS_AT = "team.lists_fetched_at"
# Set while a new store's first catch-up stores the team copy as a first full read does (store/full_read.py:
# indexes and search index built once at its end, in name order, as a single desk's are; 4,200 contacts a second
# row by row before, and a name index filled in random order).
FIRST_READ = "team.first_read"
# The sync bookmarks the team shares: whoever holds the lease continues from the team's, not its own.
BOOKMARKS = (COMPLETED_AT, OPTOUTS.checkpoint, CHANGES.checkpoint, LAST_COMPARE, LAST_RUN)
PAGE = 2000


@dataclass
class Exchanged:
    published: int = 0
    applied: int = 0
    handed_over: int = 0
    team_seq: int = 0
    caught_up: bool = False
    new_optouts: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def _int(value: str | None) -> int:
    return int(value) if value else 0


def publish_local(s: DeskDatabase, conn: psycopg.Connection[Any], desk_id: str, out: Exchanged) -> None:
    """Local rows changed after the mark (change_seq, then row id: one stored page shares one change_seq)."""
    mark_seq, mark_row = _mark(s)
    while True:
        rows = s.connection.execute(
            "SELECT c.change_seq, c.id, j.raw_json, c.fetched_at FROM contacts c JOIN contact_json j ON j.id = c.id "
            f"WHERE {_AFTER_MARK} ORDER BY c.change_seq, c.id LIMIT ?", (mark_seq, mark_seq, mark_row, PAGE)).fetchall()
        if not rows:
            return
        fetched = db_to_dt(max(r[3] for r in rows)) or datetime.now(UTC)
        with conn.transaction():
            out.published += copy.publish_contacts(conn, [json.loads(r[2]) for r in rows], fetched, desk_id)
        mark_seq, mark_row = rows[-1][0], rows[-1][1]
        with s.transaction():
            s.set_state(PUBLISHED, str(mark_seq))
            s.set_state(PUBLISHED_ROW, str(mark_row))


def hand_over_outbox(s: DeskDatabase, conn: psycopg.Connection[Any], desk_id: str, out: Exchanged) -> None:
    mark = _int(s.get_state(HANDED))
    rows = s.connection.execute("SELECT id, kind, contact_id, payload, created_by, created_at FROM outbox "
                                "WHERE id > ? ORDER BY id LIMIT 5000", (mark,)).fetchall()
    if not rows:
        return
    items = [(r[0], r[1], r[2], json.loads(r[3]), r[4], db_to_dt(r[5]) or datetime.now(UTC)) for r in rows]
    with conn.transaction():
        out.handed_over += outbox.hand_over(conn, desk_id, items)
    s.set_state(HANDED, str(rows[-1][0]))


def publish_journal(s: DeskDatabase, conn: psycopg.Connection[Any], desk_id: str) -> None:
    mark = _int(s.get_state(AUDIT_MARK))
    rows = s.connection.execute("SELECT id, at, actor, action, contact_id, email, details, outcome, message FROM audit "
                                "WHERE id > ? ORDER BY id LIMIT 5000", (mark,)).fetchall()
    if not rows:
        return
    audit = [AuditRow(r[0], db_to_dt(r[1]) or datetime.now(UTC), r[2], r[3], r[4], r[5],
                      json.loads(r[6]) if r[6] else {}, r[7], r[8]) for r in rows]
    with conn.transaction():
        journal.publish(conn, desk_id, audit)
    s.set_state(AUDIT_MARK, str(rows[-1][0]))


def catch_up(s: DeskDatabase, conn: psycopg.Connection[Any], out: Exchanged, desk_id: str = "", *,
             max_pages: int | None = None) -> bool:
    """Apply team changes after TEAM_SEQ; True when the replica has caught up."""
    lists_at = db_to_dt(s.get_state(LISTS_AT))
    lists = copy.lists_after(conn, lists_at)
    if lists:
        newest = max(at for _, at in lists)
        with s.transaction():
            s.upsert_lists([raw for raw, _ in lists], newest)
            s.set_state(LISTS_AT, dt_to_db(newest))
    seq = _int(s.get_state(TEAM_SEQ))
    first = bool(s.get_state(FIRST_READ))
    pages = 0
    while max_pages is None or pages < max_pages:
        changes = copy.changes_since(conn, seq, PAGE, desk_id)
        conn.rollback()  # end the read transaction: a long catch-up must not hold a snapshot open
        if not changes:
            if first:
                with s.transaction():
                    s.end_full_read()
                    s.set_state(FIRST_READ, None)
            out.team_seq = seq
            return True
        if not first and seq == 0 and len(changes) == PAGE and s.count() == 0:
            with s.transaction():  # a new store and a long way to go: the team copy is its first full read
                s.begin_full_read()
                s.set_state(FIRST_READ, "1")
            first = True
        seq = changes[-1][0]
        theirs = [(raw, at) for _, raw, at, _ in changes if raw is not None]
        own = [stamps for _, _, _, stamps in changes if stamps is not None]
        # This desk's own changes, which this store does not have (a new store, a restored backup); during the
        # first read all of them (the store began empty, and a contact stored twice keeps its newest copy).
        missing = [cid for cid, _, _ in own] if first else not_here(s, own)
        if missing:
            theirs += copy.contacts_by_id(conn, missing)
        conn.rollback()
        _apply(s, conn, desk_id, out, theirs, seq, first=first)
        out.applied += len(theirs)
        out.changed.extend(str(raw["contact_id"]) for raw, _ in theirs)
        pages += 1
    out.team_seq = seq
    return False


APPLY_TRIES = 3


def _apply(s: DeskDatabase, conn: psycopg.Connection[Any], desk_id: str, out: Exchanged,
           theirs: list[tuple[dict[str, Any], datetime]], seq: int, *, first: bool) -> None:
    """Store a page of team rows with its bookmark, and move the publish mark past them: they came from the team and
    must not go back (a copy sent back could replace a colleague's newer change of the same version). Another process
    sharing this store (a scheduled job, a second window) may have stored a contact since this exchange published;
    the mark may only move when nothing local waits, so what waits is published first, outside the write lock (no
    PostgreSQL wait while other processes cannot write), and checked again under it. A store written to without
    pause keeps the mark where it is after APPLY_TRIES: the applied rows then go back once, unchanged."""
    for attempt in range(1, APPLY_TRIES + 1):
        publish_local(s, conn, desk_id, out)
        with s.transaction():
            waiting = bool(theirs) and unpublished(s)
            if waiting and attempt < APPLY_TRIES:
                continue  # nothing written: publish what came meanwhile, then try again
            if theirs:
                raws, newest = [raw for raw, _ in theirs], max(at for _, at in theirs)
                result = s.store_full_read_pages([raws], newest) if first else s.upsert_contacts(raws, newest)
                out.new_optouts.extend(result.new_optouts)
                if not waiting:
                    top = s.connection.execute("SELECT coalesce(max(change_seq), 0) FROM contacts").fetchone()[0]
                    s.set_state(PUBLISHED, str(top))
                    s.set_state(PUBLISHED_ROW, str(1 << 62))
            s.set_state(TEAM_SEQ, str(seq))
        return


def unpublished(s: DeskDatabase) -> bool:
    """Whether a local contact row changed after the published mark (read inside the caller's transaction)."""
    mark_seq, mark_row = _mark(s)
    return s.connection.execute(f"SELECT 1 FROM contacts c WHERE {_AFTER_MARK} LIMIT 1",
                                (mark_seq, mark_seq, mark_row)).fetchone() is not None


# Local rows not yet published: after the mark (change_seq, then row id: one stored page shares one change_seq).
_AFTER_MARK = "c.change_seq > ? OR (c.change_seq = ? AND c.id > ?)"


def _mark(s: DeskDatabase) -> tuple[int, int]:
    return _int(s.get_state(PUBLISHED)), _int(s.get_state(PUBLISHED_ROW))


def not_here(s: DeskDatabase, own: list[copy.Stamps]) -> list[str]:
    """Of this desk's own changes, the contacts this store lacks or has older: it did not write them itself."""
    if not own:
        return []
    have: dict[str, tuple[str | None, str | None]] = {}
    ids = [cid for cid, _, _ in own]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        have.update((cid, (updated, email_updated)) for cid, updated, email_updated in s.connection.execute(
            f"SELECT contact_id, updated_at, email_updated_at FROM contacts WHERE contact_id IN "
            f"({','.join('?' * len(chunk))})", chunk))

    def older(mine: str | None, team: str | None) -> bool:
        theirs = api_to_db(team)
        return theirs is not None and (mine is None or mine < theirs)

    return [cid for cid, updated, email_updated in own
            if cid not in have or older(have[cid][0], updated) or older(have[cid][1], email_updated)]


def exchange(s: DeskDatabase, conn: psycopg.Connection[Any], desk_id: str, *,
             max_pages: int | None = None) -> Exchanged:
    """Publish, hand over, then catch up (see the module docstring)."""
    out = Exchanged()
    publish_local(s, conn, desk_id, out)
    hand_over_outbox(s, conn, desk_id, out)
    publish_journal(s, conn, desk_id)
    out.caught_up = catch_up(s, conn, out, desk_id, max_pages=max_pages)
    conn.rollback()
    return out


def adopt_bookmarks(s: DeskDatabase, conn: psycopg.Connection[Any]) -> bool:
    """Continue from the team's sync bookmarks (the replica has what they cover); True when the team has read the
    whole account before."""
    team = copy.get_state(conn, BOOKMARKS)
    conn.rollback()
    if not team.get(COMPLETED_AT):
        return False
    with s.transaction():
        for key, value in team.items():
            if value is not None and (s.get_state(key) or "") < value:
                s.set_state(key, value)
    return True


def save_bookmarks(s: DeskDatabase, conn: psycopg.Connection[Any]) -> None:
    values = {key: s.get_state(key) for key in BOOKMARKS}
    with conn.transaction():
        copy.set_state(conn, {k: v for k, v in values.items() if v is not None})


def publish_lists(s: DeskDatabase, conn: psycopg.Connection[Any]) -> None:
    lists = [json.loads(raw) for (raw,) in s.connection.execute("SELECT raw_json FROM lists")]
    if lists:
        with conn.transaction():
            copy.publish_lists(conn, lists, datetime.now(UTC))
