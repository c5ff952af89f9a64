"""The account menu at the right of the menu bar: who is signed in to which account, the Constant Contact
requests used today (read again each time the menu opens and after each change sent), Settings and Sign out."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMainWindow, QMenu, QToolButton, QWidget
from qasync import asyncSlot

from ccdesk.services.desk import Desk
from ccdesk.services.scheduler import QuotaStatus
from ccdesk.store.audit import current_actor
from ccdesk.store.errors import StoreUnavailableError


class AccountMenu(QToolButton):
    settings_requested = Signal()
    sign_out_requested = Signal()

    def __init__(self, desk: Desk, *, account: str, user: str = "", desk_name: str = "", can_sign_out: bool = True,
                 can_change_settings: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # Room for the menu arrow: an instant-popup button draws it over the end of its text ("example.or⌄g").
        self.setStyleSheet("QToolButton { padding-right: 14px; }")
        self.setAccessibleName("Account menu")
        menu = QMenu(self)
        self.signed_in = menu.addAction("")
        self.on_desk = menu.addAction("")
        self.requests = menu.addAction("Constant Contact requests used today: …")
        for info in (self.signed_in, self.on_desk, self.requests):
            info.setEnabled(False)  # information, not commands
        menu.addSeparator()
        self.settings_action = menu.addAction("&Settings…")
        self.settings_action.triggered.connect(self.settings_requested.emit)
        self.settings_action.setEnabled(can_change_settings)
        self.sign_out_action = menu.addAction("Sign &out")
        self.sign_out_action.triggered.connect(self.sign_out_requested.emit)
        self.sign_out_action.setEnabled(can_sign_out)
        self.setMenu(menu)
        self.set_identity(account=account, user=user, desk_name=desk_name)
        menu.aboutToShow.connect(self.refresh_quota)
        desk.scheduler.quota.connect(self.show_quota)
        desk.worker.item_finished.connect(lambda _outcome: self.refresh_quota())

    def set_identity(self, *, account: str, user: str, desk_name: str) -> None:
        who = user or "a Constant Contact user"
        self.setText(user or account)
        self.signed_in.setText(f"Signed in as {who} to {account}")
        login = current_actor()
        self.on_desk.setText(f"On this desk: {login}" + (f" ({desk_name})" if desk_name else ""))
        self.setToolTip(f"Signed in as {who} to {account}")

    def show_quota(self, status: QuotaStatus) -> None:
        self.requests.setText(f"Constant Contact requests used today: {status.used:,} of {status.limit:,}")

    @asyncSlot()
    async def refresh_quota(self) -> None:
        """Count what was sent since the last look (the desk's store keeps the day's total)."""
        try:
            status = await self.desk.quota.update()
        except (RuntimeError, StoreUnavailableError):  # closing down, or the file is busy: the next look will do
            return
        self.show_quota(status)


def install_account_menu(window: QMainWindow, desk: Desk, **identity: object) -> AccountMenu:
    menu = AccountMenu(desk, parent=window, **identity)  # type: ignore[arg-type]
    window.menuBar().setCornerWidget(menu)
    return menu
