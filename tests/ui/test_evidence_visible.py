"""Compliance evidence is visible: reason, who asked and the date received in the details' history, the
journal CSV (one row per action with its outcome, plus failed attempts) and the evidence CSV; "who" is the OS
login plus the desk's name and the signed-in Constant Contact user."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ccdesk.services.export import export_evidence
from ccdesk.store import audit
from tests.ui.test_sender_keeps_going import unsubscribed
from tests.ui.test_window_e2e import find, mailable_with_lists, running
from tests.ui.waiting import until


@pytest.fixture
def identity():
    audit.set_identity(desk="Front desk", cc_user="events@example.org")
    yield
    audit.set_identity()


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


async def test_reason_who_and_date_received_are_shown_and_exported(server, tmp_path: Path, identity) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid = contact["contact_id"]
        await app.desk.actions.unsubscribe([cid], "Asked by phone", "Contact", date(2026, 11, 30))
        await until(lambda: unsubscribed(server, cid))
        await until(lambda: not app.reader.pending(cid))
        find(app, contact["email_address"]["address"])
        history = app.window.contacts.details.history.item(0).text()
        assert "Front desk, signed in as events@example.org" in history
        assert "unsubscribe — sent" in history
        assert "Reason: Asked by phone; asked by the contact; received 30 Nov 2026" in history
        assert app.window.contacts.details.history.count() == 1, "one line per action, not queued + sent"

        await app.window.activity.write_journal(tmp_path / "journal.csv")
        (row,) = [r for r in read(tmp_path / "journal.csv") if r["contact_id"] == cid]
        assert (row["reason"], row["asked_by"], row["received_on"], row["outcome"]) == (
            "Asked by phone", "Contact", "2026-11-30", "sent")
        assert (row["desk"], row["cc_user"]) == ("Front desk", "events@example.org") and row["os_login"]

        export_evidence(tmp_path / "evidence.csv", app.reader.get_contact(cid), app.reader.journal(cid, limit=None))
        journal = [r for r in read(tmp_path / "evidence.csv") if r["kind"] == "journal"]
        assert [(r["reason"], r["asked_by"], r["received_on"], r["outcome_or_status"]) for r in journal] == [
            ("Asked by phone", "Contact", "2026-11-30", "sent")]
        assert "Front desk" in journal[0]["who_or_source"]


def test_a_failed_attempt_is_a_row_of_its_own(tmp_path: Path) -> None:
    from ccdesk.store.database import DeskDatabase

    with DeskDatabase(tmp_path / "c.sqlite3") as s:
        item = s.enqueue("unsubscribe", "c1", {"reason": "r", "update_source": "Account", "received_on": "2026-11-01"})
        s.next_due()
        s.mark_retry(item, "Constant Contact did not answer", s._now())
        s.next_due()
        s.mark_done(item, "Unsubscribed in Constant Contact")
        entries = s.journal()
    assert [(e.outcome, e.reason) for e in entries] == [("attempt failed", "r"), ("sent", "r")] or \
        [(e.outcome, e.reason) for e in entries] == [("sent", "r"), ("attempt failed", "r")]
    assert len(entries) == 2
