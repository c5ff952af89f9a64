"""Everything one signed-in account needs, wired together (no Qt): the composition the window and CLI share."""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime

from ccdesk.api import CCClient
from ccdesk.store.rows import ContactRow

from .actions import ContactActions
from .cache_pull import CachePull
from .outbox import OutboxWorker
from .store_thread import StoreThread
from .sync import SyncEngine


class Desk:
    """The store (on its own thread), the API client, the outbox sender, the actions and the cache pull."""

    def __init__(self, client: CCClient, db_path: str | os.PathLike[str]) -> None:
        self.client = client
        self.db_path = db_path
        self.store = StoreThread(db_path)
        self.worker = OutboxWorker(self.store, client)
        self.actions = ContactActions(self.store, self.worker)
        self.pull = CachePull(self.store, client)
        self.sync = SyncEngine(self.store, client)
        self._worker_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sending queued actions (call with the event loop running)."""
        if self._worker_task is None or self._worker_task.done():
            self._worker_task = asyncio.get_running_loop().create_task(self.worker.run(), name="outbox")

    async def lookup_email(self, email: str) -> ContactRow | None:
        """Exact lookup on the server for an address not in the cache; found contacts are added to it."""
        contact = await self.client.find_contact_by_email(email)
        if contact is None:
            return None
        now = datetime.now(UTC)
        await self.store.call(lambda s: s.upsert_contacts([contact.raw], now))
        return await self.store.call(lambda s: s.get_contact(contact.contact_id))

    async def has_cache(self) -> bool:
        return bool(await self.store.call(lambda s: s.count()))

    async def close(self) -> None:
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
        await self.client.aclose()
        self.store.close()
