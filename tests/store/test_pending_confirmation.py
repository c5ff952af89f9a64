"""`pending_confirmation` is never mailable: after a resubscribe email (opt-out on record, or asked from this
desk) the contact stays unsubscribed and on the Do Not Mail list until it confirms; a new sign-up waiting for
its double opt-in is "pending" and not an opt-out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ccdesk.store.database import DeskDatabase
from ccdesk.store.derive import derive_status
from ccdesk.store.rows import Status

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def contact(cid: str, permission: str, *, opted_out: bool, confirm: str = "pending") -> dict:
    email = {"address": f"{cid}@example.org", "permission_to_send": permission, "confirm_status": confirm}
    if opted_out:
        email.update(opt_out_date="2026-10-01T10:00:00.000Z", opt_out_source="Contact")
    return {"contact_id": cid, "email_address": email, "list_memberships": [], "updated_at": "2026-01-01T00:00:00Z"}


def test_status_of_pending_confirmation() -> None:
    common = {"has_email": True, "deleted": False, "lists_known": True, "list_count": 1}
    assert derive_status(permission="pending_confirmation", opted_out=True, **common) is Status.UNSUBSCRIBED
    assert derive_status(permission="pending_confirmation", opted_out=False, **common) is Status.PENDING
    assert derive_status(permission="unsubscribed", **common) is Status.UNSUBSCRIBED


def test_do_not_mail_and_waiting_requests(tmp_path: Path) -> None:
    with DeskDatabase(tmp_path / "c.sqlite3") as s:
        s.upsert_contacts([
            contact("resub-opted-out", "pending_confirmation", opted_out=True),
            contact("resub-asked-here", "pending_confirmation", opted_out=False),
            contact("still-unsub-waiting", "unsubscribed", opted_out=True),
            contact("plain-unsub", "unsubscribed", opted_out=True, confirm="off"),
            contact("new-sign-up", "pending_confirmation", opted_out=False),
        ], NOW)
        s.record_resubscribe_request("resub-asked-here", NOW, ["l1"], "bob")
        dnm = {r.contact_id for r in s.iter_do_not_mail()}
        assert dnm == {"resub-opted-out", "resub-asked-here", "still-unsub-waiting", "plain-unsub"}
        assert set(s.awaiting_confirmation_ids()) == {"resub-opted-out", "resub-asked-here", "still-unsub-waiting"}
        assert s.unsubscribed_ids() == {"still-unsub-waiting", "plain-unsub"}
        assert str(s.get_contact("resub-opted-out").status) == "unsubscribed"
        assert str(s.get_contact("new-sign-up").status) == "pending"
