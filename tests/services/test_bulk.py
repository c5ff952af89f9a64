"""Bulk unsubscribe / removal from a file against the sandbox: the result matches the preview exactly, and a
second run sends nothing twice."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.address_file import read_address_file
from ccdesk.services.bulk import (
    preview_remove,
    preview_unsubscribe,
    queue_import,
    queue_removals,
    report,
    save_report,
)
from ccdesk.services.desk import Desk
from tests.db_helpers import removal_rows
from tests.sandboxes import subscribed
from tests.services.conftest import TOKEN


def _file(tmp_path: Path, server: SandboxServer) -> tuple[Path, list[str], list[str]]:
    sb = server.sandbox
    mailable = subscribed(sb)[:8]
    unsub = sb.contact_ids(status="unsubscribed")[:3]
    emails = [sb.contact_json(c)["email_address"]["address"] for c in mailable + unsub]
    lines = ["Email,Name"] + [f" {e.upper()} ,x" for e in emails] + [f"{emails[0]},dup", "nobody@nowhere.example,",
                                                                      "garbage,", ","]
    path = tmp_path / "addresses.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")
    return path, mailable, unsub


async def test_bulk_unsubscribe_matches_its_preview_and_is_not_repeated(desk: Desk, server: SandboxServer,
                                                                        tmp_path: Path) -> None:
    await desk.sync.run()
    path, mailable, _unsub = _file(tmp_path, server)
    preview = await preview_unsubscribe(desk, read_address_file(path))
    assert preview.counts() == {"rows": 14, "to_change": 8, "already": 3, "deleted": 0, "unknown": 1,
                                "invalid": 1, "duplicates": 1}
    assert preview.looked_up == 0, "the cache is complete after a sync: no lookups needed"
    queued = await queue_import(desk, preview, "Imported from the CRM's do-not-contact list", "Contact")
    assert len(queued.outbox_ids) == 8
    await desk.worker.drain()
    lines = await report(desk, preview, queued, done_word="unsubscribed")
    outcomes = {line.address: line.outcome for line in lines if line.outcome != "duplicate"}
    assert len(lines) == preview.counts()["rows"] == 14  # one per row of the file (blank rows are not rows)
    assert [line.line for line in lines] == sorted(line.line for line in lines)
    repeated = [line for line in lines if line.outcome == "duplicate"]
    assert len(repeated) == 1 and repeated[0].message.startswith("same address as line 2 (unsubscribed: sent ")
    sb = server.sandbox
    for cid in mailable:
        contact = sb.contact_json(cid)
        assert contact["email_address"]["permission_to_send"] == "unsubscribed"
        assert outcomes[contact["email_address"]["address"].lower()] == "unsubscribed"
    assert sorted(outcomes.values()).count("already") == 3
    save_report(tmp_path / "report.csv", lines)
    assert (tmp_path / "report.csv").read_text(encoding="utf-8-sig").count("\n") == len(lines) + 1

    puts_before = sb.requests_matching("PUT")
    again = await preview_unsubscribe(desk, read_address_file(path))
    assert again.counts()["to_change"] == 0 and again.counts()["already"] == 11
    queued_again = await queue_import(desk, again, "again", "Contact")
    await desk.worker.drain()
    assert queued_again.outbox_ids == [] and sb.requests_matching("PUT") == puts_before


async def test_lookups_fill_in_when_the_cache_is_not_complete(desk: Desk, server: SandboxServer,
                                                              tmp_path: Path) -> None:
    path, _mailable, _unsub = _file(tmp_path, server)
    preview = await preview_unsubscribe(desk, read_address_file(path))
    assert preview.looked_up == 12 and len(preview.to_change) == 8 and len(preview.unknown) == 1


async def test_bulk_removal_from_a_list(desk: Desk, server: SandboxServer, tmp_path: Path) -> None:
    await desk.sync.run()
    sb = server.sandbox
    lid = sb.lists()[0]["list_id"]
    members = [c for c in sb.contact_ids(status="active") if lid in sb.contact_json(c)["list_memberships"]][:6]
    others = [c for c in sb.contact_ids(status="active") if lid not in sb.contact_json(c)["list_memberships"]][:2]
    path = tmp_path / "upgraded.txt"
    path.write_text("\n".join(sb.contact_json(c)["email_address"]["address"] for c in members + others),
                    encoding="utf-8")
    preview = await preview_remove(desk, read_address_file(path), [lid])
    assert len(preview.to_change) == 6 and len(preview.already) == 2
    queued = await queue_removals(desk, preview, [lid])
    await desk.worker.drain()
    assert all(lid not in sb.contact_json(c)["list_memberships"] for c in members)
    lines = await report(desk, preview, queued, done_word="removed")
    assert [line.outcome for line in lines].count("removed") == 6
    # The lists this desk took them off: rows written as the items were queued, read by "Add back to lists".
    assert removal_rows(desk.db.path) == {(c, lid) for c in members}
    assert all(desk.reads.removed_here(c) == {lid} for c in members)
    assert all(desk.reads.removed_here(c) == set() for c in others)


@pytest.mark.slow  # 10,000 addresses against 6,000 contacts: ~20 s
async def test_ten_thousand_addresses_preview_exactly_and_removal_matches(start_sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """10,000 rows (half of them in the account) from Excel's UTF-16: the preview counts each group exactly,
    and the removal (activities of <= 500) changes exactly the contacts the preview said it would."""
    from ccdesk.services.bulk import classify_remove, match
    from ccdesk.services.desk import Desk
    from tests.services.conftest import make_client

    server = start_sandbox(contacts=6_000, seed=8)
    sb = server.sandbox
    lid = sb.lists()[0]["list_id"]
    active = sb.contact_ids(status="active")[:5_000]
    members = {c for c in active if lid in sb.contact_json(c)["list_memberships"]}
    emails = [sb.contact_json(c)["email_address"]["address"] for c in active]
    rows = emails + [f"nobody{i}@nowhere.example" for i in range(5_000)]
    path = tmp_path / "big.txt"
    path.write_text("\r\n".join(["Email address", *rows]), encoding="utf-16")
    desk = Desk(make_client(server), tmp_path / "cache.sqlite3")
    try:
        await desk.sync.run()
        matched = await match(desk, read_address_file(path))
        preview = classify_remove(matched, [lid])
        assert preview.counts() == {"rows": 10_000, "to_change": len(members), "already": 5_000 - len(members),
                                    "deleted": 0, "unknown": 5_000, "invalid": 0, "duplicates": 0}
        queued = await queue_removals(desk, preview, [lid])
        assert len(queued.outbox_ids) == -(-len(members) // 500)
        await desk.worker.drain()
        lines = await report(desk, preview, queued, done_word="removed")
        assert sum(line.outcome == "removed" for line in lines) == len(members)
        assert all(lid not in sb.contact_json(c)["list_memberships"] for c in members)
        assert sb.requests_matching("POST", "/v3/activities/remove_list_memberships") == len(queued.outbox_ids)
    finally:
        await desk.close()


async def test_a_deleted_contact_is_called_deleted_not_already_unsubscribed(desk: Desk, server: SandboxServer,
                                                                           tmp_path: Path) -> None:
    sb = server.sandbox
    cid = next(c for c in sb.contact_ids(status="active")
               if sb.contact_json(c)["email_address"]["permission_to_send"] == "implicit")
    email = sb.contact_json(cid)["email_address"]["address"]
    async with httpx.AsyncClient() as http:
        answer = await http.delete(f"{server.api_base}/contacts/{cid}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 204
    await desk.sync.run()
    path = tmp_path / "one.csv"
    path.write_text(f"email\n{email}\n", encoding="utf-8")
    preview = await preview_unsubscribe(desk, read_address_file(path))
    assert [r.email for r, _ in preview.deleted] == [email.lower()] and not preview.already
    lines = await report(desk, preview, await queue_import(desk, preview, "CRM list", "Contact"),
                         done_word="unsubscribed")
    assert [(line.outcome, line.message) for line in lines] == [
        ("deleted", "deleted from the account: cannot be mailed; nothing to do")]


async def test_a_reason_in_the_file_too_long_for_constant_contact_is_shortened_not_replaced(
        desk: Desk, server: SandboxServer, tmp_path: Path) -> None:
    """The requester's words are the evidence: a file's reason over 255 characters is cut (and said so), one with
    invisible control characters is cleaned; the run's own reason is only for rows without one."""
    await desk.sync.run()
    sb = server.sandbox
    long_one, pasted, plain = subscribed(sb)[:3]
    address = {c: sb.contact_json(c)["email_address"]["address"] for c in (long_one, pasted, plain)}
    words = "Wrote to the office asking to be removed because " + "the mail kept coming every week " * 10
    path = tmp_path / "crm.csv"
    path.write_text(f"email,reason\r\n{address[long_one]},{words}\r\n{address[pasted]},Moved\x1b away\r\n"
                    f"{address[plain]},\r\n", encoding="utf-8")
    preview = await preview_unsubscribe(desk, read_address_file(path))
    assert preview.reasons_shortened() == [2]
    await queue_import(desk, preview, "From the CRM", "Contact")
    await desk.worker.drain()
    reasons = {c: sb.contact_json(c)["email_address"].get("opt_out_reason") for c in address}
    assert reasons[long_one] == words[:254].rstrip() + "\u2026" and len(reasons[long_one]) <= 255
    assert reasons[pasted] == "Moved  away"  # the words as written, the control character a space
    assert reasons[plain] == "From the CRM"
