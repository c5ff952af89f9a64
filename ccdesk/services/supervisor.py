"""Keeps a long-running coroutine (the outbox sender) alive: restarted, and reported, if it ever stops.

A task can stop two ways. It can end with an error (a bug), or it can be left pending forever: a nested event
loop that steps another task while one is executing makes asyncio refuse the step ("Cannot enter into task"),
and the refused task is never woken again, so it cannot even be cancelled. The first shows in the task's done
callback; the second as a task whose awaited future finished two checks ago and which still has not moved on
(or, from the caller's `is_stalled`, a heartbeat that stopped moving). Either way
the old task is dropped, `problem` is emitted with a plain message, and a fresh one starts after a pause.
The watchdog is a timer callback, not a task: a callback still runs where a refused task would be stuck too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ccdesk.events import Event

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]], *,
                 is_stalled: Callable[[], bool] = lambda: False, before_restart: Callable[[], None] = lambda: None,
                 check_every_s: float = 5.0, restart_delay_s: float = 1.0) -> None:
        self.name = name
        self._factory = factory
        self._is_stalled = is_stalled
        self._before_restart = before_restart
        self._check_every_s = check_every_s
        self._restart_delay_s = restart_delay_s
        self.task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._restart_timer: asyncio.TimerHandle | None = None
        self._stopping = False
        self._finished_waiter: object = None  # what the task awaited, seen finished at the last check
        self.restarts = 0
        self.problem = Event()  # (message) the task stopped and is being restarted
        self.running_again = Event()  # () a restarted task is running

    def start(self) -> None:
        self._launch()
        self._watchdog = asyncio.get_running_loop().call_later(self._check_every_s, self._watch)

    def _launch(self) -> None:
        self._restart_timer = None
        if self._stopping:
            return
        self.task = asyncio.get_running_loop().create_task(self._factory(), name=self.name)
        self.task.add_done_callback(self._ended)
        if self.restarts:
            self.running_again.emit()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task is not self.task or task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s stopped by an error; restarting it", self.name, exc_info=exc)
            self._restart(f"stopped because of an unexpected problem ({type(exc).__name__})")
        else:
            self._restart("stopped")

    def _refused(self, task: asyncio.Task[None]) -> bool:
        """The task awaits a future that was already finished at the previous check: its wake-up was refused.
        (`_fut_waiter` is asyncio's own record of what a task awaits; both Task implementations have it.)
        Kept on purpose: a heartbeat the sender sets (a "due back" time that a wake-up makes "now") sees a refused
        wake-up only while the sender waits; the stall the tests reproduce is refused while it sends (a finished
        database future), which only this check sees within seconds (else after BUSY_LIMIT, 10 min)."""
        waiter = getattr(task, "_fut_waiter", None)
        seen, self._finished_waiter = self._finished_waiter, waiter if waiter is not None and waiter.done() else None
        return waiter is not None and waiter is seen

    def _watch(self) -> None:
        task = self.task
        if task is not None and not task.done() and self._restart_timer is None and (
                self._refused(task) or self._is_stalled()):
            log.error("%s stopped responding; starting a new one", self.name)
            task.remove_done_callback(self._ended)
            task.cancel()  # takes effect only if the task is ever stepped again
            self._restart("stopped responding")
        if not self._stopping:
            self._watchdog = asyncio.get_running_loop().call_later(self._check_every_s, self._watch)

    def _restart(self, why: str) -> None:
        self.restarts += 1
        self.task = None
        with contextlib.suppress(Exception):
            self._before_restart()
        self.problem.emit(f"The {self.name} {why} and was started again.")
        self._restart_timer = asyncio.get_running_loop().call_later(self._restart_delay_s, self._launch)

    async def stop(self) -> None:
        self._stopping = True
        for timer in (self._restart_timer, self._watchdog):
            if timer is not None:
                timer.cancel()
        task, self.task = self.task, None
        if task is None:
            return
        # Cancelled again until it ends: a cancel that lands as the task's wake-up completes can be swallowed
        # (Python 3.11's wait_for), and the task would run on, unseen, after the desk closed.
        deadline = asyncio.get_running_loop().time() + 5
        while not task.done() and asyncio.get_running_loop().time() < deadline:
            task.cancel()
            await asyncio.wait({task}, timeout=0.05)
        if task.done() and not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()  # retrieved: no "exception was never retrieved" at exit
