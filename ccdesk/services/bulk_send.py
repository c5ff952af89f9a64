"""Seeing queued bulk work through: how far it is, how long it will take at the API's pace, when to stop.

The window's outbox worker already runs in the background, so the window only *watches* the items; a command
has no background worker, so it *drives* the outbox itself (`send=True`). Either way the items stay in the
outbox until they are done: stopping early (cancel, quota, sign-in, time limit) loses nothing, and the next
run (or the window) sends the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ccdesk.store.errors import StoreUnavailableError
from ccdesk.store.rows import OutboxKind, OutboxState

from .desk import Desk
from .fresh_cache import BULK_REQUESTS_PER_CONTACT
from .outbox import ItemOutcome

# Requests one outbox item costs: GET + PUT for a contact read first; POST + a few status polls for a bulk activity.
# An unsubscribe of a bulk run: one PUT plus its share of the batch read (fresh_cache.py).
REQUESTS_PER_ITEM: dict[str, float] = {OutboxKind.BULK_REMOVE: 4, OutboxKind.ADD_UNSUBSCRIBED: 3,  # POST, GET, PUT
                                       OutboxKind.UNSUBSCRIBE: BULK_REQUESTS_PER_CONTACT}
DEFAULT_REQUESTS_PER_ITEM = 2


def seconds_left(kinds: Sequence[str], rate_per_s: float = 4.0) -> float:
    """Lower bound on the time items of these kinds still need: the API allows `rate_per_s` requests a second."""
    requests = sum(REQUESTS_PER_ITEM.get(kind, DEFAULT_REQUESTS_PER_ITEM) for kind in kinds)
    return requests / rate_per_s if rate_per_s > 0 else 0.0


@dataclass
class SendProgress:
    total: int
    finished: int
    failed: int
    seconds_left: float


@dataclass
class SendSummary:
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    stopped_for: str | None = None  # "quota", "sign_in", "time limit", "cancelled", "local data", or None if all done
    message: str = ""


async def _states(desk: Desk, ids: Sequence[int]) -> list[tuple[int, str, OutboxState]]:
    return await desk.db.call(lambda s: s.outbox_states(ids))  # one query, even for 10,000 items


def _summary(states: Sequence[tuple[int, str, OutboxState]]) -> SendSummary:
    summary = SendSummary()
    for item_id, _kind, state in states:
        if state is OutboxState.DONE:
            summary.done.append(item_id)
        elif state in (OutboxState.FAILED, OutboxState.DISCARDED):
            summary.failed.append(item_id)
        else:
            summary.waiting.append(item_id)
    return summary


async def see_through(desk: Desk, outbox_ids: Sequence[int], *, send: bool, wait_s: float | None = None,
                      on_progress: Callable[[SendProgress], None] | None = None,
                      cancel: asyncio.Event | None = None, poll_s: float = 0.5) -> SendSummary:
    """Until every item is done or failed, or there is a reason to stop. Never raises for API errors."""
    ids = list(outbox_ids)
    deadline = None if wait_s is None else time.monotonic() + wait_s
    stop: dict[str, str] = {}

    sent: set[int] = set()
    last = SendSummary(waiting=list(ids))

    def on_outcome(outcome: ItemOutcome) -> None:
        if outcome.item_id in wanted and outcome.ok:
            sent.add(outcome.item_id)
        if outcome.item_id in wanted and outcome.why in ("quota", "sign_in", "not_allowed"):
            stop.setdefault("why", outcome.why)
            stop.setdefault("message", outcome.message)

    wanted = set(ids)
    desk.worker.item_finished.connect(on_outcome)
    try:
        while True:
            states = await _states(desk, ids)
            summary = last = _summary(states)
            if on_progress is not None:
                open_kinds = [kind for _id, kind, state in states if state in (OutboxState.PENDING,
                                                                               OutboxState.IN_PROGRESS)]
                on_progress(SendProgress(len(ids), len(summary.done) + len(summary.failed), len(summary.failed),
                                         seconds_left(open_kinds, desk.client.rate_limiter.rate)))
            if not summary.waiting:
                return summary
            if stop or desk.worker.paused_reason:
                summary.stopped_for = stop.get("why", "sign_in")
                summary.message = stop.get("message", desk.worker.paused_reason or "")
                return summary
            if cancel is not None and cancel.is_set():
                summary.stopped_for, summary.message = "cancelled", "Stopped; the rest stays queued."
                return summary
            if deadline is not None and time.monotonic() >= deadline:
                summary.stopped_for = "time limit"
                summary.message = "Time limit reached; the rest stays queued and is sent by the next run."
                return summary
            if send:
                if await desk.worker.send_next() is not None:
                    continue  # look at the time limit and the stop reasons after every item
                nxt = await desk.db.call(lambda s: s.next_attempt_at())
                pause = poll_s if nxt is None else (nxt - datetime.now(UTC)).total_seconds()
                if deadline is not None and pause > deadline - time.monotonic() and not stop:
                    # Nothing can be sent before the time limit (e.g. a long back-off): do not sit and wait.
                    pause = max(0.0, deadline - time.monotonic())
                if pause > 0 and not stop:
                    await _sleep(min(pause, poll_s * 20), cancel)
            else:
                await _sleep(poll_s, cancel)
    except StoreUnavailableError as exc:
        # The local file is locked (or the disk full): stop, and tell the truth about what was sent before.
        done = sorted(set(last.done) | sent)
        failed = [i for i in last.failed if i not in sent]
        waiting = [i for i in ids if i not in done and i not in failed]
        return SendSummary(done, failed, waiting, stopped_for="local data", message=exc.message)
    finally:
        desk.worker.item_finished.disconnect(on_outcome)


async def _sleep(seconds: float, cancel: asyncio.Event | None) -> None:
    if cancel is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(cancel.wait(), seconds)


async def cancel_rest(desk: Desk, outbox_ids: Sequence[int], *, settle_s: float = 120.0) -> list[int]:
    """Staff pressed Stop: cancel every item not sent yet. One being sent right now is let finish; if it then
    goes back to the queue (a temporary failure), it is cancelled too. Returns the cancelled ids."""
    ids = list(outbox_ids)
    cancelled = await desk.db.call(lambda s: s.cancel_pending(ids))
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        if not any(state is OutboxState.IN_PROGRESS for _id, _kind, state in await _states(desk, ids)):
            break
        await asyncio.sleep(0.1)
    cancelled += await desk.db.call(lambda s: s.cancel_pending(ids))
    desk.worker.queue_changed.emit()
    return cancelled
