"""A text query's page in name order, the table's usual first view, found the cheapest of three ways.

* **A short walk** for a term with many matches spread over the alphabet (a company, a first name, a domain): the
  first WALK_ROWS contacts in name order, tested on the copy of their folded text the name index holds
  (name_index.py), so no row is read but the page's.
* **The ranks** for fewer matches, or ones that sort late (a surname): the matches' rowids from the FTS5 index put
  in name order by the in-memory ranks (name_order.py); only the page's rows are read. A long word's matches are
  read as candidates from its rarest trigrams (trigram_candidates.py) and checked against the row.
* Neither (``None``): a term too common for the ranks whose page the short walk did not find; the caller walks
  the name index as far as it must.

Which way is chosen from a sample of the oldest contacts: how many match, and where they sort.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import numpy as np

from ccdesk.store import name_index
from ccdesk.store.contacts import CONTACT_SELECT, row_to_contact
from ccdesk.store.name_order import NameOrder
from ccdesk.store.rows import ContactRow
from ccdesk.store.textnorm import Needle, fts_expression
from ccdesk.store.trigram_candidates import TrigramShares, candidate_expressions, holds_every_word

# A text query with at most this many matches, sorted by name, is put in order from the in-memory ranks
# (name_order.py): reading 40,000 rowids from the FTS index takes about 10 ms. More matches than that
# means a common term, and walking the name index fills a page quickly.
RANK_CAP = 40_000
# Which way a text query's page is found is chosen from a sample: the oldest contacts (lowest rowids), as many as
# would hold SAMPLE_EXPECTED matches of a term with exactly RANK_CAP matches. Reading 40,000 rowids only to
# give up cost a common term ("gmail", "example") 20-25 ms a keystroke; the sample costs under a millisecond. A term
# whose sample puts it between RANK_CAP and SAMPLE_MARGIN times that may still be read and given up.
SAMPLE_EXPECTED = 200
SAMPLE_MARGIN = 1.25
# A page read from cheaper candidates (trigram_candidates.py) reads the rows it checks: up to this many rows deep.
# Deeper pages (scrolling far) read the exact matches instead.
CHECKED_CAP = 1_000
CANDIDATE_EXTRA = 1.1  # candidates allowed per match in the sample
# A term with at least this many matches (estimated from the sample) first looks for its page among the first
# WALK_ROWS contacts in name order, through the name index's copy of their text (name_index.py): 0.13 us a contact.
WALK_FIRST = 8_000
WALK_ROWS = 20_000
WALK_SAMPLE_PLACE = 2  # which of the sample's matches in name order tells how far the walk goes


def page(conn: sqlite3.Connection, needles: list[Needle], contacts: int, order: NameOrder, shares: TrigramShares | None,
         descending: bool, offset: int, limit: int) -> list[ContactRow] | None:
    """The page of a text-only query in name order (see the module's docstring); None when the term is too common
    for the ranks and not found by the short walk, or while the ranks are rebuilt elsewhere. `contacts`: how many
    the store holds. Its reads see one snapshot (another process may write meanwhile: WAL)."""
    with _snapshot(conn):
        if not order.refresh(conn):
            return None  # the ranks are being rebuilt off this thread
        return _page(conn, needles, contacts, order, shares, descending, offset, limit)


@contextlib.contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around the reads, unless the caller's transaction is one already."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _page(conn: sqlite3.Connection, needles: list[Needle], contacts: int, order: NameOrder,
          shares: TrigramShares | None, descending: bool, offset: int, limit: int) -> list[ContactRow] | None:
    expression = fts_expression(needles)
    sample = _sample(conn, contacts)
    if sample is None:
        return _ranked_page(conn, needles, expression, None, order, descending, offset, limit)
    enough = 1 + int(sample[1] * RANK_CAP * SAMPLE_MARGIN / max(contacts, RANK_CAP))
    found = _match_rowids(conn, expression, enough, below=sample[0])
    in_sample = len(found)
    if in_sample * contacts >= WALK_FIRST * sample[1] and _walk_is_short(conn, order, found, sample, contacts,
                                                                         descending, offset + limit):
        walked = _short_walk(conn, needles, descending, offset, limit)
        if walked is not None:
            return walked
    if contacts > RANK_CAP and in_sample >= enough:
        return None
    candidates = None
    if shares is not None and offset + limit <= CHECKED_CAP:
        candidates = _candidates(conn, needles, shares, sample, in_sample)
    return _ranked_page(conn, needles, expression, candidates, order, descending, offset, limit)


def _walk_is_short(conn: sqlite3.Connection, order: NameOrder, found: Any, sample: tuple[int, int], contacts: int,
                   descending: bool, wanted: int) -> bool:
    """Whether the first `wanted` matches lie within the first WALK_ROWS contacts in name order, judged by where the
    sample's matches sort. Each stands for about contacts/rows matches (200), so when the WALK_SAMPLE_PLACE-th of them
    sorts within WALK_ROWS, more than a page does: yes for a term spread over the alphabet (a company, a first name,
    a domain) or one that sorts first; no for a surname further on ("Anderson" starts after 29,000 of a million),
    nor for one whose only early match is someone's first name ("Martin")."""
    place = order.place_of(conn, found, max(WALK_SAMPLE_PLACE, 1 + wanted * sample[1] // contacts),
                           descending=descending)
    return place is not None and place < WALK_ROWS


def _short_walk(conn: sqlite3.Connection, needles: list[Needle], descending: bool, offset: int,
                limit: int) -> list[ContactRow] | None:
    """The page from the first WALK_ROWS contacts in name order, tested on the folded text the name index holds
    (no row is read but the page's); None when they do not hold a full page (nor is the index there: during a
    first full read)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                        (name_index.NAME,)).fetchone():
        return None
    direction = " DESC" if descending else ""
    tests = " AND ".join("instr(search_doc, ?) > 0" for _ in needles)
    ids = [rowid for (rowid,) in conn.execute(
        f"SELECT id FROM (SELECT id, search_doc FROM contacts INDEXED BY {name_index.NAME} "
        f"ORDER BY sort_name{direction}, id{direction} LIMIT ?) WHERE {tests} LIMIT ?",
        [WALK_ROWS, *(n.substring for n in needles), offset + limit])]
    if len(ids) < offset + limit:
        return None
    return _rows_in_order(conn, ids[offset:])


def _candidates(conn: sqlite3.Connection, needles: list[Needle], shares: TrigramShares, sample: tuple[int, int],
                in_sample: int) -> str | None:
    """The cheapest candidate expression (trigram_candidates.py) that in the sample adds few documents that do not
    match (a word's first trigrams may all lie in a more common word: "williams" in "William"); None: none does."""
    allowed = int(in_sample * CANDIDATE_EXTRA) + 2
    for expression in candidate_expressions(needles, lambda gram: shares.share(conn, gram, *sample)):
        if _sample_count(conn, expression, sample, allowed + 1) <= allowed:
            return expression
    return None


def _sample(conn: sqlite3.Connection, contacts: int) -> tuple[int, int] | None:
    """(highest rowid, rows) of the oldest contacts the plan samples: as many as would hold SAMPLE_EXPECTED matches
    of a term with exactly RANK_CAP matches, from the lowest rowid that exists (a first read that began again
    leaves the low ones unused)."""
    rows = max(1, contacts * SAMPLE_EXPECTED // RANK_CAP)
    bound = conn.execute("SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET ?", (rows - 1,)).fetchone()
    return None if bound is None else (int(bound[0]), rows)


def _sample_count(conn: sqlite3.Connection, expression: str, sample: tuple[int, int], enough: int) -> int:
    """Matches among the sampled oldest contacts, counted up to `enough` (the lowest rowids: a slice later in the range
    costs several times more to count). Only the plan depends on it: a skewed sample costs time, never rows."""
    return len(_match_rowids(conn, expression, enough, below=sample[0]))


def _match_rowids(conn: sqlite3.Connection, expression: str, most: int, below: int | None = None) -> Any:
    """The rowids matching `expression` (a numpy array), at most `most` of them (and only up to rowid `below`)."""
    # One string from SQLite and one numpy parse: several times faster than a Python row per match.
    bound = "" if below is None else f" AND rowid <= {int(below)}"
    text = conn.execute("SELECT group_concat(rowid) FROM (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?"
                        f"{bound} LIMIT ?)", (expression, most)).fetchone()[0]
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, dtype=np.int64)


def _all_matches(conn: sqlite3.Connection, expression: str) -> Any:
    """The rowids matching `expression`, or None when there are more than RANK_CAP."""
    rowids = _match_rowids(conn, expression, RANK_CAP + 1)
    if len(rowids) > RANK_CAP or (len(rowids) and int(rowids.max()) >= 2**32):
        return None
    return rowids


def _ranked_page(conn: sqlite3.Connection, needles: list[Needle], expression: str, candidates: str | None,
                 order: NameOrder, descending: bool, offset: int, limit: int) -> list[ContactRow] | None:
    """The page straight from the FTS matches and the in-memory name ranks; None when there are too many.
    With `candidates` (trigram_candidates.py) the matches are read cheaper but may hold a few documents that do not
    match: the best-ranked are checked until the page is full of real matches."""
    if offset + limit > RANK_CAP:
        return None
    seq = order.latest_seq(conn)  # before the matches: a count is never stamped newer than what it counted
    rowids = None if candidates is None else _all_matches(conn, candidates)
    if rowids is None:
        candidates = None
        rowids = _all_matches(conn, expression)
        if rowids is None:
            return None
    wanted = offset + limit
    if candidates is None:
        order.remember_count(expression, len(rowids), seq)
        return _rows_in_order(conn, order.first(conn, rowids, wanted, descending=descending)[offset:])
    ranked: list[int] = []
    kept: list[int] = []
    while len(kept) < wanted:
        more = order.first(conn, rowids, min(len(rowids), 2 * len(ranked) + wanted - len(kept)),
                           descending=descending)
        if len(more) <= len(ranked):  # every candidate the ranks know of was checked
            break
        kept += _holding_every_word(conn, more[len(ranked):], needles)  # one snapshot: the same order, longer
        ranked = more
    if len(kept) < wanted:  # every candidate was checked: the count is exact
        order.remember_count(expression, len(kept), seq)
    return _rows_in_order(conn, kept[offset:wanted])


def _rows_in_order(conn: sqlite3.Connection, ids: list[int]) -> list[ContactRow]:
    if not ids:
        return []
    rows = {row[0]: row[1:] for row in conn.execute(
        f"SELECT c.id, {CONTACT_SELECT} FROM contacts AS c WHERE c.id IN ({','.join('?' * len(ids))})", ids)}
    return [row_to_contact(rows[i]) for i in ids if i in rows]


def _holding_every_word(conn: sqlite3.Connection, ids: list[int], needles: list[Needle]) -> list[int]:
    """Those of `ids` (in their order) whose folded text holds every needle."""
    if not ids:
        return []
    texts = dict(conn.execute(f"SELECT id, search_doc FROM contacts WHERE id IN ({','.join('?' * len(ids))})", ids))
    return [i for i in ids if holds_every_word(texts.get(i), needles)]
