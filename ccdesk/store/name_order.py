"""Putting FTS matches in name order without reading every matching row.

A text query's matches come out of the FTS index as rowids. Sorting them by name in SQL means reading each
matching contact (tens of thousands of random reads for a common surname at 1M contacts), and walking the
name index instead means scanning until the page is full, which for a surname in the middle of the alphabet
is half the table. Both cost hundreds of milliseconds at 1M.

So each reader keeps, in memory (a numpy array), the rank of every contact in (sort_name, id) order: 8 bytes
per contact, built in about 0.3 s at 1M. Ordering N matches is then N array lookups and a partial sort, and
only the page itself is read from the table. Contacts written since the ranks were built (their
``change_seq`` is newer) are not trusted to their old rank: they are ordered by their actual sort_name and
merged in. When many contacts have changed (a full re-read), the ranks are rebuilt.

A large store's ranks are not rebuilt on the reader that needs them when it has somewhere else to build them
(``build_elsewhere``: the window's reader hands the build to a worker thread; at 1M the stale rows' read and the
build took 2 s on the GUI thread at the first keystroke after a full read). Until the new ranks are adopted, the
reader says they are not usable and the search takes its SQL plans.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

# Imported with the store, not on the first search: numpy's C initialisation holds the GIL for ~40 ms, which
# would show as a stall in the window if it happened while the window is busy.
import numpy as np

from ccdesk.sqlite_uri import read_only_uri
from ccdesk.store import full_read

REBUILD_AFTER = 50_000  # changed contacts after which rebuilding the ranks beats merging them
BUILD_HERE_MAX = 100_000  # contacts (by highest row id) up to which ranks are built where needed: about 30 ms
_UNRANKED = 2**30  # above any rank (ranks are positions < 2**30); rowids stay below 2**32


class NameOrder:
    """Per connection (rowids and ranks are local to one database file)."""

    def __init__(self, build_elsewhere: Callable[[], bool] | None = None) -> None:
        # Starts a build off this thread (or finds one under way); False when it cannot.
        self.build_elsewhere = build_elsewhere
        self._rank: Any = None  # numpy int64 array: rowid -> position in name order
        self._built_seq = -1
        self._seen_seq = -1
        self._changed: dict[int, tuple[str, int]] = {}  # rowid -> (sort_name, rowid) for rows newer than the ranks
        self.builds = 0  # how many times the ranks were built (tests, benchmark notes)
        self._count: tuple[str, int, int] | None = None  # (FTS expression, change_seq, matches)

    def remember_count(self, expression: str, matches: int, seq: int) -> None:
        """The number of matches of the query just ordered (a keystroke asks for the page, then the count), as of
        `seq`: the latest change_seq read before the matches were (a write after it makes the count be made again)."""
        self._count = (expression, seq, matches)

    def known_count(self, conn: sqlite3.Connection, expression: str) -> int | None:
        if self._count is None or self._count[0] != expression:
            return None
        return self._count[2] if self._count[1] == self.latest_seq(conn) else None

    @staticmethod
    def latest_seq(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT coalesce(max(change_seq), 0) FROM contacts").fetchone()[0])

    def _build(self, conn: sqlite3.Connection, seq: int) -> None:
        top = int(conn.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()[0])
        ordered = np.fromiter((rowid for (rowid,) in conn.execute(full_read.usable(
            conn, "SELECT id FROM contacts INDEXED BY contacts_name ORDER BY sort_name, id"))), dtype=np.int64)
        rank = np.full(top + 1, _UNRANKED, dtype=np.int64)
        rank[ordered] = np.arange(len(ordered), dtype=np.int64)
        self._rank, self._built_seq, self._seen_seq, self._changed = rank, seq, seq, {}
        self.builds += 1

    @classmethod
    def built_from(cls, path: str) -> NameOrder:
        """Ranks built on a connection of their own (call it off the GUI thread: it reads
        every contact); a reader then adopts them. One read transaction, so ranks and change_seq agree."""
        conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
        try:
            conn.execute("BEGIN")
            order = cls()
            order._build(conn, cls.latest_seq(conn))
            conn.execute("COMMIT")
            return order
        finally:
            conn.close()

    @property
    def built_seq(self) -> int:
        return self._built_seq

    def refresh(self, conn: sqlite3.Connection) -> bool:
        """Bring the view of what changed up to date (cheap when nothing did: one indexed max()). False when the
        ranks are missing or too stale to use and are being built elsewhere (see the module's docstring)."""
        seq = self.latest_seq(conn)
        if self._rank is None:
            return self._rebuild(conn, seq)
        if seq == self._seen_seq:
            return True
        (changes,) = conn.execute("SELECT count(*) FROM (SELECT 1 FROM contacts WHERE change_seq > ? LIMIT ?)",
                                  (self._built_seq, REBUILD_AFTER + 1)).fetchone()
        if changes > REBUILD_AFTER:
            return self._rebuild(conn, seq)
        rows = conn.execute("SELECT id, sort_name FROM contacts WHERE change_seq > ?", (self._built_seq,)).fetchall()
        self._changed = {rowid: (name, rowid) for rowid, name in rows}
        self._seen_seq = seq
        return True

    def _rebuild(self, conn: sqlite3.Connection, seq: int) -> bool:
        if self.build_elsewhere is not None:
            top = int(conn.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()[0])
            if top > BUILD_HERE_MAX and self.build_elsewhere():
                return False
        self._build(conn, seq)
        return True

    def place_of(self, conn: sqlite3.Connection, rowids: Any, k: int, *, descending: bool = False) -> int | None:
        """How many contacts come before the `k`-th of `rowids` in name order (from the end when `descending`);
        None when fewer than `k` are ranked. Only a plan's estimate: ranks may be a little behind."""
        self.refresh(conn)
        rank = self._rank
        ranks = rank[rowids[rowids < len(rank)]]
        ranks = ranks[ranks < _UNRANKED]
        if len(ranks) < k:
            return None
        if descending:
            ranks = len(rank) - 1 - ranks
        return int(np.partition(ranks, k - 1)[k - 1])

    def first(self, conn: sqlite3.Connection, rowids: Any, k: int, *, descending: bool = False) -> list[int]:
        """The first `k` of `rowids` (a numpy int64 array) in (sort_name, id) order (reversed when `descending`)."""
        self.refresh(conn)
        rank = self._rank
        changed = self._changed
        moved: list[tuple[str, int]] = []
        if changed:
            is_moved = np.isin(rowids, np.fromiter(changed, dtype=np.int64, count=len(changed)))
            moved = [changed[int(r)] for r in rowids[is_moved]]
            rowids = rowids[~is_moved]
        inside = rowids < len(rank)  # anything newer than the ranks is in `changed`
        rowids = rowids[inside]
        # (rank, rowid) as one int64 key (ranks < 2**30, rowids < 2**32): ties cannot happen, order is exact.
        keys = (rank[rowids] << 32) | rowids
        if len(keys) > k:
            keys = -np.partition(-keys, k - 1)[:k] if descending else np.partition(keys, k - 1)[:k]
        keys = np.sort(keys)[::-1] if descending else np.sort(keys)
        chosen = [int(key) & 0xFFFFFFFF for key in keys]
        if not moved:
            return chosen
        # Unchanged rows keep their relative order; merge the changed ones in by their current sort_name.
        names = dict(conn.execute(
            f"SELECT id, sort_name FROM contacts WHERE id IN ({','.join('?' * len(chosen))})", chosen)) \
            if chosen else {}
        merged = sorted([(names[r], r) for r in chosen if r in names] + moved, reverse=descending)
        return [r for _, r in merged[:k]]
