"""`TeamLink`: one desk's connection to its team, the object the desk's sync and outbox use in team mode.

It owns three connections: one used only on the store's thread (the replica exchange), one for short control
statements (lease, claims, outcomes; run in a worker thread), and one that LISTENs for the team's changes on its
own thread. Every call degrades to "unreachable" instead of raising: the desk then works from its own store and
outbox, and the background loop (`run`) reconnects, hands over what was queued meanwhile and catches up.
A NOTIFY wakes the loop at once; without one (the listener lost its connection, or a proxy drops notifications)
it looks anyway every POLL_S seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from ccdesk.events import Event
from ccdesk.services.database_thread import DatabaseThread
from ccdesk.store.database import DeskDatabase

from . import desks, replica, schema
from . import dsn as _dsn
from . import outbox as _outbox
from .config import TeamSettings
from .copy import CONTACTS_CHANNEL
from .errors import TeamError, TeamUnreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
POLL_S = 5.0


class TeamLink:
    def __init__(self, settings: TeamSettings, *, poll_s: float = POLL_S) -> None:
        self.settings = settings
        self.poll_s = poll_s
        self.online = False
        self.problem = ""             # why the team is not reachable now ("" when it is)
        self.holds_lease = False
        self.changed = Event()        # (replica.Exchanged) the team's changes were applied here
        self.state_changed = Event()  # () online/problem changed
        self._replica_conn: psycopg.Connection[Any] | None = None  # store thread only
        self._control: psycopg.Connection[Any] | None = None
        self._control_lock = threading.Lock()
        self._kick = asyncio.Event()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_beat = float("-inf")

    @property
    def desk_id(self) -> str:
        return self.settings.desk_id

    # ---- connections ----------------------------------------------------------------------------------------
    def _fresh(self) -> psycopg.Connection[Any]:
        conn = _dsn.connect(self.settings.dsn, autocommit=True)
        try:
            schema.check(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _note(self, problem: str) -> None:
        """Record reachability (any thread); state_changed is emitted on the event loop's thread."""
        online = not problem
        if online != self.online or problem != self.problem:
            self.online, self.problem = online, problem
            if problem:
                log.warning("team database: %s", problem)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self.state_changed.emit)

    def _guard(self, fn: Callable[[], T], drop: Callable[[], None]) -> T | None:
        """fn() or None when the database is unreachable (noted, the connection dropped)."""
        try:
            result = fn()
        except TeamError as exc:
            drop()
            self._note(exc.message)
            return None
        except psycopg.Error as exc:
            drop()
            self._note(f"the team database stopped answering ({type(exc).__name__}); working locally meanwhile")
            return None
        self._note("")
        return result

    def _drop_replica(self) -> None:
        if self._replica_conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._replica_conn.close()
        self._replica_conn = None

    def _drop_control(self) -> None:
        if self._control is not None:
            with contextlib.suppress(psycopg.Error):
                self._control.close()
        self._control = None

    def _on_store(self, fn: Callable[[DeskDatabase, psycopg.Connection[Any]], T]) -> Callable[[DeskDatabase], T | None]:
        """Wrap fn(store, conn) to run on the store's thread with the replica connection."""
        def call(s: DeskDatabase) -> T | None:
            def work() -> T:
                if self._replica_conn is None or self._replica_conn.closed:
                    self._replica_conn = self._fresh()
                return fn(s, self._replica_conn)
            return self._guard(work, self._drop_replica)
        return call

    async def _control_call(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T | None:
        def call() -> T | None:
            with self._control_lock:
                def work() -> T:
                    if self._control is None or self._control.closed:
                        self._control = self._fresh()
                    return fn(self._control)
                return self._guard(work, self._drop_control)
        return await asyncio.to_thread(call)

    async def _control_do(self, fn: Callable[[psycopg.Connection[Any]], object]) -> bool:
        """Run a statement that returns nothing; True when it ran (the database answered)."""
        def run(c: psycopg.Connection[Any]) -> bool:
            fn(c)
            return True
        return bool(await self._control_call(run))

    # ---- the desk's seam (ccdesk/services/team_seam.py) ---------------------------------------------------
    def outbox_worker(self, db: DatabaseThread, client: Any) -> Any:
        from .wiring import TeamOutboxWorker

        return TeamOutboxWorker(db, client, self)

    def sync_engine(self, db: DatabaseThread, client: Any) -> Any:
        from .wiring import TeamSyncEngine

        return TeamSyncEngine(db, client, self)

    # ---- what the desk uses -----------------------------------------------------------------------------
    async def exchange(self, db: DatabaseThread) -> replica.Exchanged | None:
        """Publish this desk's changes and apply the team's; None when the team is unreachable. One page per call
        on the database's thread, so an action queued during a long catch-up waits seconds, not minutes."""
        self._loop = asyncio.get_running_loop()
        total = replica.Exchanged()
        while True:
            done = await db.call(self._on_store(lambda s, c: replica.exchange(s, c, self.desk_id, max_pages=1)))
            if done is None:
                return None
            total.published += done.published
            total.applied += done.applied
            total.handed_over += done.handed_over
            total.team_seq = done.team_seq
            total.new_optouts += done.new_optouts
            total.changed += done.changed
            if done.caught_up:
                break
        total.caught_up = True
        if total.applied or total.new_optouts:
            self.changed.emit(total)
        return total

    async def adopt_bookmarks(self, store: DatabaseThread) -> bool:
        return bool(await store.call(self._on_store(replica.adopt_bookmarks)))

    async def publish_sync(self, store: DatabaseThread) -> None:
        """After this desk read Constant Contact: its lists and bookmarks (its contacts go with exchange())."""
        def both(s: DeskDatabase, c: psycopg.Connection[Any]) -> None:
            replica.publish_lists(s, c)
            replica.save_bookmarks(s, c)
        await store.call(self._on_store(both))

    async def take_lease(self) -> bool:
        got = await self._control_call(lambda c: desks.take_lease(c, self.desk_id))
        self.holds_lease = bool(got)
        return self.holds_lease

    async def release_lease(self) -> None:
        if self.holds_lease:
            await self._control_do(lambda c: desks.release_lease(c, self.desk_id))
            self.holds_lease = False

    async def claim(self, local_id: int, kind: str, contact_id: str | None, payload: dict[str, Any],
                    created_by: str, created_at: Any) -> _outbox.Claim | None:
        return await self._control_call(lambda c: _outbox.claim(c, self.desk_id, local_id, kind, contact_id,
                                                                payload, created_by, created_at))

    async def finish(self, local_id: int, created_at: Any, state: str, message: str) -> bool:
        done = await self._control_do(lambda c: _outbox.finish(c, self.desk_id, local_id, created_at, state,
                                                                message))
        if done:
            self.kick()
        return done

    async def claim_orphan(self, gone_after_s: float) -> _outbox.Orphan | _outbox.Claim | None:
        return await self._control_call(lambda c: _outbox.claim_orphan(c, self.desk_id, gone_after_s))

    async def finish_action(self, aid: str, state: str, message: str) -> bool:
        return await self._control_do(lambda c: _outbox.finish_action(c, aid, state, message, self.desk_id))

    async def keep_claim(self, aid: str) -> None:
        """Until cancelled: renew this desk's claim on `aid` (it is being sent), so no desk takes it over."""
        while True:
            await asyncio.sleep(_outbox.CLAIM_S / 4)
            await self._control_do(lambda c: _outbox.renew(c, aid, self.desk_id))

    async def heartbeat(self) -> None:
        """Say this desk is alive (at most every 10 s): a command-line desk runs no background loop, and its
        handed-over actions must not look like those of a desk that went away while it is sending them."""
        now = asyncio.get_running_loop().time()
        if now - self._last_beat >= 10.0:
            first = self._last_beat == float("-inf")
            self._last_beat = now
            if first:  # a desk IT put in the team (machine-wide settings) may never have run `team join`
                await self.register()
            else:
                await self._control_do(lambda c: desks.seen(c, self.desk_id))

    async def register(self) -> bool:
        s = self.settings
        return await self._control_do(lambda c: desks.register(c, s.desk_id, s.desk_name, s.os_user))

    def kick(self) -> None:
        """Exchange with the team now (something was sent, queued or announced)."""
        self._kick.set()

    # ---- background ---------------------------------------------------------------------------------------
    async def run(self, store: DatabaseThread, on_outcomes: Callable[[list[_outbox.Open]], Any] | None = None
                  ) -> None:
        """Until cancelled: listen, exchange on every notification (or every poll_s), renew the lease while held,
        say this desk is alive, and report outcomes of this desk's actions the team has not heard yet."""
        self._loop = asyncio.get_running_loop()
        self._start_listener()
        await self.register()
        try:
            while True:
                self._kick.clear()
                got = await self.exchange(store)
                if got is not None:
                    seq = got.team_seq
                    await self._control_do(lambda c: desks.seen(c, self.desk_id, seq))  # noqa: B023 - awaited here
                    if self.holds_lease and not await self.take_lease():
                        log.info("team: the sync lease went to another desk")
                    if on_outcomes is not None:
                        still_open = await self._control_call(lambda c: _outbox.open_of_mine(c, self.desk_id))
                        if still_open:
                            await on_outcomes(still_open)
                pause = min(self.poll_s, desks.LEASE_S / 3) if self.holds_lease else self.poll_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._kick.wait(), pause)
        finally:
            self._stop.set()

    def _start_listener(self) -> None:
        if self._listener is None:
            self._listener = threading.Thread(target=self._listen, name="team-listen", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with _dsn.connect(self.settings.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CONTACTS_CHANNEL}")
                    conn.execute(f"LISTEN {_outbox.OUTBOX_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            if self._loop is not None and not self._loop.is_closed():
                                self._loop.call_soon_threadsafe(self._kick.set)
            except (TeamUnreachable, psycopg.Error) as exc:
                log.info("team: listening stopped (%s); polling every %.0f s meanwhile", type(exc).__name__,
                         self.poll_s)
                self._stop.wait(5.0)

    async def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            await self.release_lease()
        with self._control_lock:
            self._drop_control()
        if self._listener is not None:
            await asyncio.to_thread(self._listener.join, 3.0)

    def close_replica(self, s: DeskDatabase) -> None:
        """On the store thread, before the store closes."""
        self._drop_replica()
