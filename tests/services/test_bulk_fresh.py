"""Bulk unsubscribe at one request per contact (issue 17 item 1): each PUT is built from the cache, which one
incremental read per batch brings up to date. Another client (a second real HTTP client with its own token)
edits names before and during the run; every edit made outside the read-to-PUT window is kept, an edit
inside it is reported, and the sandbox sees at most 1.05 requests per unsubscribed contact."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from ccdesk.api import ReadTooOld
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services import fresh_cache
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import ItemOutcome
from ccdesk.store.rows import OutboxState

OTHER = "another-client-token"


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer], request: pytest.FixtureRequest) -> SandboxServer:
    readd = getattr(request, "param", True)
    return start_sandbox(contacts=400, tokens=["services-test-token", OTHER], account_optout_readd=readd)


class OtherClient:
    """Someone else editing contacts over HTTP, as an integration would: GET, change the name, PUT."""

    def __init__(self, server: SandboxServer) -> None:
        self.http = httpx.Client(base_url=server.api_base, headers={"Authorization": f"Bearer {OTHER}"})
        self.requests = 0
        self.wrote: dict[str, str] = {}

    def rename(self, cid: str, first_name: str) -> None:
        contact = self.http.get(f"/contacts/{cid}").raise_for_status().json()
        body: dict[str, Any] = {k: contact[k] for k in ("first_name", "last_name", "job_title", "company_name")
                                if contact.get(k) is not None}
        email = contact["email_address"]
        body |= {"first_name": first_name, "update_source": "Account",
                 "email_address": {"address": email["address"], "permission_to_send": email["permission_to_send"]}}
        self.http.put(f"/contacts/{cid}", json=body).raise_for_status()
        self.requests += 2
        self.wrote[cid] = first_name

    def delete(self, cid: str) -> None:
        self.http.delete(f"/contacts/{cid}").raise_for_status()
        self.requests += 1


def _mailable(server: SandboxServer, n: int) -> list[str]:
    sb = server.sandbox
    return [c for c in sb.contact_ids(status="active")
            if sb.contact_json(c)["email_address"]["permission_to_send"] in ("implicit", "explicit")][:n]


@pytest.mark.parametrize("server", [True, False], indirect=True, ids=["account-may-readd", "account-optout-final"])
async def test_bulk_unsubscribe_is_one_request_per_contact_and_keeps_what_others_wrote(
        desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    # Batches of 25 only (the 8 s bound has its own test): a slow, busy machine must not add reads here.
    desk.worker.fresh = fresh_cache.FreshCache(desk.db, desk.client, window_s=600)
    sb = server.sandbox
    ids = _mailable(server, 150)
    other = OtherClient(server)
    # Edits after the last sync, before the run: the cache is stale; the batch read must bring them in.
    for cid in ids[5:150:15]:
        other.rename(cid, f"Before{cid[:4]}")
    other.delete(ids[70])
    sent: list[str] = []
    window: list[str] = []
    messages: dict[str, str] = {}

    def during(outcome: ItemOutcome) -> None:
        # Someone edits while the run sends: a contact of a later batch (not read yet) and one already sent.
        sent.append(outcome.contact_id or "")
        messages[outcome.contact_id or ""] = outcome.message
        k = len(sent)
        if k in (10, 40, 90):
            other.rename(ids[k + 45], f"Later{k}")
            other.rename(ids[k - 5], f"After{k}")
        if k == 60:  # inside the window: batch 3 (items 50-74) was read before item 50
            other.rename(ids[65], "Inside")
            window.append(ids[65])

    queued = await desk.actions.unsubscribe(ids, "Asked by phone", "Account", bulk=True)
    sb.reset_request_counts()
    desk.worker.item_finished.connect(during)
    await desk.worker.drain()
    seen = sum(sb.request_counts.values()) - other.requests

    states = dict((i, s) for i, _k, s in await desk.db.call(lambda s: s.outbox_states(queued.outbox_ids)))
    done = [i for i, s in states.items() if s is OutboxState.DONE]
    assert len(done) == 149 and states[queued.outbox_ids[70]] is OutboxState.FAILED  # deleted: not revived
    assert "deleted" in sb.contact_json(ids[70]) or sb.contact_json(ids[70]).get("deleted_at")
    for cid in ids[:70] + ids[71:]:
        assert sb.contact_json(cid)["email_address"]["permission_to_send"] == "unsubscribed"
    lost = {cid: name for cid, name in other.wrote.items()
            if cid not in window and sb.contact_json(cid)["first_name"] != name}
    assert lost == {}, "an edit made outside the window was undone"
    # The edit inside the window is reported on its item (the unsubscribe carried the name as read).
    assert "edited this contact" in messages[ids[65]]
    assert sum("edited this contact" in m for m in messages.values()) == 1
    assert desk.worker.fresh.stats.changed_in_window == 1
    # The cache has what the service has (the batch reads stored the other client's names).
    row = await desk.db.call(lambda s: s.get_contact(ids[5]))
    assert row is not None and row.first_name == other.wrote[ids[5]]
    # Besides one look per run for deletes no read shows: a count of the deleted contacts, and a listing of them
    # since the cache had not seen ids[70]'s (2 requests a run: a 2,000-address run stays at 1.04 a contact).
    assert (seen - 2) / len(done) <= 1.05, (seen, len(done), sb.request_counts)
    stats = desk.worker.fresh.stats
    assert (stats.reads, stats.delete_checks, stats.read_first) == (6, 2, 0)


async def test_a_contact_deleted_where_no_read_shows_it_is_not_revived(start_sandbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Where a delete leaves updated_at as it was (the sandbox's `delete_moves_updated_at` off), the batch reads
    do not show it, and a PUT built from the cache would bring the contact back: the run first counts the deleted
    contacts, finds one more than the cache knows, lists them, and the deleted contact is refused, not revived."""
    from tests.services.conftest import make_client

    server = start_sandbox(contacts=200, delete_moves_updated_at=False, tokens=["services-test-token", OTHER])
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        ids = _mailable(server, 10)
        OtherClient(server).delete(ids[3])
        queued = await desk.actions.unsubscribe(ids, "Asked by phone", "Account", bulk=True)
        await desk.worker.drain()
        states = dict((i, s) for i, _k, s in await desk.db.call(lambda s: s.outbox_states(queued.outbox_ids)))
        assert states[queued.outbox_ids[3]] is OutboxState.FAILED
        assert server.sandbox.contact_json(ids[3]).get("deleted_at")  # still deleted
        assert sum(s is OutboxState.DONE for s in states.values()) == 9
    finally:
        await desk.close()


async def test_without_a_full_pull_each_contact_is_read_first(desk: Desk, server: SandboxServer) -> None:
    ids = _mailable(server, 6)
    await desk.actions.unsubscribe(ids, "x", "Account", bulk=True)
    server.sandbox.reset_request_counts()
    await desk.worker.drain()
    assert server.sandbox.requests_matching("GET") == 6 and server.sandbox.requests_matching("PUT") == 6
    assert desk.worker.fresh.stats.read_first == 6


async def test_a_read_older_than_the_window_is_repeated(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    now = [0.0]
    desk.worker.fresh = fresh_cache.FreshCache(desk.db, desk.client, monotonic=lambda: now[0])
    ids = _mailable(server, 4)
    await desk.actions.unsubscribe(ids, "x", "Account", bulk=True)

    def tick(_: ItemOutcome) -> None:
        now[0] += fresh_cache.WINDOW_S / 2 + 0.1  # every second PUT finds its read too old

    desk.worker.item_finished.connect(tick)
    await desk.worker.drain()
    assert desk.worker.fresh.stats.reads == 2 and desk.worker.fresh.stats.puts == 4


async def test_a_put_whose_slot_comes_after_the_window_is_rebuilt_from_a_new_read(
        desk: Desk, server: SandboxServer) -> None:
    """The bound holds when the PUT goes out, not only when it is built: a rate-limit slot that comes late
    (a budget shared with other processes, a retry) must not send a PUT built from a read older than the window."""
    await desk.sync.run()
    now = [0.0]
    desk.worker.fresh = fresh_cache.FreshCache(desk.db, desk.client, window_s=8.0, monotonic=lambda: now[0])
    ids = _mailable(server, 5)
    await desk.actions.unsubscribe(ids, "x", "Account", bulk=True)
    sb = server.sandbox
    sb.reset_request_counts()
    limiter = desk.client.rate_limiter
    real_slot = limiter.slot
    granted: list[float] = []  # the (simulated) time each slot was granted, in request order

    @contextlib.asynccontextmanager
    async def slow_slot() -> AsyncIterator[float]:
        async with real_slot() as waited:
            now[0] += 3.0  # each slot is granted 3 s after it was asked for
            granted.append(now[0])
            try:
                yield waited
            except ReadTooOld:  # nothing went out on this slot
                granted.pop()
                raise

    limiter.slot = slow_slot  # type: ignore[method-assign]
    await desk.worker.drain()

    log = list(sb.request_log)
    assert len(granted) == len(log) > 0
    sent = [(t, m, p) for t, (m, p, _q) in zip(granted, log, strict=True)]
    read_at: float | None = None
    puts = 0
    for t, method, path in sent:
        if method == "GET" and path.rstrip("/").endswith("/contacts"):
            read_at = t - 3.0  # the read's window starts before its own slot
        elif method == "PUT":
            puts += 1
            assert read_at is not None and t - read_at <= 8.0, f"a PUT went out {t - read_at:.0f} s after its read"
    assert puts == 5
    assert desk.worker.fresh.stats.too_old >= 1
    for cid in ids:
        assert sb.contact_json(cid)["email_address"]["permission_to_send"] == "unsubscribed"


@pytest.mark.parametrize("server", [True, False], indirect=True, ids=["account-may-readd", "account-optout-final"])
async def test_a_stale_write_that_undoes_the_unsubscribe_is_repaired(desk: Desk, server: SandboxServer) -> None:
    """Another client reads a contact before its unsubscribe and saves it (a new name, the permission it read)
    after. Where the account may add back its own opt-out, that save makes the contact mailable: the next batch
    read sees it and the unsubscribe is sent again, keeping the new name. Where it may not, the save is refused."""
    await desk.sync.run()
    sb = server.sandbox
    ids = _mailable(server, 40)
    other = OtherClient(server)
    target = ids[10]
    stale: dict[str, Any] = {}
    refused: list[int] = []

    def during(outcome: ItemOutcome) -> None:
        k = len(stale.setdefault("done", [])) + 1
        stale["done"].append(k)
        if k == 10:  # read before the target's unsubscribe
            stale["contact"] = other.http.get(f"/contacts/{target}").json()
        if k == 11:  # saved after it, from that read
            c = stale["contact"]
            body = {"first_name": "Stale", "last_name": c.get("last_name"), "update_source": "Account",
                    "email_address": {"address": c["email_address"]["address"],
                                      "permission_to_send": c["email_address"]["permission_to_send"]}}
            response = other.http.put(f"/contacts/{target}", json=body)
            if response.status_code != 200:
                refused.append(response.status_code)

    await desk.actions.unsubscribe(ids, "Asked by phone", "Account", bulk=True)
    desk.worker.item_finished.connect(during)
    await desk.worker.drain()
    final = sb.contact_json(target)
    assert final["email_address"]["permission_to_send"] == "unsubscribed"
    readd = sb.readings()["account_optout_readd"]
    if readd:
        assert final["first_name"] == "Stale" and desk.worker.fresh.stats.restored == 1
        rows = await desk.db.call(lambda s: s.audit(target))
        assert [r.message for r in rows if r.outcome == "restored"] == [fresh_cache.RESTORED]
    else:
        assert refused == [400] and desk.worker.fresh.stats.restored == 0
