"""Contacts the seeded account does not have: one without an email address (the spec needs only a name, an
address or an SMS channel) and one whose address has capitals. Both sync, show and search; the capitals do not
stop a file's lower-case address from finding the contact; the one without an address is never on the Do Not
Mail list and never in a file's matches."""

from __future__ import annotations

import csv
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services import bulk
from ccdesk.services.address_file import read_address_file
from ccdesk.services.desk import Desk
from ccdesk.services.export import OptOutExporter

from .conftest import make_client


async def test_contacts_without_an_address_or_with_capitals(server: SandboxServer, tmp_path: Path) -> None:
    sb = server.sandbox
    no_email = sb.add_contact(first_name="Nomail", last_name="Person")
    capitals = sb.add_contact(email_address={"address": "Mixed.Case@Example.COM", "permission_to_send": "implicit"},
                              first_name="Mixed", list_memberships=[sb.contact_json(
                                  sb.contact_ids(status="active")[0])["list_memberships"][0]])
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        row = await desk.db.call(lambda s: s.get_contact(no_email))
        assert row is not None and row.email is None and str(row.status) == "pending"  # cannot be mailed
        assert [r.contact_id for r in await desk.db.call(lambda s: s.search("Nomail"))] == [no_email]
        assert [r.contact_id for r in await desk.db.call(lambda s: s.search("mixed.case@example.com"))] == [capitals]

        path = tmp_path / "crm.csv"
        path.write_text("email\nmixed.case@example.com\n", encoding="utf-8")
        preview = await bulk.preview_unsubscribe(desk, read_address_file(path))
        assert [c.contact_id for _r, c in preview.to_change] == [capitals]
        await bulk.queue_import(desk, preview, "Asked by phone", "Contact")
        assert all(o.ok for o in await desk.worker.drain())
        assert sb.contact_json(capitals)["email_address"]["permission_to_send"] == "unsubscribed"
        assert sb.contact_json(capitals)["email_address"]["address"] == "Mixed.Case@Example.COM"  # kept as it was

        out = tmp_path / "dnm.csv"
        await OptOutExporter(desk.db).export_do_not_mail(out)
        with open(out, encoding="utf-8-sig", newline="") as f:
            emails = [r["email"] for r in csv.DictReader(f)]
        assert "" not in emails and any(e.lower() == "mixed.case@example.com" for e in emails)
    finally:
        await desk.close()
