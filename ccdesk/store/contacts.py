"""Writing contact pages into the cache, and reading single contacts back."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccdesk.store import full_read
from ccdesk.store.derive import Derived, derive
from ccdesk.store.rows import ContactRow, Status, UpsertResult
from ccdesk.store.state import set_state
from ccdesk.store.timeutil import db_to_date, db_to_dt, dt_to_db, utcnow

# Column list shared by every query that returns ContactRow (alias ``c`` = contacts).
CONTACT_SELECT = """
    c.contact_id, c.email, c.first_name, c.last_name, c.company, c.job_title, c.status,
    c.permission_to_send, c.opt_in_source, c.opt_in_date, c.opt_out_source, c.opt_out_date,
    c.opt_out_reason, c.confirm_status, c.created_at, c.updated_at, c.email_updated_at, c.deleted_at,
    c.fetched_at, c.lists_known,
    (SELECT group_concat(m.list_id, ',') FROM memberships m WHERE m.contact_rowid = c.id),
    (SELECT max(r.requested_at) FROM resubscribe_requests r WHERE r.contact_id = c.contact_id)
"""


CHANGE_SEQ_HIGH = "contacts.change_seq_high"  # sync_state: the highest change_seq ever given


def _next_change_seq(conn: sqlite3.Connection) -> int:
    """A change_seq never given before, also after the contact holding the highest was deleted (a full resync's
    purge, a first read's dedupe): readers take an unchanged highest change_seq for "nothing changed"
    (name_order.py's ranks, the team's publish mark), so reusing it hid the next contact stored."""
    seq = 1 + max(int(conn.execute("SELECT coalesce(max(change_seq), 0) FROM contacts").fetchone()[0]),
                  int(conn.execute("SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM sync_state WHERE key = ?",
                                   (CHANGE_SEQ_HIGH,)).fetchone()[0]))
    set_state(conn, CHANGE_SEQ_HIGH, str(seq), utcnow())
    return seq


def row_to_contact(row: tuple[Any, ...], raw: dict[str, Any] | None = None) -> ContactRow:
    (contact_id, email, first, last, company, job, status, perm, in_src, in_date, out_src, out_date,
     out_reason, confirm, created, updated, email_updated, deleted, fetched, lists_known, lists,
     resub) = row  # fmt: skip
    return ContactRow(
        contact_id=contact_id,
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        job_title=job,
        status=Status(status),
        permission_to_send=perm,
        opt_in_source=in_src,
        opt_in_date=db_to_dt(in_date),
        opt_out_source=out_src,
        opt_out_date=db_to_dt(out_date),
        opt_out_reason=out_reason,
        confirm_status=confirm,
        created_at=db_to_dt(created),
        updated_at=db_to_dt(updated),
        email_updated_at=db_to_dt(email_updated),
        deleted_at=db_to_date(deleted),
        fetched_at=db_to_dt(fetched) or datetime.min,
        list_ids=tuple(sorted(lists.split(","))) if lists else (),
        lists_known=bool(lists_known),
        resubscribe_requested_at=db_to_dt(resub),
        raw=raw,
    )


def get_contact(conn: sqlite3.Connection, contact_id: str) -> ContactRow | None:
    return _get_one(conn, "c.contact_id = ?", contact_id)


def get_contact_by_email(conn: sqlite3.Connection, email: str) -> ContactRow | None:
    """Exact address, case-insensitive. If two cached contacts share it (possible briefly while an
    address moves between contacts), the one not deleted and most recently updated wins."""
    return _get_one(
        conn,
        "c.email_lower = ? ORDER BY c.deleted_at IS NOT NULL, c.updated_at DESC LIMIT 1",
        email.strip().lower(),
    )


def get_contacts_by_emails(conn: sqlite3.Connection, emails: Iterable[str]) -> dict[str, ContactRow]:
    """Many exact addresses at once (a file of addresses), without the raw JSON; same choice as
    get_contact_by_email when two contacts share an address. Keys are the lower-cased addresses."""
    wanted = sorted({e.strip().lower() for e in emails})
    best: dict[str, tuple[tuple[bool, str], ContactRow]] = {}
    for row in conn.execute(
        f"SELECT c.email_lower, c.deleted_at IS NULL, coalesce(c.updated_at, ''), {CONTACT_SELECT} "
        "FROM contacts c WHERE c.email_lower IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    ):
        email, rank = row[0], (bool(row[1]), row[2])
        if email not in best or rank > best[email][0]:
            best[email] = (rank, row_to_contact(row[3:]))
    return {email: contact for email, (_, contact) in best.items()}


def _get_one(conn: sqlite3.Connection, where: str, arg: str) -> ContactRow | None:
    row = conn.execute(
        f"SELECT {CONTACT_SELECT}, j.raw_json FROM contacts c "
        f"LEFT JOIN contact_json j ON j.id = c.id WHERE {where}",
        (arg,),
    ).fetchone()
    if row is None:
        return None
    raw = json.loads(row[-1]) if row[-1] is not None else None
    return row_to_contact(row[:-1], raw)


def deleted_ids(conn: sqlite3.Connection) -> set[str]:
    """Cached contacts that `GET /contacts?status=deleted` should return."""
    return {r[0] for r in conn.execute("SELECT contact_id FROM contacts WHERE deleted_at IS NOT NULL")}


def contact_email(conn: sqlite3.Connection, contact_id: str | None) -> str | None:
    if contact_id is None:
        return None
    row = conn.execute("SELECT email FROM contacts WHERE contact_id = ?", (contact_id,)).fetchone()
    return None if row is None else row[0]


@dataclass(slots=True)
class _Stored:
    rowid: int
    search_doc: str
    raw_json: str | None
    permission: str | None
    opt_out_date: str | None
    updated_at: str | None
    email_updated_at: str | None
    lists_known: bool
    list_ids: set[str]


def _load_stored(conn: sqlite3.Connection, ids: list[str]) -> dict[str, _Stored]:
    stored: dict[str, _Stored] = {}
    by_rowid: dict[int, _Stored] = {}
    for rowid, cid, doc, raw, perm, out_date, upd, email_upd, known in conn.execute(
        """SELECT c.id, c.contact_id, c.search_doc, j.raw_json, c.permission_to_send, c.opt_out_date, c.updated_at,
                  c.email_updated_at, c.lists_known
           FROM contacts c LEFT JOIN contact_json j ON j.id = c.id
           WHERE c.contact_id IN (SELECT value FROM json_each(?))""",
        (json.dumps(ids),),
    ):
        s = _Stored(rowid, doc, raw, perm, out_date, upd, email_upd, bool(known), set())
        stored[cid] = by_rowid[rowid] = s
    if by_rowid:
        for rowid, list_id in conn.execute(
            "SELECT contact_rowid, list_id FROM memberships "
            "WHERE contact_rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(by_rowid)),),
        ):
            by_rowid[rowid].list_ids.add(list_id)
    return stored


def _is_stale(old: _Stored, new: Derived) -> bool:
    """True if the incoming record is an older snapshot than the cached one (e.g. a sync page read
    before our own PUT landed): any timestamp going backwards means an older read."""
    pairs = ((old.updated_at, new.updated_at), (old.email_updated_at, new.email_updated_at))
    return any(o is not None and n is not None and n < o for o, n in pairs)


def _is_new_optout(old: _Stored | None, new: Derived) -> bool:
    if new.permission_to_send != "unsubscribed":
        return False
    if old is None or old.permission != "unsubscribed":
        return True
    # Still unsubscribed, but a later opt-out than the one we knew: they resubscribed and left again.
    return bool(new.opt_out_date and old.opt_out_date and new.opt_out_date > old.opt_out_date)


_COLUMNS = (
    "email", "email_lower", "first_name", "last_name", "company", "job_title", "status",
    "permission_to_send", "opt_in_source", "opt_in_date", "opt_out_source", "opt_out_date",
    "opt_out_reason", "confirm_status", "created_at", "updated_at", "email_updated_at", "deleted_at",
    "lists_known", "sort_name", "search_doc", "fetched_at", "change_seq",
)  # fmt: skip
# Rowids are given, not returned: a page of new contacts goes in with one executemany.
_INSERT = (f"INSERT INTO contacts (id, contact_id, {', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))})")
_FACET_ADD = ("INSERT INTO facet_counts (list_id, status, n) VALUES (?, ?, ?) "
              "ON CONFLICT DO UPDATE SET n = n + excluded.n")
_UPDATE = f"UPDATE contacts SET {', '.join(c + ' = ?' for c in _COLUMNS)} WHERE id = ?"


def _values(d: Derived, status: str, lists_known: bool, fetched: str, seq: int) -> tuple[Any, ...]:
    return (
        d.email, d.email_lower, d.first_name, d.last_name, d.company, d.job_title, str(status),
        d.permission_to_send, d.opt_in_source, d.opt_in_date, d.opt_out_source, d.opt_out_date,
        d.opt_out_reason, d.confirm_status, d.created_at, d.updated_at, d.email_updated_at,
        d.deleted_at, int(lists_known), d.sort_name, d.search_doc, fetched, seq,
    )  # fmt: skip


def _insert_all(conn: sqlite3.Connection, page: dict[str, Derived], fetched: str, seq: int,
                next_id: int) -> UpsertResult:
    """Every contact of the page is new (a first full read into an empty cache, store/full_read.py): the rows
    upsert's insert path writes, built with less work a contact (a first read inserts a million)."""
    rows: list[tuple[Any, ...]] = []
    jsons: list[tuple[int, str]] = []
    members: list[tuple[str, int]] = []
    facets: dict[tuple[str, str], int] = {}
    new_optouts: list[str] = []
    texts: list[tuple[int, str]] | None = [] if full_read.search_ready(conn) else None  # None: the end builds it
    rowid = next_id
    for cid, d in page.items():
        list_ids = d.list_ids  # sorted, each once (derive)
        known = list_ids is not None
        status = str(d.status(lists_known=known, list_count=len(list_ids) if list_ids else 0))
        if d.permission_to_send == "unsubscribed":
            new_optouts.append(cid)
        rows.append((rowid, cid, *_values(d, status, known, fetched, seq)))
        jsons.append((rowid, d.raw_json))
        if texts is not None:
            texts.append((rowid, d.search_doc))
        facets["", status] = facets.get(("", status), 0) + 1
        if list_ids:
            for lid in list_ids:
                members.append((lid, rowid))
                facets[lid, status] = facets.get((lid, status), 0) + 1
        rowid += 1
    conn.executemany(_INSERT, rows)
    conn.executemany("INSERT INTO contact_json (id, raw_json) VALUES (?, ?)", jsons)
    conn.executemany("INSERT INTO memberships (list_id, contact_rowid) VALUES (?, ?)", members)
    conn.executemany(_FACET_ADD, [(lid, st, n) for (lid, st), n in facets.items()])
    if texts:
        conn.executemany("INSERT INTO contacts_fts (rowid, search_doc) VALUES (?, ?)", texts)
    return UpsertResult(len(rows), 0, 0, 0, new_optouts)


def upsert_contacts(
    conn: sqlite3.Connection, contacts: Iterable[Mapping[str, Any]], fetched_at: datetime, *, look_up: bool = True
) -> UpsertResult:
    """Store one page of contacts. The caller provides the transaction.

    ``list_memberships`` absent from a record means "not requested", so stored memberships are kept;
    present (even empty) replaces them. The raw JSON is stored exactly as given. Without `look_up` (a first full
    read into an empty cache, store/full_read.py: ids_indexed) every contact is inserted.
    """
    fetched = dt_to_db(fetched_at)
    page: dict[str, Derived] = {}
    for contact in contacts:
        d = derive(contact)
        page[d.contact_id] = d  # a contact repeated within a page: the last copy wins
    if not page:
        return UpsertResult()
    seq = _next_change_seq(conn)
    next_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM contacts").fetchone()[0])
    if not look_up:
        return _insert_all(conn, page, fetched, seq, next_id)
    stored = _load_stored(conn, list(page))
    inserted = updated = unchanged = stale = 0
    new_optouts: list[str] = []
    touched: list[tuple[str, int]] = []
    fts_delete: list[tuple[int, str]] = []
    fts_insert: list[tuple[int, str]] = []
    new_rows: list[tuple[Any, ...]] = []
    new_json: list[tuple[int, str]] = []
    new_members: list[tuple[str, int]] = []
    # Contacts and memberships added, counted here per page (schema v4): one upsert per (list, status) instead
    # of a trigger statement per row. Status changes and deletes keep their triggers (rare, and need the old row).
    facets: Counter[tuple[str, str]] = Counter()
    for cid, d in page.items():
        old = stored.get(cid)
        if old is not None and old.raw_json == d.raw_json:
            unchanged += 1
            touched.append((fetched, old.rowid))
            continue
        if old is not None and _is_stale(old, d):
            stale += 1
            continue
        lists_known = d.list_ids is not None or (old is not None and old.lists_known)
        list_ids = set(d.list_ids) if d.list_ids is not None else (old.list_ids if old else set())
        status = d.status(lists_known=lists_known, list_count=len(list_ids))
        if _is_new_optout(old, d):
            new_optouts.append(cid)
        values = _values(d, status, lists_known, fetched, seq)
        if old is None:
            rowid, next_id = next_id, next_id + 1
            new_rows.append((rowid, cid, *values))
            new_json.append((rowid, d.raw_json))
            inserted += 1
            fts_insert.append((rowid, d.search_doc))
            facets["", str(status)] += 1
            for lid in sorted(list_ids):
                new_members.append((lid, rowid))
                facets[lid, str(status)] += 1
            continue
        rowid = old.rowid
        conn.execute(_UPDATE, (*values, rowid))
        conn.execute(
            "INSERT INTO contact_json (id, raw_json) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET raw_json = excluded.raw_json",
            (rowid, d.raw_json),
        )
        updated += 1
        if old.search_doc != d.search_doc:
            fts_delete.append((rowid, old.search_doc))
            fts_insert.append((rowid, d.search_doc))
        added, removed = list_ids - old.list_ids, old.list_ids - list_ids
        # Memberships after the contact row, so the facet triggers see the new status.
        if removed:
            conn.executemany(
                "DELETE FROM memberships WHERE list_id = ? AND contact_rowid = ?",
                [(lid, rowid) for lid in sorted(removed)],
            )
        if added:
            conn.executemany(
                "INSERT INTO memberships (list_id, contact_rowid) VALUES (?, ?)",
                [(lid, rowid) for lid in sorted(added)],
            )
            for lid in added:
                facets[lid, str(status)] += 1
    if new_rows:
        conn.executemany(_INSERT, new_rows)
        conn.executemany("INSERT INTO contact_json (id, raw_json) VALUES (?, ?)", new_json)
        conn.executemany("INSERT INTO memberships (list_id, contact_rowid) VALUES (?, ?)", new_members)
    if facets:
        conn.executemany(_FACET_ADD, [(lid, st, n) for (lid, st), n in facets.items()])
    if touched:
        conn.executemany("UPDATE contacts SET fetched_at = ? WHERE id = ?", touched)
    # Search index, explicitly (see schema.py for why not by trigger): deletes first, with old text. During the
    # account's first full read it is not written at all: it is built in one pass at the read's end (full_read.py).
    if not full_read.search_ready(conn):
        fts_delete, fts_insert = [], []
    if fts_delete:
        conn.executemany(
            "INSERT INTO contacts_fts (contacts_fts, rowid, search_doc) VALUES ('delete', ?, ?)", fts_delete
        )
    if fts_insert:
        conn.executemany("INSERT INTO contacts_fts (rowid, search_doc) VALUES (?, ?)", fts_insert)
    return UpsertResult(inserted, updated, unchanged, stale, new_optouts)
