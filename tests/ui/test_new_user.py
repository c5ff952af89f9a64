"""What a new user trips on, fixed: the Contact menu offers what the details' buttons offer (greyed with the same
reason), and the details speak staff words, not Constant Contact's field values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel

from ccdesk.preferences import Preferences
from ccdesk.services.export import ExportResult
from ccdesk.ui.account_menu import install_account_menu
from ccdesk.ui.actions_part import export_finished_text
from ccdesk.ui.main_window import MainWindow
from ccdesk.ui.preferences_dialog import PreferencesDialog
from tests.ui.test_window_ux import window  # noqa: F401 - the window fixture

UNSUBSCRIBED = "00000000-0000-0000-0000-000000000007"


def test_the_contact_menu_follows_the_details_buttons(window: MainWindow) -> None:  # noqa: F811
    menu, details = window.contact_actions, window.contacts.details
    assert not menu["unsubscribe"].isEnabled() and not menu["add_back"].isEnabled()  # nobody selected yet
    assert menu["sync"].isEnabled()
    window.open_contact(UNSUBSCRIBED)
    assert not details.unsubscribe_button.isEnabled() and details.resubscribe_button.isEnabled()
    assert not menu["unsubscribe"].isEnabled() and menu["resubscribe"].isEnabled()
    why = details.unsubscribe_button.toolTip()
    assert menu["unsubscribe"].toolTip() == why == "Already unsubscribed by the contact"
    assert "only they can opt back in" in menu["add_back"].toolTip()
    window.contacts.search_edit.setText("person10@")
    window.contacts.apply_query()
    window.contacts.table.selectRow(0)
    assert menu["unsubscribe"].isEnabled() and not menu["resubscribe"].isEnabled()
    window.contacts.table.selectAll()  # several: the details say what the buttons do to all of them
    assert menu["unsubscribe"].isEnabled() and menu["remove"].isEnabled() and not menu["resubscribe"].isEnabled()


def test_who_opted_in_is_said_in_staff_words(window: MainWindow) -> None:  # noqa: F811
    row = window.desk.reads.contact(UNSUBSCRIBED)
    details = window.contacts.details
    details.show_contact(dataclasses.replace(row, opt_in_source="Account"))
    assert details.fields["opt_in"].text().endswith("by our team")
    details.show_contact(dataclasses.replace(row, opt_in_source="Contact"))
    assert details.fields["opt_in"].text().endswith("by the contact")
    assert details.fields["opt_out"].text().endswith("by the contact")


def test_settings_opens_with_no_text_cut(qtbot) -> None:
    """Every label of Settings is as tall as its text needs when the dialog opens (the notes under the fields
    were given one line's height for two, and cut in half)."""
    dialog = PreferencesDialog(Preferences(), signed_in_as="events@example.org")
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    labels = [label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()]
    assert any(label.text().startswith("Register this exact address") for label in labels)
    for label in labels:
        needed = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        assert label.height() >= needed, f"cut: {label.text()!r} ({label.height()} of {needed} px)"


def test_export_finished_says_what_was_saved_in_one_plain_sentence() -> None:
    assert export_finished_text(1, "dnm.csv", False) == "Saved 1 opt-out to dnm.csv."
    assert export_finished_text(0, "feed.csv", True, kept=True) == (
        "No new opt-outs since the last export to feed.csv; the file was left as it was.")
    feed = export_finished_text(317, "feed.csv", True)
    assert feed == "Saved 317 new opt-outs to feed.csv: the ones since the last export to that file."
    first = export_finished_text(262, "feed.csv", True, first=True)
    assert first.startswith("Saved 262 opt-outs to feed.csv: every opt-out, as this is the first export")
    again = export_finished_text(7, "feed.csv", True, carried=6)
    assert again.startswith("Saved 7 opt-outs to feed.csv: 1 new one since the last export, and the 6 of the "
                            "last export again: that file was still there, not yet collected"), again
    assert ExportResult(Path("feed.csv"), 7, None, carried=6).carried_note().endswith(
        "holds its 6 opt-outs again with 1 new one; nothing it had is lost.")


def test_the_account_button_leaves_room_for_its_menu_arrow(window: MainWindow) -> None:  # noqa: F811
    """The arrow of the account button was drawn over the end of the address ("events@example.or⌄g")."""
    button = install_account_menu(window, window.desk, account="Example Org", user="events@example.org")
    text = button.fontMetrics().horizontalAdvance(button.text())
    assert button.sizeHint().width() - text >= 24
