"""Waiting for something to become true inside an async UI test, without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


class Outcomes:
    """Every outcome the desk's sender reports, heard from before anything is queued: a test waits for the
    final outcome of the item it queued, not for a side effect that is written before the item is done."""

    def __init__(self, worker: Any) -> None:
        self.final: dict[int, Any] = {}
        self._changed = asyncio.Event()
        worker.item_finished.connect(self._heard)

    def _heard(self, outcome: Any) -> None:
        if outcome.final:
            self.final[outcome.item_id] = outcome
            self._changed.set()

    async def of(self, item_id: int, timeout: float = 30.0) -> Any:
        """The item's final outcome (sent or refused), once the sender has stored it."""
        async def wait() -> Any:
            while item_id not in self.final:
                self._changed.clear()
                await self._changed.wait()
            return self.final[item_id]

        return await asyncio.wait_for(wait(), timeout)
