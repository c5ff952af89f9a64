"""One DeskDatabase on a dedicated thread, so async services never block the GUI thread on SQLite."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import StoreUnavailableError

T = TypeVar("T")


class DatabaseThread:
    """Owns the writer DeskDatabase. sqlite3 connections belong to their thread, so every call runs on this one.

    The window's page-sized reads go through `DeskReads` (services/reads.py), which owns a query-only
    connection of its own (WAL lets it read while this writes).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccdesk-store")
        try:
            self._db: DeskDatabase = self._executor.submit(DeskDatabase, path).result()
        except BaseException:  # locked past the wait, damaged...: no thread left behind
            self._executor.shutdown(wait=False)
            raise

    async def call(self, fn: Callable[[DeskDatabase], T]) -> T:
        """Run `fn(store)` on the store thread. A locked file or a full disk raises StoreUnavailableError."""
        return await self.submit(fn)

    def submit(self, fn: Callable[[DeskDatabase], T]) -> asyncio.Future[T]:
        """Like `call`, as a plain future (for a caller that takes the result in a done callback)."""
        return asyncio.get_running_loop().run_in_executor(self._executor, translated, fn, self._db)

    def close(self) -> None:
        try:
            self._executor.submit(self._db.close).result()
        finally:
            self._executor.shutdown(wait=True)


def translated(fn: Callable[[DeskDatabase], T], db: DeskDatabase) -> T:
    try:
        return fn(db)
    except sqlite3.OperationalError as exc:
        plain = StoreUnavailableError.from_sqlite(exc)
        if plain is None:
            raise
        raise plain from exc

