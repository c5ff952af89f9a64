"""A file ccdesk did not create is never changed: not SQLite, another program's database, a folder; a damaged
database is named as such. What the user is told says what the file is and what to do."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import StoreUnreadableError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def _snapshot(path: Path) -> tuple[int, bytes]:
    return stat.S_IMODE(os.stat(path).st_mode), path.read_bytes()


@posix_only
@pytest.mark.parametrize(("content", "kind"), [
    (b"email,reason\nalice@example.com,asked\n", "text file"),
    (b"PK\x03\x04" + bytes(200), "ZIP"),
    (b"%PDF-1.7\n" + bytes(100), "PDF"),
    (bytes(range(256)), "another kind"),
])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(content)
    os.chmod(path, 0o644)
    before = _snapshot(path)
    with pytest.raises(StoreUnreadableError) as caught:
        DeskDatabase(path)
    assert kind in caught.value.message and "not an SQLite database" in caught.value.message
    assert "--db" in caught.value.message
    assert _snapshot(path) == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


@posix_only
def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    os.chmod(path, 0o644)
    before = _snapshot(path)
    with pytest.raises(StoreUnreadableError, match="another program"):
        DeskDatabase(path)
    assert _snapshot(path) == before


def test_a_damaged_database_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ccdesk.sqlite3"
    DeskDatabase(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the header survives; the schema page does not
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(StoreUnreadableError) as caught:
        DeskDatabase(path)
    assert "damaged" in caught.value.message and "rename the file" in caught.value.message
    assert path.read_bytes() == before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreUnreadableError, match="is a folder"):
        DeskDatabase(tmp_path)


@posix_only
def test_ccdesks_own_database_is_still_tightened(tmp_path: Path) -> None:
    path = tmp_path / "ccdesk.sqlite3"
    DeskDatabase(path).close()
    os.chmod(path, 0o644)
    DeskDatabase(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_read_only_uri_escapes_only_what_would_cut_the_path() -> None:
    """'#', '?', '%' and spaces are escaped (SQLite decodes them); a Windows drive or UNC path stays as it was given:
    resolved to a UNC path, "file://server/..." is a URI authority SQLite refuses, and the store was called damaged."""
    from ccdesk.sqlite_uri import read_only_uri

    assert read_only_uri("/home/a/Team #2 ?x 100%/c.sqlite3") == \
        "file:/home/a/Team%20%232%20%3Fx%20100%25/c.sqlite3?mode=ro"
    assert read_only_uri("Z:\\ccdesk\\c.sqlite3") == "file:Z:\\ccdesk\\c.sqlite3?mode=ro"
    assert read_only_uri("\\\\server\\share\\c.sqlite3") == "file:\\\\server\\share\\c.sqlite3?mode=ro"


def test_a_store_in_a_folder_whose_name_holds_a_hash_is_checked_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "Team #2"
    folder.mkdir()
    with DeskDatabase(folder / "c.sqlite3") as store:
        store.set_state("k", "v")
    with DeskDatabase(folder / "c.sqlite3") as store:  # the check before opening reads this very file
        assert store.get_state("k") == "v"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Team #2"]
