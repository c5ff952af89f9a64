"""Test set-up on the desk's database file from code with no event loop to await the desk's writer thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.store.database import DeskDatabase

T = TypeVar("T")


def on_file(db: DatabaseThread, fn: Callable[[DeskDatabase], T]) -> T:
    """`fn(database)` on a connection of its own to the same file (WAL: the writer thread keeps its own)."""
    with DeskDatabase(db.path, recover=False) as database:
        return fn(database)
