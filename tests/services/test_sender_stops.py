"""Desk.close stops the sender even when the stop comes just as the sender is woken (Python 3.11's wait_for can
swallow a cancel that arrives while the awaited wake-up completes: one cancel is not always enough)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk


@pytest.mark.parametrize("steps", range(6))
async def test_a_sender_woken_as_it_is_stopped_stops(tmp_path: Path, steps: int) -> None:
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), tmp_path / "c.sqlite3")
    desk.start(background_sync=False)
    await asyncio.sleep(0.3)  # the sender waits for work
    task = desk.sender.task
    assert task is not None and not task.done()
    desk.worker.wake()
    for _ in range(steps):  # the stop lands at each point of the wake-up in turn
        await asyncio.sleep(0)
    started = time.monotonic()
    await desk.close()
    assert task.done(), "the sender outlived Desk.close"
    assert time.monotonic() - started < 2
