"""One Store on a dedicated thread, so async services never block the GUI thread on SQLite."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ccdesk.store.errors import StoreUnavailableError
from ccdesk.store.store import Store

T = TypeVar("T")


class StoreThread:
    """Owns the writer Store. sqlite3 connections belong to their thread, so every call runs on this one.

    The GUI opens its own read-only-in-practice Store for the table (WAL lets it read while this writes).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccdesk-store")
        try:
            self._store: Store = self._executor.submit(Store, path).result()
        except BaseException:  # locked past the wait, damaged...: no thread left behind
            self._executor.shutdown(wait=False)
            raise

    async def call(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on the store thread. A locked file or a full disk raises StoreUnavailableError."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, _translated, fn, self._store)

    def call_sync(self, fn: Callable[[Store], T]) -> T:
        """For start-up and shutdown code that has no running loop."""
        return self._executor.submit(_translated, fn, self._store).result()

    def close(self) -> None:
        try:
            self._executor.submit(self._store.close).result()
        finally:
            self._executor.shutdown(wait=True)


def _translated(fn: Callable[[Store], T], store: Store) -> T:
    try:
        return fn(store)
    except sqlite3.OperationalError as exc:
        plain = StoreUnavailableError.from_sqlite(exc)
        if plain is None:
            raise
        raise plain from exc

