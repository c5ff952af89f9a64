"""A user who may read but not change contacts (403 on every write: the sandbox's `user_may_write` off): the
first refusal pauses the sender instead of spending a request of the day's quota on each queued change; the
changes wait with a message that says what to do, and a Retry once the right is given sends them."""

from __future__ import annotations

from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.rows import OutboxState
from tests.sandboxes import subscribed

from .conftest import make_client


async def test_a_403_pauses_the_sender_and_a_retry_resumes_it(start_sandbox, tmp_path: Path) -> None:
    server: SandboxServer = start_sandbox()
    sb = server.sandbox
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        targets = subscribed(sb)[:5]
        sb.set_readings({"user_may_write": False})
        queued = await desk.actions.unsubscribe(targets, "Asked by phone", "Contact")
        sb.reset_request_counts()
        outcomes = await desk.worker.drain()
        assert [o.why for o in outcomes] == ["not_allowed"] and not outcomes[0].final
        assert sb.requests_matching("PUT") == 1  # not one refused request per queued change
        assert "not allowed" in outcomes[0].message and "Retry in the Activity tab" in outcomes[0].message
        states = await desk.db.call(lambda s: [state for _i, _k, state in s.outbox_states(queued.outbox_ids)])
        assert states == [OutboxState.PENDING] * 5  # kept, nothing failed
        assert desk.worker.paused_reason is not None

        sb.set_readings({"user_may_write": True})  # the account owner gives the right
        await desk.actions.send_waiting_now(queued.outbox_ids[0])
        assert desk.worker.paused_reason is None
        outcomes = await desk.worker.drain()
        assert [o.ok for o in outcomes] == [True] * 5
    finally:
        await desk.close()
