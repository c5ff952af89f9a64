"""The main window: menus, tabs, layout, the wiring between its parts, and shutdown.

The parts do the work and never call each other (see README, Architecture): `ContactsPart` (search, table,
details, filter counts, server lookup), `ActionsPart` (dialogs, the one submit path, bulk files, exports),
`StatusPart` (sync progress, waiting count, quota, notices), and the Recent opt-outs and Activity tabs. Each
needs only the desk; `_connect` is the one place that says which signal of one goes to which method of another.
"""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QSettings, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk import __version__
from ccdesk.api import ApiError
from ccdesk.services.desk import Desk
from ccdesk.wording import is_are, plural

from .actions_part import ActionsPart
from .activity_tab import ActivityTab
from .bulk_modes import BulkMode
from .contacts_part import ContactsPart
from .messages import inform
from .optouts_tab import OptOutsTab
from .status_part import StatusPart
from .window_ux import demo_marker

ABOUT = ("<b>ccdesk {version}</b><p>Manage opt-outs in a Constant Contact account: find a contact, see whether "
         "they may be mailed, unsubscribe with a reason, keep other systems in step with the Do Not Mail list.</p>"
         "<p>Only a contact can opt back in: ccdesk never resubscribes anybody by itself (CAN-SPAM, CASL).</p>")


class MainWindow(QMainWindow):
    new_optouts = Signal(list)  # contact ids seen unsubscribed for the first time by a sync

    def __init__(self, desk: Desk, *, account: str = "", demo: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.demo = demo
        self.pull_finished = False
        self.confirm_quit_with_pending = True
        self.setWindowTitle(f"ccdesk — {account}" if account else "ccdesk")
        self.resize(1200, 760)
        self.contacts = ContactsPart(desk)
        self.actions_part = ActionsPart(desk, self)
        self.status = StatusPart(desk)
        self.setStatusBar(self.status)
        self.optouts = OptOutsTab(desk)
        self.activity = ActivityTab(desk)
        self._build()
        self._build_menus()
        self._connect()
        self._follow_details_buttons()
        self.optouts.refresh()

    # --- layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        self.search_bar = bar = QHBoxLayout()
        if self.demo:
            self.demo_marker = demo_marker()
            bar.addWidget(self.demo_marker)  # the top bar: status-bar messages would hide it
        bar.addStretch(0)  # with the search hidden, Sync now keeps its size on the right
        for widget, stretch in self.contacts.search_widgets():
            bar.addWidget(widget, stretch)
        self.refresh_button = QPushButton("Sync now")
        self.refresh_button.setToolTip("Read new opt-outs and other changes from Constant Contact (F5)")
        self.refresh_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        bar.addWidget(self.refresh_button)
        outer.addLayout(bar)
        outer.addWidget(self.status.notice)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.contacts, "Co&ntacts")  # Alt+C is the Contact menu
        self.tabs.addTab(self.optouts, "Recent &opt-outs")  # Alt+R is Request resubscribe
        self.tabs.addTab(self.activity, "Ac&tivity")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        find = QAction("Find", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(self.focus_search)
        self.addAction(find)
        actions = self.actions_part
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("Export &Do Not Mail list…", lambda: actions.export_do_not_mail(only_new=False))
        file_menu.addAction("Export &new opt-outs since the last export…",
                            lambda: actions.export_do_not_mail(only_new=True))
        file_menu.addAction("Export &evidence for this contact…", actions.export_evidence)
        file_menu.addSeparator()
        file_menu.addAction("&Unsubscribe from file…", lambda: actions.open_bulk_file(BulkMode.UNSUBSCRIBE))
        file_menu.addAction("&Remove from lists by file…", lambda: actions.open_bulk_file(BulkMode.REMOVE))
        file_menu.addAction("&Import a Do Not Mail list…", lambda: actions.open_bulk_file(BulkMode.IMPORT))
        file_menu.addSeparator()
        file_menu.addAction("&Quit", self.close, QKeySequence.StandardKey.Quit)
        menu = self.menuBar().addMenu("&Contact")
        menu.setToolTipsVisible(True)  # a greyed entry says why, like its button in the details
        self.contact_actions: dict[str, QAction] = {}
        for key, text, slot, keys in (
                ("unsubscribe", "&Unsubscribe…", actions.unsubscribe_selected, "Ctrl+U"),
                ("resubscribe", "Request &resubscribe…", actions.resubscribe_selected, "Ctrl+R"),
                ("remove", "Remove from &lists…", actions.remove_selected, "Ctrl+L"),
                ("add_back", "Add &back to lists…", actions.add_back_selected, None),
                ("sync", "&Sync now", self.start_pull, "F5"),
                ("resync", "Re-read the &whole account", self.start_full_resync, None)):
            action = menu.addAction(text)
            action.triggered.connect(slot)
            self.contact_actions[key] = action
            if keys:
                action.setShortcut(QKeySequence(keys))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Show &log", self.show_log)
        help_menu.addAction("&About ccdesk", lambda: QMessageBox.about(self, "About ccdesk",
                                                                      ABOUT.format(version=__version__)))

    # --- wiring: which part's signal goes where ------------------------------------------------------------
    def _connect(self) -> None:
        contacts, actions, status, details = self.contacts, self.actions_part, self.status, self.contacts.details
        contacts.selection_changed.connect(actions.set_selection)
        contacts.message.connect(status.showMessage)
        details.unsubscribe_requested.connect(actions.unsubscribe_selected)
        details.resubscribe_requested.connect(actions.resubscribe_selected)
        details.remove_requested.connect(actions.remove_selected)
        details.add_back_requested.connect(actions.add_back_selected)
        details.buttons_changed.connect(self._follow_details_buttons)
        actions.queued.connect(status.show_queued)
        actions.bulk_queued.connect(status.track_bulk)
        actions.message.connect(status.showMessage)
        actions.changed.connect(self.after_change)
        status.changed.connect(self.after_change)
        status.sync_running.connect(lambda running: self.refresh_button.setEnabled(not running))
        status.sync_ended.connect(self._sync_ended)
        status.new_optouts.connect(self.new_optouts.emit)
        status.show_optouts_requested.connect(self.show_recent_optouts)
        status.unsubscribe_waiting.connect(contacts.set_unsubscribe_waiting)
        self.activity.changed.connect(self.after_change)
        self.optouts.contact_requested.connect(self.open_contact)
        self.desk.sync.progress.connect(contacts.on_sync_progress)
        self.desk.sync.finished.connect(self.optouts.on_sync_finished)
        self.refresh_button.clicked.connect(self.start_pull)
        self.tabs.currentChanged.connect(lambda _i: self._show_search_bar())
        self._show_search_bar()
        status.refresh_pending()

    def _follow_details_buttons(self) -> None:
        """The Contact menu's entries (and their shortcuts) are available exactly when the details' buttons are."""
        for key, button in self.contacts.details.action_buttons().items():
            self.contact_actions[key].setEnabled(button.isEnabled())
            self.contact_actions[key].setToolTip(button.toolTip() or button.text().replace("&", ""))

    def after_change(self) -> None:
        """A change was queued or sent, or the cache changed: every part shows it."""
        self.contacts.refresh()
        self.activity.refresh()
        self.status.refresh_pending()

    def _sync_ended(self) -> None:
        self.pull_finished = True
        self.contacts.reload_lists()
        self.after_change()

    def _show_search_bar(self) -> None:
        """The search box and the filters act on the Contacts tab only: elsewhere they are hidden, not dead."""
        on_contacts = self.tabs.currentWidget() is self.contacts
        for widget, _stretch in self.contacts.search_widgets():
            widget.setVisible(on_contacts)

    def focus_search(self) -> None:
        """Ctrl+F from any tab: back to Contacts, into the search box."""
        self.tabs.setCurrentWidget(self.contacts)
        QTimer.singleShot(0, self.contacts.focus_search)

    def open_contact(self, contact_id: str) -> None:
        self.tabs.setCurrentWidget(self.contacts)
        self.contacts.open_contact(contact_id)

    def show_recent_optouts(self) -> None:
        """ "Show them" on the new-opt-outs notice (and the tray's message): the Recent opt-outs tab, listing
        exactly what the latest check found."""
        self.tabs.setCurrentWidget(self.optouts)
        self.optouts.show_found_by_last_check()

    # --- sync: background runs and "Sync now" both go through desk.sync; the status part shows it -----------
    @asyncSlot()
    async def start_pull(self) -> None:
        """Sync now (F5)."""
        if not self.desk.sync.running:
            with contextlib.suppress(asyncio.CancelledError, ApiError):  # reported by the status part
                await self.desk.sync.run()

    @asyncSlot()
    async def start_full_resync(self) -> None:
        """Read everything again and drop contacts the account no longer has (slow on big accounts)."""
        if not self.desk.sync.running:
            with contextlib.suppress(asyncio.CancelledError, ApiError):
                await self.desk.sync.full_resync()

    # --- desktop citizenship: help, remembered layout -------------------------------------------------------
    def show_log(self) -> None:
        from ccdesk.logsetup import log_dir

        path = log_dir() / "ccdesk.log"
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            inform(self, "Log file", f"The log is in:\n{path}\n\nTokens and email addresses are "
                                    "left out of it, so it is safe to send to your IT team.")

    def save_layout(self) -> None:
        settings = QSettings("ccdesk", "ccdesk")
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.contacts.saveState())
        settings.setValue("window/tab", self.tabs.currentIndex())

    def restore_layout(self) -> None:
        settings = QSettings("ccdesk", "ccdesk")
        if (geometry := settings.value("window/geometry")) is not None:
            self.restoreGeometry(geometry)
        if (split := settings.value("window/splitter")) is not None:
            self.contacts.restoreState(split)
        tab = settings.value("window/tab")
        if tab is not None and 0 <= int(tab) < self.tabs.count():
            self.tabs.setCurrentIndex(int(tab))

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # --- shutdown -------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop everything that could still read the store; called before the desk closes."""
        self.contacts.shutdown()
        self.optouts.shutdown()
        self.status.shutdown()
        self.desk.sync.cancel()
        self.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        waiting = len(self.desk.reads.pending())
        if waiting and self.confirm_quit_with_pending:
            answer = QMessageBox.question(
                self, "Changes still waiting",
                f"{plural(waiting, 'change')} {is_are(waiting)} still waiting to be sent to Constant "
                "Contact. They are kept and sent the next time you start ccdesk.\n\nQuit now?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.desk.sync.cancel()
        self.save_layout()
        super().closeEvent(event)
