"""Render every action dialog in each of its states to PNGs, in a light and a dark palette.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_dialogs.py [OUT_DIR]

Writes OUT_DIR/{light,dark}/<state>.png (OUT_DIR defaults to ./screenshots, which git ignores) and prints the
paths. Uses made-up contacts and a fixed "today" (Fri 21 Nov 2025), so the pictures are repeatable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from PySide6.QtCore import Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QStyleFactory

from ccdesk.ui.dialogs import (
    ContactChoice,
    RemoveFromListsDialog,
    ResubscribeDialog,
    UnsubscribeDialog,
)

TODAY = date(2025, 11, 21)
LISTS = [("l-news", "Monthly newsletter"), ("l-free", "Free members"), ("l-events", "Events & webinars"),
         ("l-offers", "Special offers"), ("l-partners", "Partner announcements (Canada, French and English)")]
ANA = ContactChoice("c-ana", "ana.perez@example.com", "Ana Pérez", (LISTS[0], LISTS[1]), "mailable")
BOB_UNSUB = ContactChoice("c-bob", "bob@example.org", "Bob Stone", (LISTS[0], LISTS[3]), "unsubscribed")
NONAME = ContactChoice("c-x", "someone.with.a.very.long.address@subdomain.example-company.co.uk", "", (), "removed")


def _bulk(n: int) -> list[ContactChoice]:
    people = []
    for i in range(n):
        lists = tuple(LISTS[j] for j in range(len(LISTS)) if (i + j) % 3 != 0)
        people.append(ContactChoice(f"c-{i}", f"person{i}@example.com", f"Person {i}", lists, "mailable"))
    people.append(BOB_UNSUB)
    people.append(ContactChoice("c-del", "gone@example.com", "Deleted Person", (), "deleted"))
    return people


def _type(dialog: UnsubscribeDialog, text: str, *, who: str | None = "Contact", days_ago: int = 0) -> None:
    dialog.reason_edit.setPlainText(text)
    if who == "Contact":
        dialog.contact_radio.setChecked(True)
    elif who == "Account":
        dialog.account_radio.setChecked(True)
    d = TODAY - timedelta(days=days_ago)
    from PySide6.QtCore import QDate

    dialog.received_edit.setDate(QDate(d.year, d.month, d.day))


def states() -> dict[str, Callable[[], QDialog]]:
    def unsub_typed() -> QDialog:
        d = UnsubscribeDialog([ANA], today=TODAY)
        d.preset_buttons[0].click()
        d.reason_edit.insertPlainText(" wants no more newsletters")
        _type(d, d.reason_edit.toPlainText(), days_ago=3)
        return d

    def unsub_over() -> QDialog:
        d = UnsubscribeDialog([ANA], today=TODAY)
        _type(d, "Called the front desk and said " + "they get far too many emails from us, " * 7, who="Account")
        return d

    def unsub_control() -> QDialog:
        d = UnsubscribeDialog([ANA], today=TODAY)
        _type(d, "Pasted from the ticket\x1b[0m system")
        return d

    def unsub_rtl() -> QDialog:
        rtl = ContactChoice("c-r", "rania@example.com", "رانيا حداد", (LISTS[0],), "mailable")
        d = UnsubscribeDialog([rtl], today=TODAY)
        _type(d, "طلبت إلغاء الاشتراك عبر الهاتف 📞 — no more mail please 🙏👍🏽", who="Contact")
        return d

    def unsub_overdue() -> QDialog:
        d = UnsubscribeDialog([NONAME], today=TODAY)
        _type(d, "Asked by letter", who="Contact", days_ago=20)
        return d

    def resub_ready() -> QDialog:
        d = ResubscribeDialog(BOB_UNSUB, LISTS, None)
        d.permission_check.setChecked(True)
        return d

    def remove_all() -> QDialog:
        d = RemoveFromListsDialog(_bulk(12), LISTS)
        d.all_check.setChecked(True)
        return d

    def remove_single_typed() -> QDialog:
        d = RemoveFromListsDialog([ANA], LISTS)
        d.lists_widget.item(1).setCheckState(Qt.CheckState.Checked)
        return d

    def remove_single_all() -> QDialog:
        d = RemoveFromListsDialog([ANA], LISTS)
        d.all_check.setChecked(True)
        return d

    return {
        "unsubscribe_empty": lambda: UnsubscribeDialog([ANA], today=TODAY),
        "unsubscribe_typed": unsub_typed,
        "unsubscribe_over_limit": unsub_over,
        "unsubscribe_control_char": unsub_control,
        "unsubscribe_rtl_emoji": unsub_rtl,
        "unsubscribe_overdue_long_email": unsub_overdue,
        "unsubscribe_bulk": lambda: UnsubscribeDialog(_bulk(12), today=TODAY),
        "unsubscribe_already_unsubscribed": lambda: UnsubscribeDialog([BOB_UNSUB], today=TODAY),
        "resubscribe_empty": lambda: ResubscribeDialog(BOB_UNSUB, LISTS, None),
        "resubscribe_ready": resub_ready,
        "resubscribe_already_requested": lambda: ResubscribeDialog(BOB_UNSUB, LISTS, date(2025, 11, 3)),
        "resubscribe_not_unsubscribed": lambda: ResubscribeDialog(ANA, LISTS, None),
        "remove_single_empty": lambda: RemoveFromListsDialog([ANA], LISTS),
        "remove_single_typed": remove_single_typed,
        "remove_single_all": remove_single_all,
        "remove_single_no_lists": lambda: RemoveFromListsDialog([NONAME], LISTS),
        "remove_bulk": lambda: RemoveFromListsDialog(_bulk(12), LISTS),
        "remove_bulk_all": remove_all,
    }


def dark_palette() -> QPalette:
    """Qt's own dark Fusion palette (what Fusion uses when the desktop is in dark mode), built by hand because
    the offscreen platform cannot switch colour schemes."""
    window = QColor(50, 50, 50)
    base = window.darker(140)
    p = QPalette(QColor("white"), window, window.lighter(150), window.darker(150), window.darker(130),
                 QColor("white"), base)
    p.setColor(QPalette.ColorRole.Highlight, QColor(48, 140, 198))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    p.setColor(QPalette.ColorRole.AlternateBase, window.lighter(115))
    p.setColor(QPalette.ColorRole.Link, QColor("#8ab4f8"))
    placeholder = QColor("white")
    placeholder.setAlpha(128)
    p.setColor(QPalette.ColorRole.PlaceholderText, placeholder)
    disabled = QColor(130, 130, 130)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, window)
    return p


def _quiet(kind: QtMsgType, context: object, message: str) -> None:
    """Drop the offscreen plugin's harmless "does not support propagateSizeHints()" line; print the rest."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def render(out_dir: Path) -> list[Path]:
    qInstallMessageHandler(_quiet)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle(QStyleFactory.create("Fusion"))
    written: list[Path] = []
    for theme in ("light", "dark"):
        app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
        (out_dir / theme).mkdir(parents=True, exist_ok=True)
        for name, make in states().items():
            dialog = make()
            dialog.show()
            app.processEvents()
            # The size a desktop gives it. (adjustSize() would cap it at 2/3 of the small offscreen "screen".)
            dialog.resize(dialog.sizeHint())
            app.processEvents()
            path = out_dir / theme / f"{name}.png"
            dialog.grab().save(str(path))
            written.append(path)
            dialog.close()
            dialog.deleteLater()
            app.processEvents()
    return written


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    for path in render(out_dir):
        print(path)


if __name__ == "__main__":
    main()
