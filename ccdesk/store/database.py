"""``DeskDatabase``: the one object the rest of ccdesk uses to reach the local SQLite cache.

Threading rule: a ``DeskDatabase`` owns one ``sqlite3`` connection and may only be used from the thread that
opened it (sqlite3's ``check_same_thread`` enforces this). Open one ``DeskDatabase`` per thread on the same
file - e.g. one for the sync/outbox worker, one for the GUI's reads. WAL mode lets readers read while
the writer writes; writers queue on the busy timeout. Every write method is one short transaction;
wrap several in ``with store.transaction():`` to commit them together (they nest).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from ccdesk.store import audit as _audit
from ccdesk.store import contacts as _contacts
from ccdesk.store import full_read as _full_read
from ccdesk.store import journal as _journal
from ccdesk.store import lists as _lists
from ccdesk.store import name_index
from ccdesk.store import optouts as _optouts
from ccdesk.store import outbox as _outbox
from ccdesk.store import removals as _removals
from ccdesk.store import resubscribe as _resub
from ccdesk.store import search as _search
from ccdesk.store import state as _state
from ccdesk.store.file_check import opening_error
from ccdesk.store.journal import JournalEntry
from ccdesk.store.name_order import NameOrder
from ccdesk.store.rows import AuditRow, ContactRow, ListRow, OutboxItem, OutboxState, UpsertResult
from ccdesk.store.schema import migrate
from ccdesk.store.sqlite_file import Transactions, connect
from ccdesk.store.timeutil import dt_to_db, to_utc, utcnow
from ccdesk.store.trigram_candidates import TrigramShares


class DeskDatabase:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        recover: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Open (create, migrate) the database at ``path``.

        With ``recover`` (the default), outbox items left ``in_progress`` by a process that died are
        put back to ``pending``; items claimed by this process are never touched.
        """
        self.path = Path(path)
        self._clock = clock
        self._name_order = NameOrder()
        self._trigram_shares = TrigramShares()
        started = time.monotonic()
        try:
            self._conn = connect(self.path)
        except sqlite3.Error as exc:  # locked past the busy timeout, damaged, not openable: say so plainly
            raise opening_error(self.path, exc, time.monotonic() - started) from exc
        try:
            migrate(self._conn, str(self.path))
            name_index.repair(self._conn)
            self._tx = Transactions(self._conn)
            if recover:
                self.recover_interrupted()
        except sqlite3.Error as exc:
            self._conn.close()
            raise opening_error(self.path, exc, time.monotonic() - started) from exc
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DeskDatabase:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DeskDatabase]:
        """Group writes atomically, e.g. a contact page and its sync checkpoint."""
        with self._tx():
            yield self

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[DeskDatabase]:
        """Read several things (say a page and its count) from one consistent snapshot.

        A deferred read transaction: it takes no write lock, so it never blocks the sync writer.
        Read-only - calling a write method inside raises.
        """
        if self._conn.in_transaction:
            yield self
            return
        self._conn.execute("BEGIN DEFERRED")
        try:
            yield self
        finally:
            self._conn.execute("COMMIT")

    def optimize(self) -> None:
        """Refresh planner statistics (cheap; call after a full sync and on close)."""
        self._conn.execute("PRAGMA optimize")

    def _now(self, value: datetime | None = None) -> datetime:
        return to_utc(value if value is not None else self._clock())

    # -- contacts ----------------------------------------------------------------------------------
    def upsert_contacts(
        self,
        contacts: Iterable[Mapping[str, Any]],
        fetched_at: datetime | None = None,
        *,
        state: Mapping[str, str | None] | None = None,
    ) -> UpsertResult:
        """Store a page (≤500 contacts) in one transaction, with optional checkpoints in ``state``."""
        with self._tx() as conn:
            result = _contacts.upsert_contacts(conn, contacts, self._now(fetched_at))
            for key, value in (state or {}).items():
                _state.set_state(conn, key, value, self._now())
        return result

    def store_full_read_pages(
        self,
        pages: Sequence[Iterable[Mapping[str, Any]]],
        fetched_at: datetime | None = None,
        *,
        state: Mapping[str, str | None] | None = None,
        last: bool = False,
    ) -> UpsertResult:
        """Pages of the account's first full read, in one transaction with `state` (the link to the next page);
        `last` also builds what `begin_full_read` deferred. Committed without an fsync (full_read.bulk_pragmas)."""
        context = contextlib.nullcontext() if self._tx.active else _full_read.bulk_pragmas(self._conn)
        with context, self._tx() as conn:
            look_up = _full_read.ids_indexed(conn)
            results = [_contacts.upsert_contacts(conn, page, self._now(fetched_at), look_up=look_up)
                       for page in pages]
            for key, value in (state or {}).items():
                _state.set_state(conn, key, value, self._now())
            if last:
                _full_read.end(conn)
        return UpsertResult(sum(r.inserted for r in results), sum(r.updated for r in results),
                            sum(r.unchanged for r in results), sum(r.stale for r in results),
                            [cid for r in results for cid in r.new_optouts])

    def search_ready(self) -> bool:
        """False until the account's first full read has built the search index (store/full_read.py)."""
        return _full_read.search_ready(self._conn)

    def begin_full_read(self, *, defer_search: bool = True) -> None:
        """The first full read starts: three indexes and (`defer_search`) the search index wait for its end
        (store/full_read.py)."""
        with self._tx() as conn:
            _full_read.begin(conn, defer_search=defer_search)

    def end_full_read(self) -> None:
        """Build what `begin_full_read` deferred; call inside the transaction of the read's last page."""
        with self._tx() as conn:
            _full_read.end(conn)

    def forget_contacts_not_fetched_since(self, cutoff: datetime) -> int:
        """Drop cached contacts a complete full pull that started at `cutoff` did not return (purged from the
        account). Returns how many. Only call after such a pull has finished."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM contacts WHERE fetched_at < ?", (dt_to_db(to_utc(cutoff)),))
            return cur.rowcount

    def get_contact(self, contact_id: str) -> ContactRow | None:
        return _contacts.get_contact(self._conn, contact_id)

    def get_contact_by_email(self, email: str) -> ContactRow | None:
        return _contacts.get_contact_by_email(self._conn, email)

    def get_contacts_by_emails(self, emails: Iterable[str]) -> dict[str, ContactRow]:
        return _contacts.get_contacts_by_emails(self._conn, emails)

    def search(
        self,
        query: str | None = "",
        status: str | None = None,
        list_id: str | None = None,
        sort: str = "name",
        descending: bool = False,
        offset: int = 0,
        limit: int = 200,
    ) -> list[ContactRow]:
        """One page of the contact table. ``sort``: name, email, status or opt_out_date."""
        return _search.search(self._conn, query, status, list_id, sort, descending, offset, limit,
                              name_order=self._name_order, trigram_shares=self._trigram_shares)

    def adopt_name_order(self, order: NameOrder) -> None:
        """Use ranks built elsewhere (NameOrder.built_from, off the GUI thread) unless ours are newer."""
        if order.built_seq >= self._name_order.built_seq:
            order.build_elsewhere = self._name_order.build_elsewhere
            self._name_order = order

    def build_ranks_elsewhere(self, start: Callable[[], bool]) -> None:
        """Have a large store's ranks rebuilt by `start` (a worker that ends in adopt_name_order), never on the
        thread that searches (name_order.py)."""
        self._name_order.build_elsewhere = start

    def count(
        self, query: str | None = "", status: str | None = None, list_id: str | None = None, *, cap: int | None = None
    ) -> int:
        return _search.count(self._conn, query, status, list_id, cap=cap, name_order=self._name_order)

    def status_counts(self, query: str | None = "", list_id: str | None = None) -> dict[str, int]:
        return _search.status_counts(self._conn, query, list_id)

    def list_counts(self, query: str | None = "", status: str | None = None) -> dict[str, int]:
        return _search.list_counts(self._conn, query, status)

    def optouts(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        *,
        newest_first: bool = False,
    ) -> Iterator[ContactRow]:
        return _optouts.optouts(self._conn, since, until, source, newest_first=newest_first)

    def iter_do_not_mail(self) -> Iterator[ContactRow]:
        return _optouts.do_not_mail(self._conn)

    # -- lists -------------------------------------------------------------------------------------
    def upsert_lists(self, lists: Iterable[Mapping[str, Any]], fetched_at: datetime | None = None) -> int:
        with self._tx() as conn:
            return _lists.upsert_lists(conn, lists, self._now(fetched_at))

    def lists(self, *, include_deleted: bool = False) -> list[ListRow]:
        return _lists.all_lists(self._conn, include_deleted=include_deleted)

    # -- sync checkpoints --------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        return _state.get_state(self._conn, key)

    def set_state(self, key: str, value: str | None) -> None:
        with self._tx() as conn:
            _state.set_state(conn, key, value, self._now())

    # -- outbox ------------------------------------------------------------------------------------
    def enqueue(
        self, kind: str, contact_id: str | None, payload: Mapping[str, Any], actor: str | None = None
    ) -> int:
        """Queue an action and write its 'queued' audit row, atomically."""
        with self._tx() as conn:
            return _outbox.enqueue(
                conn, kind, contact_id, payload, actor or _audit.current_actor(), self._now()
            )

    def next_due(self, now: datetime | None = None) -> OutboxItem | None:
        """Claim the next due item (it becomes in_progress) or return None."""
        with self._tx() as conn:
            return _outbox.next_due(conn, self._now(now))

    def next_attempt_at(self) -> datetime | None:
        return _outbox.next_attempt_at(self._conn)

    def mark_done(self, item_id: int, result_message: str | None = None) -> None:
        with self._tx() as conn:
            _outbox.mark_done(conn, item_id, result_message, self._now())

    def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        with self._tx() as conn:
            _outbox.mark_retry(conn, item_id, error, to_utc(next_attempt_at), self._now())

    def due_now(self, item_ids: Iterable[int]) -> int:
        with self._tx() as conn:
            return _outbox.due_now(conn, list(item_ids), self._now())

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._tx() as conn:
            _outbox.mark_failed(conn, item_id, error, self._now())

    def retry_failed(self, item_id: int, actor: str | None = None) -> None:
        with self._tx() as conn:
            _outbox.retry_failed(conn, item_id, actor or _audit.current_actor(), self._now())

    def discard_failed(self, item_id: int, actor: str | None = None) -> None:
        with self._tx() as conn:
            _outbox.discard_failed(conn, item_id, actor or _audit.current_actor(), self._now())

    def cancel_pending(self, item_ids: Iterable[int], actor: str | None = None) -> list[int]:
        with self._tx() as conn:
            return _outbox.cancel_pending(conn, list(item_ids), actor or _audit.current_actor(), self._now())

    def pending(self, contact_id: str | None = None, kind: str | None = None) -> list[OutboxItem]:
        return _outbox.pending(self._conn, contact_id, kind)

    def outbox_items(self, state: str | None = None, limit: int = 500) -> list[OutboxItem]:
        return _outbox.items(self._conn, state, limit)

    def lists_removed_from(self, contact_id: str, recent: int = 2000) -> set[str]:
        """The lists the `recent` newest sent list removals took the contact off (one indexed read)."""
        return _removals.lists_removed_from(self._conn, contact_id, recent)

    def outbox_states(self, item_ids: Iterable[int]) -> list[tuple[int, str, OutboxState]]:
        return _outbox.states(self._conn, list(item_ids))

    def get_outbox_item(self, item_id: int) -> OutboxItem | None:
        return _outbox.get_item(self._conn, item_id)

    def release_own_claims(self) -> list[int]:
        with self._tx() as conn:
            return _outbox.release_own_claims(conn, self._now())

    def recover_interrupted(self) -> list[int]:
        """Requeue items a dead process left in_progress; returns their ids."""
        with self._tx() as conn:
            return _outbox.recover_interrupted(conn, self._now())

    # -- audit -------------------------------------------------------------------------------------
    def audit(
        self, contact_id: str | None = None, limit: int = 200, before_id: int | None = None
    ) -> list[AuditRow]:
        return _audit.audit_rows(self._conn, contact_id, limit, before_id)

    def journal(self, contact_id: str | None = None, limit: int | None = 200) -> list[JournalEntry]:
        """One entry per action with its outcome, plus failed attempts, newest first (see store.journal).
        `limit` counts audit rows read; None reads the whole journal."""
        if limit is not None:
            return _journal.fold(self.audit(contact_id, limit))

        def pages() -> Iterator[list[AuditRow]]:
            before: int | None = None
            while batch := self.audit(contact_id, 1000, before):
                yield batch
                before = batch[-1].id

        return _journal.iter_all(pages())

    def add_audit(
        self,
        action: str,
        outcome: str,
        *,
        contact_id: str | None = None,
        email: str | None = None,
        details: Mapping[str, Any] | None = None,
        message: str | None = None,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Append a journal row. ``email`` defaults to the cached address of ``contact_id``."""
        with self._tx() as conn:
            return _audit.add_audit(
                conn,
                action=action,
                outcome=outcome,
                at=self._now(at),
                actor=actor,
                contact_id=contact_id,
                email=email if email is not None else _contacts.contact_email(conn, contact_id),
                details=details,
                message=message,
            )

    # -- resubscribe requests ----------------------------------------------------------------------
    def record_resubscribe_request(
        self, contact_id: str, at: datetime | None = None, lists: Iterable[str] = (), actor: str | None = None
    ) -> int:
        with self._tx() as conn:
            return _resub.record_resubscribe_request(
                conn, contact_id, self._now(at), lists, actor or _audit.current_actor()
            )

    def resubscribe_requested_at(self, contact_id: str) -> datetime | None:
        return _resub.resubscribe_requested_at(self._conn, contact_id)

    def awaiting_confirmation_ids(self) -> list[str]:
        return _resub.awaiting_confirmation_ids(self._conn)

    def unsubscribed_ids(self) -> set[str]:
        return _resub.unsubscribed_ids(self._conn)

    def deleted_ids(self) -> set[str]:
        return _contacts.deleted_ids(self._conn)

    # -- escape hatch for tests and maintenance ----------------------------------------------------
    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection (same-thread only). Prefer the typed methods."""
        return self._conn
