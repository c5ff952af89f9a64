"""Opening the file: permissions, pragmas, schema versions and migrations."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from ccdesk.store import SCHEMA_VERSION, DeskDatabase, SchemaTooNewError, default_db_path
from ccdesk.store import sqlite_file as dbmod
from ccdesk.store.schema import MIGRATIONS, migrate, split_statements, user_version
from tests.store.conftest import make_contact

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
def test_file_and_new_dirs_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ccdesk.sqlite3"
    old = os.umask(0o022)
    try:
        with DeskDatabase(path) as store:
            store.upsert_contacts([make_contact(1)])  # forces -wal and -shm into existence
            assert _mode(path) == 0o600
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                assert side.exists()
                assert _mode(side) & 0o077 == 0
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "b") == 0o700
    assert _mode(tmp_path) != 0o700 or True  # an existing parent is left alone


@posix_only
def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "loose.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    DeskDatabase(path).close()
    assert _mode(path) == 0o600


def test_pragmas(store: DeskDatabase) -> None:
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == dbmod.BUSY_TIMEOUT_MS


def test_default_path_uses_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def fake_user_data_dir(appname: str, appauthor: object = None) -> str:
        seen.update(appname=appname, appauthor=appauthor)
        return str(tmp_path / "userdata")

    monkeypatch.setattr(dbmod.platformdirs, "user_data_dir", fake_user_data_dir)
    assert default_db_path() == tmp_path / "userdata" / "ccdesk.sqlite3"
    assert seen == {"appname": "ccdesk", "appauthor": False}


def test_new_database_is_at_current_version(store: DeskDatabase, db_path: Path) -> None:
    assert user_version(store.connection) == SCHEMA_VERSION == len(MIGRATIONS)
    tables = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"contacts", "lists", "memberships", "sync_state", "outbox", "audit", "contacts_fts"} <= tables


def test_reopen_keeps_data_and_version(db_path: Path) -> None:
    with DeskDatabase(db_path) as s:
        s.upsert_contacts([make_contact(1)])
    with DeskDatabase(db_path) as s:
        assert user_version(s.connection) == SCHEMA_VERSION
        assert s.count() == 1


def test_newer_database_is_refused(db_path: Path) -> None:
    DeskDatabase(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError) as info:
        DeskDatabase(db_path)
    assert info.value.found == SCHEMA_VERSION + 1
    assert "Update ccdesk" in str(info.value)


def test_migrations_apply_in_order_and_failed_step_rolls_back(tmp_path: Path) -> None:
    conn = dbmod.connect(tmp_path / "m.sqlite3")
    steps: list[str | object] = [
        "CREATE TABLE a (x INTEGER);",
        "CREATE TABLE b (y INTEGER); INSERT INTO nope VALUES (1);",
    ]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, "m", steps)  # type: ignore[arg-type]
    assert user_version(conn) == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "a" in names and "b" not in names  # step 2 left nothing behind

    def step3(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO b VALUES (42)")

    fixed: list[object] = ["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);", step3]
    assert migrate(conn, "m", fixed) == 3  # type: ignore[arg-type]
    assert conn.execute("SELECT y FROM b").fetchall() == [(42,)]
    assert migrate(conn, "m", fixed) == 3  # idempotent  # type: ignore[arg-type]
    conn.close()


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    script = """
    CREATE TABLE t (x TEXT);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        INSERT INTO t VALUES ('a;b'); SELECT 1;
    END;
    -- trailing comment
    """
    parts = list(split_statements(script))
    assert len(parts) == 2
    assert parts[1].strip().startswith("CREATE TRIGGER") and parts[1].rstrip().endswith("END;")
