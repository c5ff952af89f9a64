"""Everything one signed-in account needs, wired together (no Qt): the composition the window and CLI share."""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime, timedelta

from ccdesk.api import CCClient
from ccdesk.store.rows import ContactRow

from .actions import ContactActions
from .database_thread import DatabaseThread
from .outbox import OutboxWorker
from .reads import DeskReads
from .scheduler import QuotaMeter, SyncScheduler
from .supervisor import Supervisor
from .sync import SyncEngine
from .team_seam import TeamSeam


class Desk:
    """The store (on its own thread), the API client, the outbox sender, the actions and the sync (whose first
    run is the full pull)."""

    def __init__(self, client: CCClient, db_path: str | os.PathLike[str], *, sync_interval_min: float = 15,
                 team: TeamSeam | None = None) -> None:
        self.client = client
        self.db_path = db_path
        self.db = DatabaseThread(db_path)
        self.reads = DeskReads(self.db, db_path)  # what the window shows; its connection opens on first read
        self.team = team  # team mode (ccdesk/team): the same parts, sharing work through the team's database
        if team is None:
            self.worker = OutboxWorker(self.db, client)
            self.sync = SyncEngine(self.db, client)
        else:
            self.worker = team.outbox_worker(self.db, client)
            self.sync = team.sync_engine(self.db, client)
        self.actions = ContactActions(self.db, self.worker)
        self.quota = QuotaMeter(self.db, client)
        self.scheduler = SyncScheduler(self.sync, self.quota, interval=timedelta(minutes=sync_interval_min))
        # The sender is supervised: restarted (and reported through `sender.problem`) if it ever stops.
        self.sender = Supervisor("sender", self.worker.run, is_stalled=self.worker.stalled,
                                 before_restart=self.worker.replaced)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, *, background_sync: bool = True) -> None:
        """Start sending queued actions and, unless told not to, the background sync (loop must be running)."""
        if self._tasks or self.sender.task is not None:
            return
        loop = asyncio.get_running_loop()
        self.sender.start()
        if background_sync:
            self._tasks.append(loop.create_task(self.scheduler.run(), name="sync"))
        if self.team is not None:
            report = getattr(self.worker, "report_outcomes", None)
            self._tasks.append(loop.create_task(self.team.run(self.db, report), name="team"))

    async def lookup_email(self, email: str) -> ContactRow | None:
        """Exact lookup on the server for an address not in the cache; found contacts are added to it."""
        contact = await self.client.find_contact_by_email(email)
        if contact is None:
            return None
        now = datetime.now(UTC)
        await self.db.call(lambda s: s.upsert_contacts([contact.raw], now))
        return await self.db.call(lambda s: s.get_contact(contact.contact_id))

    async def close(self) -> None:
        await self.sender.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.team is not None:
            await self.team.close()
            await self.db.call(self.team.close_replica)
        await self.client.aclose()
        self.reads.close()
        self.db.close()
