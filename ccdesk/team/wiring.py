"""The seam between a desk and its team: team-aware versions of the outbox sender and the sync engine, and the
team's request budget. A single desk never imports this module (ccdesk/services/desk.py builds the plain ones)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from ccdesk.api import ApiError, CCClient, QuotaExceeded, SignInRequired, Unauthorized
from ccdesk.api.ratelimit import RateLimiter
from ccdesk.api.shared_budget import SharedBudget
from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.outbox import ItemOutcome, OutboxWorker
from ccdesk.services.sync import LAST_RUN, SyncEngine, SyncProgress, SyncResult
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxItem, OutboxState

from . import outbox as _outbox
from .budget import TeamBudget
from .config import TeamSettings
from .desks import LEASE_S
from .link import TeamLink

log = logging.getLogger(__name__)

WAIT_FOR_TEAM = timedelta(seconds=20)  # an action waits this long before asking the team database again
WAIT_FOR_TWIN = timedelta(seconds=3)   # the same change is being sent from another desk
# A pending action of a desk not seen for this long is sent by another desk (CCDESK_TEAM_GONE_S: tests shorten it).
GONE_AFTER_S = float(os.environ.get("CCDESK_TEAM_GONE_S", "300"))
ORPHAN_POLL_S = 10.0  # how often an idle sender looks for such actions
# A sync asked for within this long of the team's last read of Constant Contact takes the team's copy instead (a
# desk that syncs right after another, e.g. scheduled `ccdesk sync` jobs of several desks at the same minute).
FRESH = timedelta(seconds=float(os.environ.get("CCDESK_TEAM_FRESH_S", "120")))  # the benchmark sets 0
# A sync whose first exchange with the team fails asks once more after this pause before it reads Constant Contact
# itself: a dropped connection or a slow login must not cost the shared quota a read of the whole account.
RETRY_TEAM_S = 2.0
NO_TEAM = ("Waiting for the team database, so that no other desk sends the same change; it is kept here and "
           "sent when the database is back.")


def rate_limiter(api_key: str, settings: TeamSettings | None) -> RateLimiter:
    """The team's budget in team mode (the desk's own file as its fallback), else the desk-wide one."""
    desk_budget = SharedBudget(api_key)
    return desk_budget if settings is None else TeamBudget(api_key, settings.dsn, fallback=desk_budget)


class TeamOutboxWorker(OutboxWorker):
    """Sends this desk's queued actions after the team outbox says this desk is the one to send them."""

    def __init__(self, db: DatabaseThread, client: CCClient, team: TeamLink, **kw: object) -> None:
        kw.setdefault("idle_poll_s", ORPHAN_POLL_S)
        super().__init__(db, client, **kw)  # type: ignore[arg-type]
        self._team = team

    async def _run_item(self, item: OutboxItem) -> ItemOutcome:
        await self._team.heartbeat()  # a long drain (a bulk run) stays "alive" for the team
        claim = await self._team.claim(item.id, item.kind, item.contact_id, item.payload, item.created_by,
                                       item.created_at)
        if claim is None:
            await self._retry_later(item, NO_TEAM, self._clock() + WAIT_FOR_TEAM)
            return self._finish(item, False, NO_TEAM, final=False, why="temporary")
        if claim.verdict == _outbox.BUSY:
            text = f"Waiting: {claim.message}."
            await self._retry_later(item, text, self._clock() + WAIT_FOR_TWIN)
            return self._finish(item, False, text, final=False, why="temporary")
        if claim.verdict in (_outbox.MERGED, _outbox.FINISHED):
            text = claim.message or "Already done by the team."
            await self._db.call(lambda s: s.mark_done(item.id, text))
            self._team.kick()  # fetch the contact as the other desk left it
            return self._finish(item, True, text, final=True)
        async with _renewing(self._team.keep_claim(_outbox.action_id(self._team.desk_id, item.id,
                                                                      item.created_at))):
            outcome = await super()._run_item(item)
        state = "done" if outcome.ok else ("failed" if outcome.final else "pending")
        await self._team.finish(item.id, item.created_at, state, outcome.message)
        return outcome

    async def drain(self) -> list[ItemOutcome]:
        """This desk's due actions, then those a desk that went away had handed over (oldest first)."""
        await self._team.heartbeat()
        outcomes = await super().drain()
        while self.paused_reason is None and (orphan := await self._team.claim_orphan(GONE_AFTER_S)) is not None:
            if isinstance(orphan, _outbox.Orphan) and not await self._send_orphan(orphan):
                break  # not now (it went back to the team outbox): the next drain looks again
        return outcomes

    async def _send_orphan(self, orphan: _outbox.Orphan) -> bool:
        """Send an action another desk queued and handed over before it went away. It stays in that desk's outbox:
        when it is back, the team tells it the action is done (nothing is sent twice)."""
        now = self._clock()
        item = OutboxItem(0, orphan.kind, orphan.contact_id, orphan.payload, OutboxState.IN_PROGRESS, 0, now, None,
                          orphan.created_at, now, orphan.created_by)
        try:
            async with _renewing(self._team.keep_claim(orphan.action_id)):
                message, contact = await self._perform(item)
        except ApiError as exc:
            retry = exc.retryable or isinstance(exc, QuotaExceeded | SignInRequired | Unauthorized)
            await self._team.finish_action(orphan.action_id, "pending" if retry else "failed", exc.message)
            if isinstance(exc, SignInRequired | Unauthorized):
                self.pause(exc.message)
                self.sign_in_required.emit(exc.message)
            return False
        except Exception as exc:  # a bug must not wedge the queue: the action goes back for its own desk
            log.exception("team action %s (%s) failed unexpectedly", orphan.action_id, orphan.kind)
            await self._team.finish_action(orphan.action_id, "pending", type(exc).__name__)
            return False
        text = f"{message} (sent for desk {orphan.desk_id}, which was away)"

        def record(s: DeskDatabase) -> None:
            with s.transaction():
                if contact is not None:
                    s.upsert_contacts([contact.raw], self._clock())
                s.add_audit(orphan.kind, "sent", contact_id=orphan.contact_id, message=text,
                            details={"team_action": orphan.action_id, "payload": orphan.payload},
                            actor=orphan.created_by)

        await self._db.call(record)
        await self._team.finish_action(orphan.action_id, "done", text)
        if orphan.contact_id:
            self.contact_changed.emit(orphan.contact_id)
        return True

    async def report_outcomes(self, still_open: list[_outbox.Open]) -> None:
        """Tell the team what became of this desk's actions it still sees open: finished while the database was
        away, cancelled here, or left in progress by a send that stopped. Only this store's: an action is matched
        by its local id and the time it was queued (another store of this desk has the same ids)."""
        to_team = {OutboxState.DONE: "done", OutboxState.FAILED: "failed", OutboxState.DISCARDED: "cancelled",
                   OutboxState.PENDING: "pending"}
        states = await self._db.call(lambda s: s.outbox_states([o.local_id for o in still_open]))
        here = {item_id: to_team.get(state) for item_id, _kind, state in states}
        differ = [o for o in still_open if here.get(o.local_id) not in (None, o.state)]  # one query when none do
        if not differ:
            return
        items = await self._db.call(lambda s: {o.local_id: s.get_outbox_item(o.local_id) for o in differ})
        for seen in differ:
            item = items.get(seen.local_id)
            wanted = here.get(seen.local_id)
            if item is not None and wanted is not None and item.created_at == seen.created_at:
                await self._team.finish_action(seen.action_id, wanted, item.last_error or "")


@contextlib.asynccontextmanager
async def _renewing(keep: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `keep` (a renewal loop) while the body runs."""
    task = asyncio.ensure_future(keep)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class TeamSyncEngine(SyncEngine):
    """One read of the account for the team: the desk holding the lease reads Constant Contact and publishes;
    the others bring their replica up to date from the team copy (no request to Constant Contact)."""

    def __init__(self, db: DatabaseThread, client: CCClient, team: TeamLink, **kw: object) -> None:
        super().__init__(db, client, **kw)  # type: ignore[arg-type]
        self._team = team

    async def _run(self, on_progress: Callable[[SyncProgress], None]) -> SyncResult:
        started = self._clock()
        on_progress(SyncProgress("team copy", 0))
        caught = await self._team.exchange(self._db)
        if caught is None:
            log.info("team sync: the team database did not answer (%s); asking again in %.0f s", self._team.problem,
                     RETRY_TEAM_S)
            await asyncio.sleep(RETRY_TEAM_S)
            caught = await self._team.exchange(self._db)
        if caught is None:  # the team is unreachable: this desk syncs on its own, as a single desk does
            log.info("team sync: the team database is unreachable; reading Constant Contact directly")
            return await super()._run(on_progress)
        holder = await self._team.take_lease()
        read_before = await self._team.adopt_bookmarks(self._db)
        last = await self._db.call(lambda s: s.get_state(LAST_RUN))
        fresh = last is not None and self._clock() - datetime.fromisoformat(last) < FRESH
        if not holder or (read_before and fresh):
            # Another desk reads Constant Contact for the team, or the team's copy is minutes old: this desk's
            # copy is now as current as the team's, at no request to Constant Contact.
            finished = self._clock()
            await self._db.call(lambda s: s.set_state(LAST_RUN, finished.isoformat()) if not fresh else None)
            return SyncResult(contacts_read=caught.applied, new_optouts=list(dict.fromkeys(caught.new_optouts)),
                              started_at=started, finished_at=finished, from_team=True)
        async with _renewing(self._renew()):
            result = await super()._run(on_progress)
        await self._team.exchange(self._db)  # what was read goes to the team copy
        await self._team.publish_sync(self._db)
        return result

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await self._team.take_lease()
