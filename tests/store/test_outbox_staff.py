"""Staff actions on failed outbox items (Retry / Discard), and migration 2 keeping existing rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import InvalidStateError
from ccdesk.store.rows import OutboxState
from ccdesk.store.schema import MIGRATIONS, migrate, user_version


def failed_item(store: DeskDatabase) -> int:
    item_id = store.enqueue("unsubscribe", "c1", {"reason": "x"}, actor="alice")
    claimed = store.next_due()
    assert claimed is not None and claimed.id == item_id
    store.mark_failed(item_id, "Constant Contact refused the request: bad")
    return item_id


def test_retry_puts_a_failed_item_back_in_the_queue(tmp_path: Path) -> None:
    with DeskDatabase(tmp_path / "s.sqlite3") as store:
        item_id = failed_item(store)
        store.retry_failed(item_id, actor="bob")
        item = store.get_outbox_item(item_id)
        assert item is not None and item.state == OutboxState.PENDING
        assert store.next_due() is not None
        outcomes = [a.outcome for a in store.audit("c1")]
        assert outcomes[0] == "requeued" and store.audit("c1")[0].actor == "bob"


def test_discard_keeps_the_record_but_takes_it_off_the_failed_list(tmp_path: Path) -> None:
    with DeskDatabase(tmp_path / "s.sqlite3") as store:
        item_id = failed_item(store)
        store.discard_failed(item_id, actor="bob")
        assert store.outbox_items("failed") == []
        assert [i.id for i in store.outbox_items("discarded")] == [item_id]
        assert store.audit("c1")[0].outcome == "discarded"
        with pytest.raises(InvalidStateError):
            store.retry_failed(item_id)


def test_only_failed_items_can_be_retried(tmp_path: Path) -> None:
    with DeskDatabase(tmp_path / "s.sqlite3") as store:
        item_id = store.enqueue("unsubscribe", "c1", {"reason": "x"}, actor="alice")
        with pytest.raises(InvalidStateError):
            store.retry_failed(item_id)


def test_migration_2_keeps_outbox_rows_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, str(path), MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO outbox (kind, contact_id, payload, state, next_attempt_at, created_at, updated_at, "
        "created_by) VALUES ('unsubscribe', 'c9', '{}', 'failed', ?, ?, ?, 'alice')",
        ["2026-01-01T00:00:00+00:00"] * 3,
    )
    conn.close()
    with DeskDatabase(path) as store:
        assert user_version(store.connection) == len(MIGRATIONS) >= 2
        [item] = store.outbox_items("failed")
        assert item.contact_id == "c9"
