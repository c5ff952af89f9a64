"""The main window with the keyboard, a screen reader, small and wide screens (issue 15, items 6 and 10)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QApplication, QStyleOptionViewItem

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.services.sync import SyncProgress
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.column_fit import COMPANY, EMAIL, FLOOR, NAME, PADDING, column_widths
from ccdesk.ui.contact_table import COLUMNS
from ccdesk.ui.dialogs import ContactChoice
from ccdesk.ui.dialogs.unsubscribe import UnsubscribeDialog
from ccdesk.ui.main_window import MainWindow
from tests.ui.test_main_window import LISTS, contact

MNEMONIC = re.compile(r"&([^&])")


@contextlib.contextmanager
def opened(qtbot, db: Path, *, demo: bool = False) -> Iterator[MainWindow]:
    """A window on `db`, closed before its store is (closing reads the store)."""
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), db)
    w = MainWindow(desk, account="Test", demo=demo)
    w.confirm_quit_with_pending = False
    qtbot.addWidget(w)
    w.show()
    try:
        yield w
    finally:
        w.shutdown()
        w.close()
        desk.reads.close()
        desk.db.close()


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    db = tmp_path / "cache.sqlite3"
    contacts = [contact(i) for i in range(300)]
    contacts[7] = contact(7, permission_to_send="unsubscribed", opt_out_source="Contact",
                          opt_out_date=datetime(2026, 3, 4, tzinfo=UTC).isoformat(), opt_out_reason="Too many emails")
    with DeskDatabase(db) as s:
        s.upsert_lists(LISTS)
        s.upsert_contacts(contacts)
    with opened(qtbot, db) as w:
        yield w


def focus_chain(start, count: int = 3000) -> list:
    """Widgets Tab visits from `start`, in order."""
    seen, w = [], start
    for _ in range(count):
        w = w.nextInFocusChain()
        if w is start:
            break
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled():
            seen.append(w)
    return seen


def select_mailable(window: MainWindow, qtbot) -> None:
    window.contacts.search_edit.setText("person10@")
    window.contacts.apply_query()
    window.contacts.table.selectRow(0)


def test_tab_leaves_the_table_for_the_details_and_its_buttons(window: MainWindow, qtbot) -> None:
    select_mailable(window, qtbot)
    assert not window.contacts.table.tabKeyNavigation()
    after_table = focus_chain(window.contacts.table)
    assert after_table[0] is window.contacts.details.unsubscribe_button


def test_focus_and_down_select_a_contact(window: MainWindow, qtbot) -> None:
    window.activateWindow()
    window.contacts.search_edit.setFocus()
    qtbot.keyClick(window.contacts.search_edit, Qt.Key.Key_Down)
    assert [i.row() for i in window.contacts.table.selectionModel().selectedRows()] == [0]
    assert window.contacts.details.title.text() == window.contacts.model.row(0).display_name
    qtbot.keyClick(window.contacts.table, Qt.Key.Key_Down)
    assert [i.row() for i in window.contacts.table.selectionModel().selectedRows()] == [1]


def test_no_two_things_share_an_alt_key(window: MainWindow) -> None:
    keys: list[str] = [m.lower() for a in window.menuBar().actions() for m in MNEMONIC.findall(a.text())]
    keys += [m.lower() for i in range(window.tabs.count()) for m in MNEMONIC.findall(window.tabs.tabText(i))]
    for tab in range(window.tabs.count()):  # the buttons of each tab, with that tab showing
        window.tabs.setCurrentIndex(tab)
        shown = [b for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window) and b.isVisible()]
        here = keys + [m.lower() for b in shown for m in MNEMONIC.findall(b.text())]
        assert len(here) == len(set(here)), sorted(here)


def test_request_resubscribe_has_a_shortcut(window: MainWindow) -> None:
    contact_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Contact")
    action = next(a for a in contact_menu.actions() if "resubscribe" in a.text())
    assert not action.shortcut().isEmpty()


def test_a_screen_reader_hears_the_values(window: MainWindow, qtbot) -> None:
    select_mailable(window, qtbot)
    labels = [window.contacts.details.badge, *window.contacts.details.fields.values()]
    for label in labels:
        assert label.text()
        spoken = QAccessible.queryAccessibleInterface(label)
        heard = spoken.text(QAccessible.Text.Name) + " " + spoken.text(QAccessible.Text.Value)
        assert label.text() in heard, (label.text(), heard)
    email = QAccessible.queryAccessibleInterface(window.contacts.details.fields["email"])
    assert email.text(QAccessible.Text.Description) == "Email"


def test_unsubscribe_dialog_presets_come_before_cancel(qtbot) -> None:
    dialog = UnsubscribeDialog([ContactChoice("c1", "a@example.com", "Ann", (), "mailable")])
    qtbot.addWidget(dialog)
    dialog.show()
    chain = focus_chain(dialog.cancel_button)  # the whole ring, from the first widget after Cancel
    order = [dialog.preset_buttons[0], dialog.preset_buttons[-1], dialog.reason_edit, dialog.contact_radio,
             dialog.received_edit]
    assert [chain.index(w) for w in order] == sorted(chain.index(w) for w in order)
    assert dialog.reason_edit.previousInFocusChain() is dialog.preset_buttons[-1]  # Shift+Tab from the reason
    for label in (dialog.due_label, dialog.counter_label):
        assert label.text() in QAccessible.queryAccessibleInterface(label).text(QAccessible.Text.Name)


# --- item 10 ---------------------------------------------------------------------------------------------------


def test_company_header_does_not_pretend_to_sort(window: MainWindow, qtbot) -> None:
    header = window.contacts.table.horizontalHeader()
    first = window.contacts.model.row(0).contact_id
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(2) + 10, 5))
    assert header.sortIndicatorSection() == 0
    assert window.contacts.model.row(0).contact_id == first
    assert window.contacts.model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_several_selected_says_what_the_buttons_do(window: MainWindow) -> None:
    selection = window.contacts.table.selectionModel()
    for row in range(3):
        selection.select(window.contacts.model.index(row, 0),
                         selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    assert window.contacts.details.title.text() == "3 contacts selected"
    assert "Search for a contact" not in window.contacts.details.badge.text()
    assert "all 3" in window.contacts.details.badge.text()


def test_status_counts_follow_the_first_sync(qtbot, tmp_path: Path) -> None:
    db = tmp_path / "first.sqlite3"
    DeskDatabase(db).close()
    with opened(qtbot, db) as w:
        with DeskDatabase(db) as s:  # the first page of the full pull arrives
            s.upsert_contacts([contact(i) for i in range(500)])
        w.desk.sync.progress.emit(SyncProgress("full pull", 500, 2500))
        assert w.contacts.model.total == 500
        assert w.contacts.status_filter.itemText(0) == "All statuses (500)"
        assert w.status.progress.format() == "Reading all contacts: 500 of 2,500"
        progress = w.status.progress
        assert progress.minimumWidth() > progress.fontMetrics().horizontalAdvance(progress.format())


def test_demo_mode_says_so_inside_the_window(qtbot, tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    DeskDatabase(db).close()
    with opened(qtbot, db, demo=True) as w:
        w.statusBar().showMessage("Local copy up to date")  # a status message must not hide the marker
        assert w.demo_marker.isVisible() and "Demo" in w.demo_marker.text()
        w.resize(1024, 640)
        QApplication.processEvents()
        assert w.width() <= 1024 and w.contacts.search_edit.width() >= 200  # the marker squeezes nothing
        w.tabs.setCurrentWidget(w.optouts)
        assert w.demo_marker.isVisible()


def test_small_screen_keeps_the_buttons_whole(window: MainWindow, qtbot) -> None:
    select_mailable(window, qtbot)
    window.resize(1024, 640)
    QApplication.processEvents()
    assert window.width() <= 1024
    for button in (window.contacts.details.unsubscribe_button, window.contacts.details.resubscribe_button,
                   window.contacts.details.remove_button):
        assert button.width() >= button.sizeHint().width()
        seen = button.visibleRegion().boundingRect()
        assert seen.width() == button.width(), (button.text(), seen, button.rect())
    history = window.contacts.details.history.visibleRegion().boundingRect()
    # reachable by scrolling
    assert history.height() > 0 or window.contacts.details_area.verticalScrollBar().maximum() > 0


def test_spare_width_goes_to_the_email_column(window: MainWindow) -> None:
    window.resize(1920, 1040)
    QApplication.processEvents()
    header = window.contacts.table.horizontalHeader()
    assert header.sectionSize(4) <= 200
    assert header.sectionSize(1) > 300
    window.resize(1024, 640)
    QApplication.processEvents()
    assert header.sectionSize(1) >= window.contacts.table.fontMetrics().horizontalAdvance("person123@example1.com")


@pytest.mark.parametrize("size", [(1024, 640), (1366, 768)])
def test_the_contact_columns_fit_without_scrolling_sideways(window: MainWindow, size: tuple[int, int]) -> None:
    """At 1024x640 the Status and Opted out columns were past the right edge (a sideways scroll bar); now
    the five columns share the table's width, a status and a date shown whole, a long address cut in the
    middle (its domain kept)."""
    window.resize(*size)
    QApplication.processEvents()
    table = window.contacts.table
    assert table.horizontalScrollBar().maximum() == 0
    header, metrics = table.horizontalHeader(), table.fontMetrics()
    status = COLUMNS.index(next(c for c in COLUMNS if c.title == "Status"))
    assert header.sectionSize(status) >= metrics.horizontalAdvance("Unsubscribe waiting to send")
    assert header.sectionSize(status + 1) >= metrics.horizontalAdvance("2026-12-31")
    unsubscribed = window.desk.reads.contact("00000000-0000-0000-0000-000000000007")
    assert COLUMNS[status + 1].value(unsubscribed) == "2026-03-04"  # the day: the details give the time
    assert header.sectionSize(1) >= metrics.horizontalAdvance("person123@example1.com")
    assert window.contacts.details.unsubscribe_button.visibleRegion().boundingRect().width() > 0
    email = window.contacts.model.index(0, 1)
    option = QStyleOptionViewItem()
    table.itemDelegateForIndex(email).initStyleOption(option, email)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle


def test_a_long_address_in_the_details_is_shown_whole_at_1024(window: MainWindow) -> None:
    """The details take a third of a 1024-pixel window: an address too long to sit beside its label goes under
    it, whole, instead of pushing the pane past its right edge (which cut every value on the right)."""
    window.resize(1024, 640)
    QApplication.processEvents()
    row = window.desk.reads.contact("00000000-0000-0000-0000-000000000004")
    address = "elizabeth_aguilar1586.events@silverlakefarm.com"
    window.contacts.details.show_contact(dataclasses.replace(row, email=address))
    QApplication.processEvents()
    for key in ("email", "opt_in"):
        label = window.contacts.details.fields[key]
        seen = label.visibleRegion().boundingRect()
        assert seen.width() == label.width(), (key, seen, label.rect())
    email = window.contacts.details.fields["email"]
    assert email.width() >= email.fontMetrics().horizontalAdvance(address)


def test_column_widths_share_the_width_and_keep_their_floors() -> None:
    for available in (420, 560, 700, 1200, 1900):
        widths = column_widths(available, 7, 130, 100)
        assert sum(widths.values()) == available or min(widths[c] - FLOOR[c] * 7 for c in FLOOR) == 0
        assert sum(widths.values()) <= max(available, sum(FLOOR.values()) * 7 + 130 + 100 + 2 * PADDING)
    narrow, wide = column_widths(560, 7, 130, 100), column_widths(1200, 7, 130, 100)
    assert narrow[EMAIL] > narrow[NAME] > narrow[COMPANY]  # a narrow table keeps the address longest
    assert wide[EMAIL] - narrow[EMAIL] > wide[NAME] - narrow[NAME]  # spare width goes mostly to Email


def test_an_arabic_reason_is_laid_out_right_to_left(window: MainWindow, qtbot, tmp_path: Path) -> None:
    row = window.desk.reads.contact("00000000-0000-0000-0000-000000000007")
    reason = "رسائل كثيرة جدا ولا أريدها بعد الآن شكرا لكم على كل شيء"
    window.contacts.details.show_contact(dataclasses.replace(row, opt_out_reason=reason))
    text = window.contacts.details.badge.text()
    doc = QTextDocument()
    doc.setHtml(text)
    blocks = [doc.begin(), doc.begin().next()]
    assert blocks[0].text().startswith("Unsubscribed on")
    assert blocks[1].text() == reason
    assert blocks[1].textDirection() == Qt.LayoutDirection.RightToLeft
    heard = QAccessible.queryAccessibleInterface(window.contacts.details.badge).text(QAccessible.Text.Name)
    assert "Unsubscribed on" in heard and reason in heard and "<p" not in heard
