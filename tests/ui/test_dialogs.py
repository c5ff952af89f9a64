"""The unsubscribe, resubscribe and remove-from-lists dialogs (pytest-qt, offscreen)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDateEdit,
    QDialog,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from ccdesk.ui.dialogs import (
    ContactChoice,
    RemoveFromListsDialog,
    RemoveFromListsRequest,
    ResubscribeDialog,
    ResubscribeRequest,
    UnsubscribeDialog,
    UnsubscribeRequest,
)
from ccdesk.ui.dialogs.unsubscribe import PRESET_REASONS, WARNING_TEXT, apply_preset
from ccdesk.ui.dialogs.widgets import error_color, format_day

TODAY = date(2025, 11, 21)  # a Friday
NEWS, FREE, EVENTS = ("l-news", "Newsletter"), ("l-free", "Free members"), ("l-events", "Events & webinars")
LISTS = [NEWS, FREE, EVENTS]
ANA = ContactChoice("c-ana", "ana@example.com", "Ana Pérez", (NEWS, FREE), "mailable")
BOB = ContactChoice("c-bob", "bob@example.com", "Bob Stone", (NEWS, EVENTS), "unsubscribed")
CAT = ContactChoice("c-cat", "cat@example.com", "", (FREE,), "removed")
DEL = ContactChoice("c-del", "del@example.com", "Del Eted", (), "deleted")
PEN = ContactChoice("c-pen", "pen@example.com", "Pen Ding", (NEWS,), "pending")


def _texts(widget: QWidget) -> str:
    """All visible label texts, for asserting on wording."""
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget))


def _show(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _mnemonics(dialog: QDialog) -> list[str]:
    found = []
    for w in dialog.findChildren(QWidget):
        if not w.isVisibleTo(dialog):
            continue
        if isinstance(w, QAbstractButton) or (isinstance(w, QLabel) and w.buddy() is not None):
            match = re.search(r"&([^&])", w.text().replace("&&", ""))
            if match:
                found.append(match.group(1).lower())
    return found


def _inputs_have_names(dialog: QDialog) -> None:
    for w in dialog.findChildren(QWidget):
        if isinstance(w, (QPlainTextEdit, QRadioButton, QCheckBox, QDateEdit, QListWidget)) and w.isVisibleTo(dialog):
            assert w.accessibleName(), f"{type(w).__name__} has no accessible name"


# -------------------------------------------------------------------------------------------------- unsubscribe


def test_unsubscribe_starts_blocked_and_explains_why(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    assert not d.ok_button.isEnabled()
    assert d.ok_button.text().replace("&", "") == "Unsubscribe"
    assert d.counter_label.text() == "0 / 255"
    assert d.hint_label.text() == "To continue, give a reason and choose who asked."
    assert not d.contact_radio.isChecked() and not d.account_radio.isChecked()  # no default: the user chooses
    text = _texts(d)
    assert WARNING_TEXT in text
    assert "Must take effect by Fri 5 Dec 2025 \u2014 10 business days" in d.due_label.text()
    assert d.received_edit.date() == QDate(2025, 11, 21)
    assert d.received_edit.maximumDate() == QDate(2025, 11, 21)  # never in the future
    assert d.result_request() is None


def _room(dialog: QDialog) -> tuple[int, int]:
    free = dialog.screen().availableGeometry()
    return free.width() - 20, free.height() - 60


def test_a_dialog_opens_at_the_height_its_text_needs_not_two_thirds_of_the_screen(qtbot) -> None:
    """Qt opens a window at most two-thirds of the screen high: on a 1366x768 office screen that cut the
    unsubscribe dialog's warning in half. It opens (and grows, when a message appears) to its text's height,
    within the screen."""
    d = _show(qtbot, UnsubscribeDialog([ANA, BOB, CAT, DEL, PEN], today=TODAY))
    width, height = _room(d)
    assert d.sizeHint().height() > d.screen().availableGeometry().height() * 2 // 3  # the case Qt cuts
    assert d.height() == min(height, d.sizeHint().height()) and d.width() <= width
    single = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    before = single.height()
    single.reason_edit.setPlainText("x" * 790)  # three lines of "too long" appear
    qtbot.waitUntil(lambda: single.height() > before)
    assert single.height() == min(height, single.sizeHint().height())


def test_unsubscribe_typed_input_gives_the_request(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    qtbot.keyClicks(d.reason_edit, "  Asked by phone, wants fewer emails ")
    assert d.counter_label.text() == f"{len('Asked by phone, wants fewer emails')} / 255"  # outer spaces not counted
    d.account_radio.setChecked(True)
    d.received_edit.setDate(QDate(2025, 11, 18))
    assert "Tue 2 Dec 2025" in d.due_label.text()
    assert "7 business days left" in d.due_label.text()
    assert d.ok_button.isEnabled()
    d.ok_button.click()
    assert d.result() == QDialog.DialogCode.Accepted
    assert d.result_request() == UnsubscribeRequest(
        contact_ids=("c-ana",), reason="Asked by phone, wants fewer emails", asked_by="Account",
        received_on=date(2025, 11, 18),
    )


def test_unsubscribe_counter_is_live_and_blocks_over_255(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.contact_radio.setChecked(True)
    normal = d.counter_label.palette().color(QPalette.ColorRole.WindowText)
    d.reason_edit.setPlainText("x" * 212)
    assert d.counter_label.text() == "212 / 255"
    d.reason_edit.setPlainText("x" * 255)
    assert d.counter_label.text() == "255 / 255"
    assert d.ok_button.isEnabled()
    qtbot.keyClicks(d.reason_edit, "y")
    assert d.counter_label.text() == "256 / 255 \u2014 1 too many"
    assert not d.ok_button.isEnabled()
    assert d.counter_label.palette().color(QPalette.ColorRole.WindowText) == error_color(d.palette())
    assert d.counter_label.palette().color(QPalette.ColorRole.WindowText) != normal
    assert "shorten it by 1" in d.reason_error.text()
    assert d.hint_label.text() == "To continue, fix the reason."
    d.accept()  # even a forced accept refuses
    assert d.result_request() is None
    d.reason_edit.setPlainText("x" * 255)
    assert d.ok_button.isEnabled() and d.reason_error.text() == ""


def test_unsubscribe_refuses_control_characters_and_flattens_line_breaks(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.contact_radio.setChecked(True)
    d.reason_edit.setPlainText("pasted\x1b[0m text")
    assert not d.ok_button.isEnabled()
    assert "control character (U+001B)" in d.reason_error.text()
    d.reason_edit.setPlainText("line one\nline two\tend")
    assert d.ok_button.isEnabled()
    d.ok_button.click()
    assert d.result_request().reason == "line one line two end"


def test_unsubscribe_rtl_and_emoji(qtbot) -> None:
    rania = ContactChoice("c-r", "rania@example.com", "رانيا حداد", (NEWS,), "mailable")
    d = _show(qtbot, UnsubscribeDialog([rania], today=TODAY))
    reason = "طلبت إلغاء الاشتراك 📞 — no more mail 👍🏽👨\u200d👩\u200d👧"
    d.reason_edit.setPlainText(reason)
    assert d.counter_label.text() == f"{len(reason)} / 255"  # code points: 👍🏽 is 2, the family is 5
    assert d.counter_label.alignment() & Qt.AlignmentFlag.AlignRight
    d.reason_edit.setPlainText("👍🏽" * 128)  # 256 code points
    assert d.counter_label.text() == "256 / 255 \u2014 1 too many"
    assert not d.grab().isNull()  # paints without trouble
    d.reason_edit.setPlainText(reason)
    d.contact_radio.setChecked(True)
    d.ok_button.click()
    assert d.result_request().reason == reason
    # The English sentence keeps its direction although it starts with an Arabic name.
    sentence = next(t for t in _texts(d).splitlines() if "will get no more email" in t)
    assert sentence.startswith("\u2068رانيا حداد\u2069")


def test_unsubscribe_enter_in_reason_does_nothing_ctrl_enter_submits(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    qtbot.keyClicks(d.reason_edit, "Asked by email")
    d.contact_radio.setChecked(True)
    qtbot.keyClick(d.reason_edit, Qt.Key.Key_Return)
    assert d.reason_edit.toPlainText() == "Asked by email"
    assert d.isVisible() and d.result_request() is None
    qtbot.keyClick(d.reason_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert d.result_request() == UnsubscribeRequest(("c-ana",), "Asked by email", "Contact", TODAY)


def test_unsubscribe_keyboard_only(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.activateWindow()
    assert d.focusWidget() is d.reason_edit
    qtbot.keyClicks(d.reason_edit, "Asked in person")
    qtbot.keyClick(d.reason_edit, Qt.Key.Key_Tab)  # Tab leaves the text box
    assert d.focusWidget() is d.contact_radio
    qtbot.keyClick(d.contact_radio, Qt.Key.Key_Space)
    assert d.contact_radio.isChecked()
    assert d.ok_button.isDefault()
    qtbot.keyClick(d.contact_radio, Qt.Key.Key_Return)  # Enter outside the text box presses Unsubscribe
    assert d.result_request() == UnsubscribeRequest(("c-ana",), "Asked in person", "Contact", TODAY)


def test_unsubscribe_presets(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    assert [b.text() for b in d.preset_buttons] == list(PRESET_REASONS)
    assert all(not b.autoDefault() for b in d.preset_buttons)
    d.preset_buttons[0].click()
    assert d.reason_edit.toPlainText() == "Asked by phone"
    d.preset_buttons[1].click()
    assert d.reason_edit.toPlainText() == "Asked by email"
    qtbot.keyClicks(d.reason_edit, ": prefers post")
    d.preset_buttons[0].click()
    assert d.reason_edit.toPlainText() == "Asked by phone: prefers post"
    assert not d.ok_button.isEnabled()  # a preset never answers "who asked"


def test_apply_preset() -> None:
    assert apply_preset("", "Complained") == "Complained"
    assert apply_preset("Asked by phone", "Complained") == "Complained"
    assert apply_preset("rude emails", "Complained") == "Complained: rude emails"
    assert apply_preset("Asked by phone: rude", "Complained") == "Complained: rude"


def test_unsubscribe_bulk_skips_unsubscribed_and_deleted(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA, BOB, CAT, DEL, PEN], today=TODAY))
    assert d.ok_button.text().replace("&", "") == "Unsubscribe 3 contacts"
    assert d.targets_list.count() == 3
    skipped = [d.skipped_list.item(i).text() for i in range(d.skipped_list.count())]
    assert skipped == ["\u2068Bob Stone\u2069 <bob@example.com> \u2014 already unsubscribed",
                       "\u2068Del Eted\u2069 <del@example.com> \u2014 deleted"]
    assert "2 contacts are skipped" in _texts(d)
    d.reason_edit.setPlainText("No longer a customer")
    d.account_radio.setChecked(True)
    d.ok_button.click()
    assert d.result_request().contact_ids == ("c-ana", "c-cat", "c-pen")


@pytest.mark.parametrize("contacts", [[BOB], [BOB, DEL]])
def test_unsubscribe_nothing_to_do(qtbot, contacts) -> None:
    d = _show(qtbot, UnsubscribeDialog(contacts, today=TODAY))
    assert not d.ok_button.isEnabled()
    assert d.hint_label.text() == ("There is nobody to unsubscribe." if len(contacts) > 1 else "")
    assert "already unsubscribed" in _texts(d)
    assert not d.form.isVisible()
    d.accept()
    assert d.result_request() is None


def test_unsubscribe_overdue_request(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.received_edit.setDate(QDate(2025, 11, 1))
    assert d.due_label.text().startswith("Overdue: this had to take effect by Fri 14 Nov 2025")
    d.received_edit.setDate(QDate(2025, 11, 7))  # due today
    assert d.due_label.text().startswith("Must take effect today, Fri 21 Nov 2025")


def test_unsubscribe_cancel_gives_nothing(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.reason_edit.setPlainText("Complained")
    d.contact_radio.setChecked(True)
    d.cancel_button.click()
    assert d.result_request() is None


def test_error_colour_follows_the_palette(qtbot) -> None:
    d = _show(qtbot, UnsubscribeDialog([ANA], today=TODAY))
    d.reason_edit.setPlainText("x" * 300)
    light = d.counter_label.palette().color(QPalette.ColorRole.WindowText)
    dark = QPalette(QColor("white"), QColor(50, 50, 50))
    d.setPalette(dark)
    assert d.counter_label.palette().color(QPalette.ColorRole.WindowText) != light
    assert d.counter_label.palette().color(QPalette.ColorRole.WindowText) == error_color(dark)


# -------------------------------------------------------------------------------------------------- resubscribe


def test_resubscribe_preselects_lists_and_needs_permission(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(BOB, LISTS, None))
    checked = [d.lists_widget.item(i).checkState() == Qt.CheckState.Checked for i in range(3)]
    assert checked == [True, False, True]
    text = _texts(d)
    assert "only once per contact, ever" in text
    assert "sign-up forms" in text
    assert "CAN-SPAM, CASL" in text
    assert "resubscribed only if they click it" in text
    assert not d.ok_button.isEnabled()
    assert d.hint_label.text() == "To continue, confirm that the contact asked."
    d.permission_check.setChecked(True)
    assert d.ok_button.isEnabled()
    d.ok_button.click()
    assert d.result_request() == ResubscribeRequest("c-bob", ("l-news", "l-events"))


def test_resubscribe_needs_a_list(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(BOB, LISTS, None))
    d.permission_check.setChecked(True)
    for i in range(d.lists_widget.count()):
        d.lists_widget.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert not d.ok_button.isEnabled()
    assert d.hint_label.text() == "To continue, tick at least one list."
    d.accept()
    assert d.result_request() is None


def test_resubscribe_space_toggles_a_list(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(BOB, LISTS, None))
    d.lists_widget.setFocus()
    d.lists_widget.setCurrentRow(1)
    qtbot.keyClick(d.lists_widget, Qt.Key.Key_Space)
    assert d.lists_widget.item(1).checkState() == Qt.CheckState.Checked


def test_resubscribe_already_requested_is_refused(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(BOB, LISTS, date(2025, 11, 3)))
    assert "A resubscribe email was already sent on Mon 3 Nov 2025; Constant Contact allows only one" in _texts(d)
    assert not d.ok_button.isEnabled()
    assert not d.body.isVisible()
    d.accept()
    assert d.result_request() is None


def test_resubscribe_only_for_unsubscribed_contacts(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(ANA, LISTS, None))
    assert "is not unsubscribed (can be mailed)" in _texts(d)
    assert not d.ok_button.isEnabled()


def test_resubscribe_keeps_lists_the_caller_did_not_pass(qtbot) -> None:
    d = _show(qtbot, ResubscribeDialog(BOB, [FREE], None))
    names = [d.lists_widget.item(i).text() for i in range(d.lists_widget.count())]
    assert names == ["Free members", "Newsletter", "Events & webinars"]


# -------------------------------------------------------------------------------------------- remove from lists


def test_remove_single_offers_the_contacts_lists(qtbot) -> None:
    d = _show(qtbot, RemoveFromListsDialog([ANA], LISTS))
    assert [d.lists_widget.item(i).text() for i in range(d.lists_widget.count())] == ["Newsletter", "Free members"]
    assert "This is not an unsubscribe." in _texts(d)
    assert "stays subscribed, stops getting" in _texts(d)
    assert not d.ok_button.isEnabled()
    assert d.hint_label.text() == "To continue, tick at least one list."
    d.lists_widget.item(1).setCheckState(Qt.CheckState.Checked)
    assert d.ok_button.text().replace("&", "") == "Remove from 1 list"
    assert not d.all_note.isVisible()
    d.ok_button.click()
    assert d.result_request() == RemoveFromListsRequest(("c-ana",), ("l-free",), all_lists=False)


def test_remove_bulk_counts_members_and_skips_deleted(qtbot) -> None:
    d = _show(qtbot, RemoveFromListsDialog([ANA, BOB, CAT, DEL], LISTS))
    rows = [d.lists_widget.item(i).text() for i in range(d.lists_widget.count())]
    assert rows == ["\u2068Newsletter\u2069 (2 of the 3 contacts)", "\u2068Free members\u2069 (2 of the 3 contacts)",
                    "\u2068Events & webinars\u2069 (1 of the 3 contacts)"]
    assert "1 deleted contact is skipped" in _texts(d)
    d.lists_widget.item(0).setCheckState(Qt.CheckState.Checked)
    d.lists_widget.item(2).setCheckState(Qt.CheckState.Checked)
    assert d.ok_button.text().replace("&", "") == "Remove 3 contacts from 2 lists"
    d.ok_button.click()
    assert d.result_request() == RemoveFromListsRequest(("c-ana", "c-bob", "c-cat"), ("l-news", "l-events"))


def test_remove_from_all_lists(qtbot) -> None:
    d = _show(qtbot, RemoveFromListsDialog([ANA, CAT], LISTS))
    d.lists_widget.item(1).setCheckState(Qt.CheckState.Checked)
    d.all_check.setChecked(True)
    assert not d.lists_widget.isEnabled()
    assert d.all_note.isVisible()
    assert "Removed" in d.all_note.text() and "still subscribed" in d.all_note.text()
    d.all_check.setChecked(False)  # back to what was ticked before
    assert [d.lists_widget.item(i).checkState() == Qt.CheckState.Checked for i in range(3)] == [False, True, False]
    d.all_check.setChecked(True)
    d.ok_button.click()
    assert d.result_request() == RemoveFromListsRequest(("c-ana", "c-cat"), ("l-news", "l-free", "l-events"),
                                                        all_lists=True)


@pytest.mark.parametrize("contacts", [[CAT.__class__("c-x", "x@example.com", "", (), "removed")], [DEL]])
def test_remove_nothing_to_do(qtbot, contacts) -> None:
    d = _show(qtbot, RemoveFromListsDialog(contacts, LISTS))
    assert not d.ok_button.isEnabled()
    assert "There is nothing to remove." in _texts(d)
    d.accept()
    assert d.result_request() is None


# ----------------------------------------------------------------------------------------------------- general


@pytest.mark.parametrize(
    "make",
    [
        lambda: UnsubscribeDialog([ANA], today=TODAY),
        lambda: UnsubscribeDialog([ANA, BOB, CAT], today=TODAY),
        lambda: ResubscribeDialog(BOB, LISTS, None),
        lambda: RemoveFromListsDialog([ANA], LISTS),
        lambda: RemoveFromListsDialog([ANA, CAT], LISTS),
    ],
)
def test_mnemonics_are_unique_and_inputs_are_named(qtbot, make) -> None:
    d = _show(qtbot, make())
    keys = _mnemonics(d)
    assert len(keys) == len(set(keys)), keys
    _inputs_have_names(d)


def test_format_day() -> None:
    assert format_day(date(2025, 12, 5)) == "Fri 5 Dec 2025"


def test_unsubscribe_records_the_contacts_own_request_on_a_team_opt_out(qtbot, tmp_path) -> None:
    """Issue 13 client item 6: our team's opt-out can be undone by the account, the contact's cannot, so the
    contact's own later request is still worth sending; the dialog says so and only offers "the contact asked"."""
    team = ContactChoice("c-tom", "tom@example.com", "Tom Team", (), "unsubscribed", opt_out_source="Account")
    d = _show(qtbot, UnsubscribeDialog([team], today=TODAY))
    assert "asked to unsubscribe" in _texts(d) and "only they can undo" in _texts(d)
    assert d.contact_radio.isChecked() and not d.account_radio.isEnabled()
    assert d.ok_button.text().replace("&", "") == "Record their request"
    assert len(_mnemonics(d)) == len(set(_mnemonics(d)))  # no Alt key twice
    d.grab().save(str(tmp_path / "contact-request.png"))
    d.reason_edit.setPlainText("Asked by phone")
    d.ok_button.click()
    assert d.result_request() == UnsubscribeRequest(contact_ids=("c-tom",), reason="Asked by phone",
                                                    asked_by="Contact", received_on=TODAY)
    # The contact's own opt-out on record: nothing to add (as before).
    own = ContactChoice("c-own", "own@example.com", "Own", (), "unsubscribed", opt_out_source="Contact")
    d2 = _show(qtbot, UnsubscribeDialog([own], today=TODAY))
    assert not d2.ok_button.isEnabled() and "already unsubscribed" in _texts(d2)
