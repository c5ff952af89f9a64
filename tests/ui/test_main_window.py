"""The main window over a real SQLite cache: search as you type, filters with counts, details, batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.services.reads import ContactQuery
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.main_window import MainWindow

LISTS = [{"list_id": "11111111-1111-1111-1111-111111111111", "name": "Newsletter"},
         {"list_id": "22222222-2222-2222-2222-222222222222", "name": "Free members"}]


def contact(i: int, **email_extra: object) -> dict:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    email = {"address": f"person{i}@example{i % 3}.com", "permission_to_send": "explicit",
             "opt_in_source": "Contact", "opt_in_date": base.isoformat(), **email_extra}
    return {"contact_id": f"00000000-0000-0000-0000-{i:012d}", "first_name": f"First{i}",
            "last_name": "Smith" if i % 2 else "Jones", "company_name": "Acme" if i % 5 == 0 else "Globex",
            "email_address": email, "created_at": base.isoformat(), "updated_at": base.isoformat(),
            "list_memberships": [LISTS[i % 2]["list_id"]]}


@pytest.fixture
def window(qtbot, tmp_path: Path):
    db = tmp_path / "cache.sqlite3"
    contacts = [contact(i) for i in range(600)]
    when = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    contacts[7] = contact(7, permission_to_send="unsubscribed", opt_out_source="Contact",
                          opt_out_date=when.isoformat(), opt_out_reason="Too many emails")
    contacts[8] = contact(8, permission_to_send="unsubscribed", opt_out_source="Account",
                          opt_out_date=(when - timedelta(days=3)).isoformat())
    with DeskDatabase(db) as s:
        s.upsert_lists(LISTS)
        s.upsert_contacts(contacts[:500])
        s.upsert_contacts(contacts[500:])
    client = CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3")
    desk = Desk(client, db)
    w = MainWindow(desk, account="Test")
    qtbot.addWidget(w)
    w.show()
    yield w
    desk.reads.close()
    desk.db.close()


def test_table_reads_pages_as_they_come_into_view_not_all_at_once(window: MainWindow) -> None:
    model = window.contacts.model
    assert model.total == 600 and model.rowCount() == 600  # without text the count is exact
    assert model.pages_in_memory == 1
    assert model.row(450) is not None and model.pages_in_memory == 2
    assert model.row(450) == window.desk.reads.search(ContactQuery(), 450, 1)[0]
    assert "600 contacts" in window.contacts.result_label.text()


def test_search_as_you_type_by_part_of_name_and_email(window: MainWindow, qtbot) -> None:
    qtbot.keyClicks(window.contacts.search_edit, "person12")
    qtbot.waitUntil(lambda: window.contacts.model.total == 11)  # person12, person120..129
    window.contacts.search_edit.setText("example2")
    qtbot.waitUntil(lambda: window.contacts.model.total == 200)


def test_status_filter_shows_counts_and_filters(window: MainWindow, qtbot) -> None:
    texts = [window.contacts.status_filter.itemText(i) for i in range(window.contacts.status_filter.count())]
    assert "Unsubscribed (2)" in texts
    assert "All statuses (600)" in texts
    window.contacts.status_filter.setCurrentIndex(window.contacts.status_filter.findData("unsubscribed"))
    assert window.contacts.model.total == 2


def test_details_show_the_badge_with_date_source_and_reason(window: MainWindow, qtbot) -> None:
    window.contacts.search_edit.setText("person7@")
    qtbot.waitUntil(lambda: window.contacts.model.total == 1)
    window.contacts.table.selectRow(0)
    badge = window.contacts.details.badge.text()
    assert "Unsubscribed on" in badge and "by the contact" in badge and "Too many emails" in badge
    assert not window.contacts.details.unsubscribe_button.isEnabled()
    assert window.contacts.details.resubscribe_button.isEnabled()


def test_mailable_contact_can_be_unsubscribed_not_resubscribed(window: MainWindow, qtbot) -> None:
    window.contacts.search_edit.setText("person10@")
    qtbot.waitUntil(lambda: window.contacts.model.total == 1)
    window.contacts.table.selectRow(0)
    assert window.contacts.details.badge.text() == "Can be mailed"
    assert window.contacts.details.unsubscribe_button.isEnabled()
    assert not window.contacts.details.resubscribe_button.isEnabled()
    assert "Newsletter" in window.contacts.details.fields["lists"].text()


def test_sorting_by_opt_out_date(window: MainWindow) -> None:
    window.contacts.model.sort(4, Qt.SortOrder.DescendingOrder)
    first = window.contacts.model.row(0)
    assert first is not None and first.email == "person7@example1.com"
