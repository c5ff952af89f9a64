"""The lists this desk took a contact off, as rows written with each list-removal item (schema v6): the same answer
the items' payloads give, for items queued before v6 (the migration) and after (the outbox's trigger), written in
the transaction that queues the item."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from ccdesk.store import DeskDatabase, removals
from ccdesk.store import sqlite_file as dbmod
from ccdesk.store.rows import LIST_REMOVALS
from ccdesk.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from tests.store.conftest import cid

LISTS = [f"list-{n}" for n in range(6)]
STATES = ("done", "done", "done", "pending", "in_progress", "failed", "discarded")
KINDS = ("remove_from_lists", "remove_from_lists_bulk", "add_to_lists", "unsubscribe")


def from_payloads(conn: sqlite3.Connection, contact_id: str, recent: int = 2000) -> set[str]:
    """What ccdesk answered up to schema v5 (store/outbox.lists_removed_from then): the payloads of the `recent`
    newest sent removals, read with json_each."""
    rows = conn.execute(
        "SELECT DISTINCT l.value FROM (SELECT contact_id, payload FROM outbox WHERE state = 'done' "
        "AND kind IN ('remove_from_lists', 'remove_from_lists_bulk') ORDER BY id DESC LIMIT ?) AS o, "
        "json_each(o.payload, '$.list_ids') AS l WHERE o.contact_id = ? OR EXISTS "
        "(SELECT 1 FROM json_each(o.payload, '$.contact_ids') AS c WHERE c.value = ?)",
        [recent, contact_id, contact_id])
    return {str(lid) for (lid,) in rows}


def _items(seed: int, n: int) -> list[tuple[str, str | None, dict[str, list[str]], str]]:
    """(kind, contact_id, payload, state): one contact's removals, bulk ones (some naming a contact twice or a
    contact that is also the item's own), other kinds carrying list_ids, in every state."""
    rnd = random.Random(seed)
    out: list[tuple[str, str | None, dict[str, list[str]], str]] = []
    for _ in range(n):
        kind = rnd.choice(KINDS)
        lists = rnd.sample(LISTS, rnd.randint(1, 3))
        state = rnd.choice(STATES)
        if kind == "remove_from_lists_bulk":
            people = [cid(rnd.randint(1, 30)) for _ in range(rnd.randint(1, 12))]
            own = cid(rnd.randint(1, 30)) if rnd.random() < 0.1 else None
            out.append((kind, own, {"contact_ids": people, "list_ids": lists}, state))
        else:
            out.append((kind, cid(rnd.randint(1, 30)), {"list_ids": lists}, state))
    return out


def _insert_as_v5(conn: sqlite3.Connection, items: list[tuple[str, str | None, dict[str, list[str]], str]]) -> None:
    """Rows as ccdesk up to v5 wrote them (an INSERT of the item; the state it reached since)."""
    ts = "2026-01-01T00:00:00.000000+00:00"
    for kind, contact_id, payload, state in items:
        conn.execute("INSERT INTO outbox (kind, contact_id, payload, state, attempts, next_attempt_at, created_at, "
                     "updated_at, created_by) VALUES (?, ?, ?, ?, 1, ?, ?, ?, 'alice')",
                     (kind, contact_id, json.dumps(payload, separators=(",", ":")), state, ts, ts, ts))


def _answers(read: object, recents: tuple[int, ...]) -> dict[tuple[str, int], set[str]]:
    return {(cid(n), r): read(cid(n), r) for n in range(1, 32) for r in recents}  # type: ignore[operator]


RECENTS = (1, 5, 40, 2000)


def test_a_version_5_file_with_sent_removals_keeps_its_answers(tmp_path: Path) -> None:
    path = tmp_path / "v5.sqlite3"
    conn = dbmod.connect(path)
    migrate(conn, str(path), MIGRATIONS[:5])
    conn.execute("BEGIN IMMEDIATE")
    _insert_as_v5(conn, _items(seed=5, n=160))
    conn.execute("COMMIT")
    before = _answers(lambda c, r: from_payloads(conn, c, r), RECENTS)
    conn.close()
    assert sum(bool(lists) for lists in before.values()) > 40  # many contacts were taken off lists
    with DeskDatabase(path) as db:
        assert user_version(db.connection) == SCHEMA_VERSION >= 6
        assert _answers(lambda c, r: db.lists_removed_from(c, recent=r), RECENTS) == before
        # ... read from the rows the migration wrote, not from the payloads:
        db.connection.execute("UPDATE outbox SET payload = '{}'")
        assert _answers(lambda c, r: db.lists_removed_from(c, recent=r), RECENTS) == before
        assert db.connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_items_queued_now_answer_as_their_payloads_do(db_path: Path) -> None:
    items = _items(seed=7, n=160)
    with DeskDatabase(db_path) as db:
        with db.transaction():
            for kind, contact_id, payload, state in items:
                item_id = db.enqueue(kind, contact_id, payload)
                db.connection.execute("UPDATE outbox SET state = ? WHERE id = ?", (state, item_id))
        conn = db.connection
        assert _answers(lambda c, r: db.lists_removed_from(c, recent=r), RECENTS) == _answers(
            lambda c, r: from_payloads(conn, c, r), RECENTS)


def test_only_removals_with_text_ids_have_rows(db_path: Path) -> None:
    with DeskDatabase(db_path) as db:
        bulk = db.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(1), cid(2), cid(1)],
                                                             "list_ids": ["L1", "L2"]})
        one = db.enqueue("remove_from_lists", cid(3), {"list_ids": ["L3"]})
        db.enqueue("add_to_lists", cid(3), {"list_ids": ["L4"]})
        db.enqueue("resubscribe_request", cid(3), {"list_ids": ["L5"]})
        db.enqueue("unsubscribe", cid(3), {"reason": "asked"})
        rows = db.connection.execute("SELECT contact_id, item_id, list_id FROM list_removals").fetchall()
    assert sorted(rows) == sorted([(cid(1), bulk, "L1"), (cid(1), bulk, "L2"), (cid(2), bulk, "L1"),
                                   (cid(2), bulk, "L2"), (cid(3), one, "L3")])


def test_the_rows_are_written_in_the_enqueue_transaction(db_path: Path) -> None:
    with DeskDatabase(db_path) as db, DeskDatabase(db_path) as other:
        def seen() -> tuple[int, int]:
            conn = other.connection
            return (conn.execute("SELECT count(*) FROM outbox").fetchone()[0],
                    conn.execute("SELECT count(*) FROM list_removals").fetchone()[0])

        with pytest.raises(RuntimeError), db.transaction():
            db.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(1), cid(2)], "list_ids": ["L1"]})
            assert seen() == (0, 0)  # another connection (another process) sees neither yet
            raise RuntimeError("the caller's next step failed")
        assert seen() == (0, 0)
        assert db.connection.execute("SELECT count(*) FROM list_removals").fetchone()[0] == 0
        with db.transaction():
            db.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(1), cid(2)], "list_ids": ["L1"]})
            assert seen() == (0, 0)
        assert seen() == (1, 2)


def test_an_item_queued_by_the_previous_version_has_its_rows(db_path: Path) -> None:
    """A ccdesk still running v5 (the window left open while a newer one migrated the file, a scheduled job) queues
    with its own INSERT: the rows are written with it all the same."""
    with DeskDatabase(db_path) as db:
        conn = db.connection
        conn.execute("BEGIN IMMEDIATE")
        _insert_as_v5(conn, [("remove_from_lists_bulk", None, {"contact_ids": [cid(1), cid(2)], "list_ids": ["L1"]},
                              "done"),
                             ("remove_from_lists", cid(3), {"list_ids": ["L2", "L3"]}, "done")])
        conn.execute("COMMIT")
        assert [db.lists_removed_from(cid(n)) for n in (1, 2, 3, 4)] == [{"L1"}, {"L1"}, {"L2", "L3"}, set()]


def test_the_trigger_knows_every_list_removal_kind() -> None:
    assert set(removals.KINDS) == {str(kind) for kind in LIST_REMOVALS}
