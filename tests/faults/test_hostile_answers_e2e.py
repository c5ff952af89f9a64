"""Hostile answers over loopback (the sandbox's `rewrite_next` fault edits real answers on their way): a lone
surrogate in a name, NaN, an entry without an id. Each sync and each action either completes with the odd value
made harmless or stops with a plain message, and nothing blocks the syncs or sends after it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from ccdesk.api import ApiError
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxState
from tests.sandboxes import subscribed
from tests.services.conftest import TOKEN, make_client

LONE_SURROGATE = '"Zo\\ud83d"'  # JSON text: the first half of an emoji, cut from its second half


@pytest_asyncio.fixture(loop_scope="session")
async def world(start_sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    server: SandboxServer = start_sandbox(contacts=200, seed=5)
    desk = Desk(make_client(server), tmp_path / "hostile.sqlite3")
    assert (await desk.sync.run()).full_pull
    yield desk, server
    await desk.close()


async def _rename(server: SandboxServer, cid: str, first_name: str) -> None:
    body = server.sandbox.contact_json(cid)
    put = {"email_address": {"address": body["email_address"]["address"]}, "first_name": first_name,
           "last_name": body.get("last_name"), "update_source": "Account"}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert (await http.put(f"{server.api_base}/contacts/{cid}", json=put)).status_code == 200


def _rewrite(server: SandboxServer, old: str, new: str, only: str = "^GET /v3/contacts") -> None:
    server.sandbox.faults.update({"rewrite_next": 1000, "rewrite_from": old, "rewrite_to": new, "only": only})


async def _first_name(desk: Desk, cid: str) -> str | None:
    row = await desk.db.call(lambda s: s.get_contact(cid))
    return row.first_name if row else None


async def test_a_lone_surrogate_in_a_name_neither_stops_the_sync_nor_the_unsubscribe(world) -> None:  # type: ignore[no-untyped-def]
    desk, server = world
    odd, opting_out = subscribed(server.sandbox)[:2]
    await _rename(server, odd, "ZZMARK")
    server.sandbox.contact_unsubscribes(opting_out, "Too many emails")
    _rewrite(server, '"ZZMARK"', LONE_SURROGATE)
    result = await desk.sync.run()
    assert result.new_optouts == [opting_out]  # the opt-out on the same pages is caught
    assert await _first_name(desk, odd) == "Zo\ufffd"

    queued = await desk.actions.unsubscribe([odd], "Asked by phone", "Contact")
    [outcome] = await desk.worker.drain()
    assert outcome.ok, outcome  # the PUT carries the name as text a request can hold
    assert queued.outbox_ids and server.sandbox.contact_json(odd)["email_address"]["permission_to_send"] == \
        "unsubscribed"


async def test_nan_stops_the_sync_with_a_plain_message_and_the_next_one_catches_up(world) -> None:  # type: ignore[no-untyped-def]
    desk, server = world
    renamed, opting_out = subscribed(server.sandbox)[2:4]
    await _rename(server, renamed, "ZZNAN")
    server.sandbox.contact_unsubscribes(opting_out, "Moved away")
    _rewrite(server, '"ZZNAN"', "NaN")
    with pytest.raises(ApiError, match="not valid JSON"):
        await desk.sync.run()
    server.sandbox.faults.reset()
    result = await desk.sync.run()  # the bookmark did not move past what was not stored
    assert opting_out in result.new_optouts and await _first_name(desk, renamed) == "ZZNAN"


async def test_an_entry_without_an_id_is_left_out_and_the_rest_of_its_page_stored(world, caplog) -> None:  # type: ignore[no-untyped-def]
    desk, server = world
    nameless, opting_out = subscribed(server.sandbox)[4:6]
    await _rename(server, nameless, "ZZNOID")
    server.sandbox.contact_unsubscribes(opting_out, "Moved away")
    _rewrite(server, f'"contact_id":"{nameless}"', '"contact_id":""')
    result = await desk.sync.run()
    assert result.new_optouts == [opting_out]
    assert await _first_name(desk, nameless) != "ZZNOID"  # what had no id could not be stored
    assert "without a contact id" in caplog.text  # and it is said, not silent


async def test_a_removal_whose_read_back_is_odd_is_done_once_and_the_queue_goes_on(world) -> None:  # type: ignore[no-untyped-def]
    desk, server = world
    sb = server.sandbox
    first, second = [c for c in subscribed(sb) if _lists(sb, c)][:2]
    await _rename(server, first, "ZZBACK")
    await desk.sync.run()
    _rewrite(server, '"ZZBACK"', LONE_SURROGATE, only="^GET /v3/contacts/")
    sb.reset_request_counts()
    await desk.actions.remove_from_lists([first], _lists(sb, first)[:1])
    await desk.actions.remove_from_lists([second], _lists(sb, second)[:1])
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True, True], outcomes
    assert sb.requests_matching("POST", "/v3/activities/remove_list_memberships") == 2  # each sent once
    assert await _first_name(desk, first) == "Zo\ufffd"


def _lists(sb, cid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(sb.contact_json(cid).get("list_memberships") or [])


async def test_a_contact_the_cache_cannot_take_does_not_send_its_change_again(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The change was made: a failure to cache the answer (a bug, not the file) ends the item as done instead of
    stopping the sender, which would start again, claim the item and send it again, for ever."""
    desk, server = world
    sb = server.sandbox
    one, two = subscribed(sb)[6:8]
    real = DeskDatabase.upsert_contacts
    raised: list[str] = []

    def fails_once(self, contacts, fetched_at):  # type: ignore[no-untyped-def]
        answer = [c for c in contacts if c["contact_id"] == one
                  and c["email_address"].get("permission_to_send") == "unsubscribed"]
        if answer and not raised:  # the PUT's answer, after the change was made
            raised.append(one)
            raise ValueError("a value the cache cannot take")
        return real(self, contacts, fetched_at)

    monkeypatch.setattr(DeskDatabase, "upsert_contacts", fails_once)
    await desk.actions.unsubscribe([one, two], "Asked by phone", "Contact")
    sb.reset_request_counts()
    outcomes = await desk.worker.drain()
    assert raised and [o.ok for o in outcomes] == [True, True], outcomes
    assert sb.requests_matching("PUT", f"/v3/contacts/{one}") == 1
    states = await desk.db.call(lambda s: [i.state for i in s.outbox_items()])
    assert states == [OutboxState.DONE, OutboxState.DONE]
