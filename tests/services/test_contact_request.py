"""The contact asks to be unsubscribed and the opt-out on record is our team's (`Account`, which the account
may undo): the desk sends the contact's request, and says plainly whether Constant Contact recorded it."""

from __future__ import annotations

import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import ACCOUNT_OPTOUT_KEPT

from .conftest import BOTH_READINGS

pytestmark = BOTH_READINGS


@pytest.mark.parametrize("overrides", [False, True])
async def test_the_contacts_request_on_a_team_opt_out(desk: Desk, server: SandboxServer, overrides: bool) -> None:
    sb = server.sandbox
    sb.set_readings({"contact_optout_overrides_account": overrides})
    await desk.sync.run()
    cid = next(c for c in sb.contact_ids("unsubscribed")
               if sb.contact_json(c)["email_address"]["opt_out_source"] == "Account")
    by_team = await desk.actions.unsubscribe([cid], "Asked again", "Account")
    assert by_team.skipped == [cid] and not by_team.outbox_ids  # nothing for the team to add
    queued = await desk.actions.unsubscribe([cid], "Wrote to us", "Contact")
    assert queued.outbox_ids and not queued.skipped
    [outcome] = await desk.worker.drain()
    assert outcome.ok
    row = await desk.db.call(lambda s: s.get_contact(cid))
    if overrides:
        assert outcome.message == "Unsubscribed in Constant Contact"
        assert row.opt_out_source == "Contact" and row.opt_out_reason == "Wrote to us"
    else:
        assert outcome.message == ACCOUNT_OPTOUT_KEPT
        assert row.opt_out_source == "Account"
    assert str(row.status) == "unsubscribed" and sb.emails_json() == []
    again = await desk.actions.unsubscribe([cid], "Wrote to us", "Contact")
    assert bool(again.outbox_ids) == (not overrides)  # once recorded as the contact's, nothing more to send
