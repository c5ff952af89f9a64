"""The one seam between a desk and team mode: what `Desk` asks of a team, so a single desk stays unchanged and
services never import the team package (ccdesk/team implements it with PostgreSQL: TeamLink)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ccdesk.api import CCClient

from .database_thread import DatabaseThread
from .outbox import OutboxWorker
from .sync import SyncEngine


class TeamSeam(Protocol):
    def outbox_worker(self, db: DatabaseThread, client: CCClient) -> OutboxWorker:
        """The sender that sends this desk's actions once the team says it is the one to send them."""

    def sync_engine(self, db: DatabaseThread, client: CCClient) -> SyncEngine:
        """The sync that reads Constant Contact for the team, or catches up from the team's copy."""

    async def run(self, db: DatabaseThread, on_outcomes: Callable[[list[Any]], Awaitable[Any]] | None = None
                  ) -> None:
        """Until cancelled: keep this desk's copy and the team's in step."""

    async def close(self) -> None: ...

    def close_replica(self, db: Any) -> None:
        """On the database's thread, before it closes."""
