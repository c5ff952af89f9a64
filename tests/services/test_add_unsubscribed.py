"""Addresses not in the account are suppressed: added as unsubscribed contacts on no list, one outbox item each
that a retry always finishes (issue 15, item 9)."""

from __future__ import annotations

from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.add_unsubscribed import add_unsubscribed, queue_add_unsubscribed
from ccdesk.services.address_file import read_address_file
from ccdesk.services.bulk import preview_unsubscribe, queue_import, report
from ccdesk.services.desk import Desk
from tests.sandboxes import subscribed


def _contact_by_email(server: SandboxServer, email: str) -> dict | None:
    sb = server.sandbox
    for cid in sb.contact_ids(status="all"):
        c = sb.contact_json(cid)
        if c["email_address"]["address"].lower() == email:
            return c
    return None


async def test_unknown_addresses_are_added_as_unsubscribed(desk: Desk, server: SandboxServer,
                                                           tmp_path: Path) -> None:
    await desk.sync.run()
    sb = server.sandbox
    known = subscribed(sb)[0]
    new = ["first.new@elsewhere.example", "second.new@elsewhere.example"]
    path = tmp_path / "dnm.csv"
    path.write_text("email,reason\n" + sb.contact_json(known)["email_address"]["address"] + ",\n"
                    + f"{new[0]},Asked at the trade fair\n{new[1]},\n", encoding="utf-8")
    preview = await preview_unsubscribe(desk, read_address_file(path))
    assert [r.email for r in preview.unknown] == new
    queued = await queue_import(desk, preview, "Imported", "Account")
    added = await queue_add_unsubscribed(desk, preview.unknown, "Imported", "Account")
    assert len(added.outbox_ids) == 2
    await desk.worker.drain()
    for email, reason in zip(new, ("Asked at the trade fair", "Imported"), strict=True):
        contact = _contact_by_email(server, email)
        assert contact is not None
        assert contact["email_address"]["permission_to_send"] == "unsubscribed"
        assert contact["email_address"]["opt_out_reason"] == reason
        assert contact["list_memberships"] == []
    merged = type(queued)(queued.outbox_ids + added.outbox_ids, [])
    lines = await report(desk, preview, merged, done_word="unsubscribed")
    assert [line.outcome for line in lines] == ["unsubscribed", "added as unsubscribed", "added as unsubscribed"]
    await queue_add_unsubscribed(desk, preview.unknown, "Imported", "Account")  # the same file again
    await desk.worker.drain()
    every = [sb.contact_json(c)["email_address"] for c in sb.contact_ids(status="all")]
    assert sum(1 for e in every if e["address"].lower() in new) == 2  # no second contact per address
    assert all(e["permission_to_send"] == "unsubscribed" for e in every if e["address"].lower() in new)


async def test_a_retry_after_the_create_finishes_the_opt_out(desk: Desk, server: SandboxServer) -> None:
    """The first attempt created the contact and was cut off before the opt-out: the retry opts it out."""
    email = "half.done@elsewhere.example"
    server.sandbox.add_contact(email_address={"address": email, "permission_to_send": "not_set"})
    contact = await add_unsubscribed(desk.client, email, "Asked by phone", "Contact")
    assert contact.is_unsubscribed
    stored = _contact_by_email(server, email)
    assert stored is not None and stored["email_address"]["permission_to_send"] == "unsubscribed"
    assert stored["email_address"]["opt_out_source"] == "Contact"

