"""Search, sort, page and count contacts for the table view.

Two query plans, chosen per call from cheap cardinality estimates:

* **drive from the filter** - when the narrowest filter matches fewer than ``DRIVE_CAP`` contacts
  (FTS5 trigram match counted up to the cap, or the trigger-maintained ``facet_counts`` for a list or
  status), read just those rows and sort them;
* **walk the sort index** - otherwise, read contacts in index order and test each row (``instr`` on
  the same folded document the FTS indexes, status, an EXISTS on memberships) until the page is full.
  With a broad filter a full page turns up after a few hundred rows.

Counts without a query come straight from ``facet_counts``; with a query they cost time in proportion
to the number of matches (see ``count``'s ``cap``).

Typed text is taken as words: control characters (a NUL, an escape pasted from elsewhere) separate words like
spaces (FTS5 and SQLite cut a string at a NUL, which used to raise "unterminated string"), and only the first
``MAX_WORDS`` distinct words are used: a paste of 5,000 addresses made an FTS5 expression of 5,000 phrases that
took seconds per query on the GUI thread; 16 words already narrow any account to a handful of contacts.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ccdesk.store import full_read, name_page
from ccdesk.store.contacts import CONTACT_SELECT, row_to_contact
from ccdesk.store.name_order import NameOrder
from ccdesk.store.rows import ContactRow, Status
from ccdesk.store.textnorm import Needle, fts_expression, parse_query
from ccdesk.store.trigram_candidates import TrigramShares

DRIVE_CAP = 5_000
MAX_WORDS = 16
MAX_QUERY_CHARS = 2_000  # more than 16 words of any sensible length; the rest is not even folded
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# sort name -> (index that yields that order, ORDER BY columns; c.id breaks ties for stable paging)
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("contacts_name", ("c.sort_name",)),
    "email": ("contacts_email", ("c.email_lower",)),
    "status": ("contacts_status_name", ("c.status", "c.sort_name")),
    "opt_out_date": ("contacts_optout", ("c.opt_out_date",)),
}
SORT_ALIASES = {"optout": "opt_out_date", "optout_date": "opt_out_date", "opt_out": "opt_out_date"}


def normalize_sort(sort: str) -> str:
    key = SORT_ALIASES.get(sort, sort)
    if key not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {sorted(SORTS)}")
    return key


def _check_status(status: str | None) -> str | None:
    if status is None:
        return None
    return str(Status(status))  # ValueError for an unknown status


@dataclass(slots=True)
class _Filter:
    needles: list[Needle]
    status: str | None
    list_id: str | None

    @classmethod
    def make(cls, query: str | None, status: str | None, list_id: str | None) -> _Filter:
        return cls(query_words(query), _check_status(status), list_id or None)


def query_words(query: str | None) -> list[Needle]:
    """The needles searched for: control characters act as spaces; at most ``MAX_WORDS`` distinct words.
    A comma separates words too: "Adams, Jerry" (last name, first name, as CRMs write it) finds Jerry Adams."""
    if not query:
        return []
    text = _CONTROL.sub(" ", query[:MAX_QUERY_CHARS]).replace(",", " ")
    return parse_query(text)[:MAX_WORDS]


@dataclass(slots=True)
class _Source:
    """FROM clause + WHERE terms + parameters for a query over contacts aliased ``c``."""

    from_sql: str
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def where_sql(self) -> str:
        return (" WHERE " + " AND ".join(self.where)) if self.where else ""


def _facet(conn: sqlite3.Connection, list_id: str | None, status: str | None) -> int:
    sql = "SELECT coalesce(sum(n), 0) FROM facet_counts WHERE list_id = ?"
    params: list[Any] = [list_id or ""]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    return int(conn.execute(sql, params).fetchone()[0])


def _fts_estimate(conn: sqlite3.Connection, needles: list[Needle], cap: int) -> int:
    """Number of FTS matches, counted only up to ``cap`` (stops early, so it is cheap)."""
    return int(
        conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM contacts_fts WHERE contacts_fts MATCH ? LIMIT ?)",
            (fts_expression(needles), cap),
        ).fetchone()[0]
    )


def _driver(conn: sqlite3.Connection, f: _Filter, cap: int) -> tuple[str, int]:
    """The narrowest filter and its (possibly capped) size; ``("", cap)`` when none is narrow."""
    best = ("", cap)
    if f.list_id is not None:
        n = _facet(conn, f.list_id, None)
        if n < best[1]:
            best = ("list", n)
    if f.status is not None:
        n = _facet(conn, None, f.status)
        if n < best[1]:
            best = ("status", n)
    if f.needles and full_read.search_ready(conn):
        n = _fts_estimate(conn, f.needles, min(best[1], cap))
        if n < best[1]:
            best = ("fts", n)
    return best


def _text_driver(conn: sqlite3.Connection) -> str:
    """Where text matches come from when no other filter is narrow: the search index, or (during the account's
    first full read, before the index is built) a scan testing each row's folded document."""
    return "fts" if full_read.search_ready(conn) else ""


def _source(f: _Filter, driver: str, scan_index: str | None) -> _Source:
    """Build the row source. ``driver`` as from ``_driver``; ``""`` walks ``scan_index`` (or any)."""
    if driver == "fts":
        src = _Source(
            "(SELECT rowid AS rid FROM contacts_fts WHERE contacts_fts MATCH ?) AS d "
            "CROSS JOIN contacts AS c ON c.id = d.rid",
            params=[fts_expression(f.needles)],
        )
    elif driver == "list":
        src = _Source(
            "memberships AS d CROSS JOIN contacts AS c ON c.id = d.contact_rowid",
            ["d.list_id = ?"],
            [f.list_id],
        )
    elif driver == "status":
        src = _Source("contacts AS c INDEXED BY contacts_status_name", ["c.status = ?"], [f.status])
    else:
        src = _Source(f"contacts AS c INDEXED BY {scan_index}" if scan_index else "contacts AS c")
    if driver != "fts":
        for needle in f.needles:
            src.where.append("instr(c.search_doc, ?) > 0")
            src.params.append(needle.substring)
    if f.status is not None and driver != "status":
        src.where.append("c.status = ?")
        src.params.append(f.status)
    if f.list_id is not None and driver != "list":
        src.where.append("EXISTS (SELECT 1 FROM memberships AS m WHERE m.list_id = ? AND m.contact_rowid = c.id)")
        src.params.append(f.list_id)
    return src


def search(
    conn: sqlite3.Connection,
    query: str | None = "",
    status: str | None = None,
    list_id: str | None = None,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 200,
    *,
    drive_cap: int | None = None,
    name_order: NameOrder | None = None,
    trigram_shares: TrigramShares | None = None,
) -> list[ContactRow]:
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    key = normalize_sort(sort)
    f = _Filter.make(query, status, list_id)
    if (name_order is not None and key == "name" and f.needles and f.status is None and f.list_id is None
            and full_read.search_ready(conn)):
        page = name_page.page(conn, f.needles, _facet(conn, None, None), name_order, trigram_shares, descending,
                              offset, limit)
        if page is not None:
            return page
    # Otherwise the narrowest filter drives. For a term the sample called too common for the ranks the capped count
    # still decides: one common only among the oldest contacts (a company of the first import) is read from its few
    # matches, not walked for through the whole name index.
    driver, _ = _driver(conn, f, DRIVE_CAP if drive_cap is None else drive_cap)
    index, order_cols = SORTS[key]
    if f.status is not None and key in ("name", "status") and driver in ("", "status"):
        # (status, sort_name) is both the filter and the order: walk just that index range.
        driver, index = "", "contacts_status_name"
    src = _source(f, driver, index)
    direction = " DESC" if descending else ""
    order = ", ".join(col + direction for col in (*order_cols, "c.id"))
    sql = f"SELECT {CONTACT_SELECT} FROM {src.from_sql}{src.where_sql()} ORDER BY {order} LIMIT ? OFFSET ?"
    return [row_to_contact(row) for row in conn.execute(full_read.usable(conn, sql), [*src.params, limit, offset])]


def count(
    conn: sqlite3.Connection,
    query: str | None = "",
    status: str | None = None,
    list_id: str | None = None,
    *,
    cap: int | None = None,
    name_order: NameOrder | None = None,
) -> int:
    """Matching contacts. With ``cap``, counting stops there (the UI can show "10,000+")."""
    f = _Filter.make(query, status, list_id)
    if not f.needles:
        n = _facet(conn, f.list_id, f.status)
        return n if cap is None else min(n, cap)
    ready = full_read.search_ready(conn)
    if name_order is not None and f.status is None and f.list_id is None and ready:
        known = name_order.known_count(conn, fts_expression(f.needles))  # the page just read counted them
        if known is not None:
            return known if cap is None else min(known, cap)
    params: list[Any]
    if f.status is None and f.list_id is None and ready:
        # Text only: count the FTS matches without touching contact rows (no plan to choose: with a cap, the
        # count stops reading there).
        inner, params = "SELECT 1 FROM contacts_fts WHERE contacts_fts MATCH ?", [fts_expression(f.needles)]
    else:
        driver, _ = _driver(conn, f, DRIVE_CAP)
        src = _source(f, driver or _text_driver(conn), None)
        inner, params = f"SELECT 1 FROM {src.from_sql}{src.where_sql()}", list(src.params)
    if cap is not None:
        inner += " LIMIT ?"
        params.append(cap)
    return int(conn.execute(full_read.usable(conn, f"SELECT count(*) FROM ({inner})"), params).fetchone()[0])


def status_counts(conn: sqlite3.Connection, query: str | None = "", list_id: str | None = None) -> dict[str, int]:
    """Contacts per status (every status present as a key, zeros included)."""
    f = _Filter.make(query, None, list_id)
    result = {str(s): 0 for s in Status}
    if not f.needles:
        rows = conn.execute(
            "SELECT status, n FROM facet_counts WHERE list_id = ?", (f.list_id or "",)
        ).fetchall()
    else:
        driver, _ = _driver(conn, f, DRIVE_CAP)
        src = _source(f, driver or _text_driver(conn), None)
        rows = conn.execute(
            full_read.usable(conn, f"SELECT c.status, count(*) FROM {src.from_sql}{src.where_sql()} GROUP BY c.status"),
            src.params,
        ).fetchall()
    for st, n in rows:
        if st in result:
            result[st] += int(n)
    return result


def list_counts(conn: sqlite3.Connection, query: str | None = "", status: str | None = None) -> dict[str, int]:
    """Matching contacts per list_id (lists with no match are left out)."""
    f = _Filter.make(query, status, None)
    if not f.needles:
        sql = "SELECT list_id, sum(n) FROM facet_counts WHERE list_id <> ''"
        params: list[Any] = []
        if f.status is not None:
            sql += " AND status = ?"
            params.append(f.status)
        rows = conn.execute(sql + " GROUP BY list_id", params).fetchall()
    else:
        driver, _ = _driver(conn, f, DRIVE_CAP)
        src = _source(f, driver or _text_driver(conn), None)
        rows = conn.execute(
            full_read.usable(conn, f"SELECT m.list_id, count(*) FROM {src.from_sql} "
                             f"JOIN memberships AS m ON m.contact_rowid = c.id{src.where_sql()} GROUP BY m.list_id"),
            src.params,
        ).fetchall()
    return {lid: int(n) for lid, n in rows if n}
