"""The tray icon, where the desktop has one: desktop notifications for new opt-outs, and a way back in."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ccdesk.wording import plural

from .main_window import MainWindow


def install_tray(window: MainWindow, icon: QIcon) -> QSystemTrayIcon | None:
    """None where there is no system tray (the in-window notice still shows)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(icon, window)
    tray.setToolTip("ccdesk")
    menu = QMenu(window)

    def show() -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    menu.addAction("Show ccdesk", show)
    menu.addAction("Sync now", window.start_pull)
    menu.addSeparator()
    menu.addAction("Quit", window.close)  # like File > Quit: asks about waiting changes, then shuts down cleanly
    tray.setContextMenu(menu)

    def notify(contact_ids: list[str]) -> None:
        n = len(contact_ids)
        tray.showMessage("New opt-outs", f"{plural(n, 'new opt-out')} in Constant Contact.",
                         QSystemTrayIcon.MessageIcon.Information, 10_000)

    window.new_optouts.connect(notify)
    tray.messageClicked.connect(window.show_recent_optouts)
    tray.show()
    return tray
