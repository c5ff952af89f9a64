"""Test set-up on the desk's database file from code with no event loop to await the desk's writer thread."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.store.database import DeskDatabase

T = TypeVar("T")


def on_file(db: DatabaseThread, fn: Callable[[DeskDatabase], T]) -> T:
    """`fn(database)` on a connection of its own to the same file (WAL: the writer thread keeps its own)."""
    with DeskDatabase(db.path, recover=False) as database:
        return fn(database)


def removal_rows(path: str | os.PathLike[str]) -> set[tuple[str, str]]:
    """(contact id, list id) of every row of the file's list_removals (store/removals.py)."""
    with DeskDatabase(path, recover=False) as database:
        return set(database.connection.execute("SELECT contact_id, list_id FROM list_removals"))
