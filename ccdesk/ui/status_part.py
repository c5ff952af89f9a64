"""The status bar and the notice above the tabs: sync progress, the waiting count, the quota, what the sender
and the sync report, and notices (new opt-outs, sign-in trouble, a locked file).

A part of the window (see README, Architecture): it listens to the desk's events itself, reads through
`desk.reads`, and says what the others should do with signals; it imports no other part.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from ccdesk.api import ApiError
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import ItemOutcome
from ccdesk.services.sync import SyncProgress, SyncResult
from ccdesk.wording import clock, plural

from .messages import warn
from .notice_bar import NoticeBar
from .status_bar import ActionMessages

log = logging.getLogger(__name__)

STAGE_WORDS = {"full pull": "Reading all contacts", "opt-outs": "Reading opt-outs", "changes": "Reading changes"}
QUOTA_TIP = ("Requests every ccdesk on this computer sent today with this API key (the window and scheduled "
             "commands); the allowance resets at 00:00 UTC.")


class StatusPart(QStatusBar):
    """Set as the window's status bar; `notice` is placed by the window above the tabs."""

    sync_running = Signal(bool)  # a sync started (True) or ended (False)
    sync_ended = Signal()  # the cache may have changed: lists and contacts are read again
    changed = Signal()  # the sender reported on an item: what is shown may have changed
    new_optouts = Signal(list)  # contact ids seen unsubscribed for the first time by a sync
    show_optouts_requested = Signal()  # "Show them" on the new opt-outs notice
    unsubscribe_waiting = Signal(frozenset)  # contact ids with an unsubscribe queued

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(self.setToolTip)  # a long message is cut at the bar's width: hover reads it all
        self.desk = desk
        self._last_checked: str | None = None
        self._bulk_items: set[int] = set()  # outbox ids of bulk runs from a file: their report shows failures
        self._store_notice = ""  # the notice shown for a locked file / full disk, taken down when it is over
        self.notice = NoticeBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(420)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(desk.sync.cancel)
        self.pending_label, self.last_sync_label, self.quota_label = QLabel(), QLabel(), QLabel()
        for widget in (self.quota_label, self.last_sync_label, self.pending_label, self.progress,
                       self.cancel_button):
            self.addPermanentWidget(widget)
        self.action_messages = ActionMessages(self)
        self._listen()
        # Every ccdesk process of this desk spends the API key's quota: show the shared count as it moves.
        self._quota_timer = QTimer(self, interval=5000)
        self._quota_timer.timeout.connect(self._show_desk_quota)
        self._quota_timer.start()
        self._show_desk_quota()
        self.refresh_pending()

    def _listen(self) -> None:
        desk = self.desk
        desk.sync.started.connect(self._on_sync_started)
        desk.sync.progress.connect(self._on_progress)
        desk.sync.finished.connect(self._on_sync_finished)
        desk.sync.stopped.connect(self._on_sync_stopped)
        desk.scheduler.failed.connect(self.show_notice)
        desk.scheduler.quota.connect(lambda q: self.quota_label.setText(
            f"Constant Contact allowance used today: {q.used:,} of {q.limit:,}"))
        desk.worker.item_finished.connect(self._on_item_finished)
        desk.worker.queue_changed.connect(self.refresh_pending)
        desk.worker.sign_in_required.connect(lambda message: self.show_notice(
            f"{message} Your queued changes are kept and will be sent after you sign in."))
        desk.worker.not_allowed.connect(self.show_notice)
        desk.worker.store_problem.connect(self._on_store_problem)
        desk.sender.problem.connect(lambda message: self.show_notice(
            f"{message} Nothing queued is lost; changes waiting are sent now."))

    # --- notices and messages ------------------------------------------------------------------------
    def show_notice(self, text: str) -> None:
        self.notice.show_message(text, kind="warning")

    def show_queued(self, item_ids: list[int], text: str) -> None:
        self.action_messages.queued(item_ids, text)

    def track_bulk(self, item_ids: Iterable[int]) -> None:
        self._bulk_items.update(item_ids)

    def _on_item_finished(self, outcome: ItemOutcome) -> None:
        bulk = outcome.item_id in self._bulk_items
        if outcome.why == "elsewhere":  # another ccdesk process on this PC sends it: neither refused nor failed
            self.action_messages.finished(outcome)
            self.changed.emit()
            return
        if outcome.final and not outcome.ok and bulk:
            self.showMessage(f"Failed: {outcome.message} (see the report)", 0)
        else:
            self.action_messages.finished(outcome)
        if outcome.final and not outcome.ok and not bulk:
            warn(self.window(), "Constant Contact refused a change", f"{outcome.message}\n\nThe change was not "
                 "made; it is listed as failed in the Activity tab.")
        self.changed.emit()

    def _on_store_problem(self, message: str) -> None:
        text = f"{message} Queued changes are kept and sent once the file can be written again."
        if message:
            self.show_notice(text)
            self._store_notice = text
        elif self._store_notice and self.notice.label.text() == self._store_notice:
            self.notice.show_message("")  # the problem is over: take its notice down (and only its)

    def show_new_optouts(self, contact_ids: list[str], since: str) -> None:
        """ "3 new opt-outs since 10:15", with a button that lists the newest opt-outs first."""
        n = len(contact_ids)
        rows = self.desk.reads.contacts(contact_ids[:3])
        names = ", ".join(r.email or r.display_name for r in rows)
        more = f" and {n - len(rows)} more" if n > len(rows) else ""
        self.notice.show_message(f"{plural(n, 'new opt-out')} since {since}: {names}{more}.",
                                 kind="info", action="Show them", on_action=self.show_optouts_requested.emit)

    # --- counts ----------------------------------------------------------------------------------------
    def refresh_pending(self) -> None:
        pending = self.desk.reads.pending()
        self.unsubscribe_waiting.emit(frozenset(i.contact_id for i in pending
                                                if i.kind == "unsubscribe" and i.contact_id))
        n = len(pending)
        # Not "all sent": a change withdrawn or discarded was never sent.
        self.pending_label.setText(f"{plural(n, 'change')} waiting to send" if n else "Nothing waiting to send")

    def _show_desk_quota(self) -> None:
        q = self.desk.quota.peek()
        if q is not None:
            self.quota_label.setText(f"Constant Contact allowance used today: {q.used:,} of {q.limit:,}")
            self.quota_label.setToolTip(QUOTA_TIP)

    # --- sync ------------------------------------------------------------------------------------------
    def _on_sync_started(self) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setVisible(True)
        self.sync_running.emit(True)
        self.showMessage("Reading changes from Constant Contact…")

    def _ended(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.sync_running.emit(False)
        self.sync_ended.emit()

    def _on_sync_finished(self, result: SyncResult) -> None:
        self._ended()
        if result.full_pull:
            text = f"Local copy up to date: {result.contacts_read:,} contacts read."
        else:
            n = len(result.new_optouts)
            text = f"Up to date. {plural(n, 'new opt-out')} since the last check." if n else \
                "Up to date. No new opt-outs since the last check."
            if n:
                self.show_new_optouts(list(result.new_optouts), self._last_checked or "the last check")
                self.new_optouts.emit(list(result.new_optouts))
        self.showMessage(text, 15000)
        self._last_checked = clock(datetime.now().astimezone())
        self.last_sync_label.setText(f"Last checked {self._last_checked}")

    def _on_sync_stopped(self, exc: BaseException) -> None:
        self._ended()
        if isinstance(exc, asyncio.CancelledError):
            self.showMessage("Sync cancelled; what was read so far is kept and the next sync continues from "
                             "there.", 10000)
        else:
            if isinstance(exc, ApiError):
                self.show_notice(f"Sync stopped: {exc.message} What was read so far is kept.")
            else:
                log.error("sync failed", exc_info=exc)
                self.show_notice("Sync stopped because of an unexpected problem (see Help → Show log). What was "
                                 "read so far is kept.")
            self.showMessage("Sync stopped (see the note above); what was read so far is kept.", 15000)

    def _on_progress(self, progress: SyncProgress) -> None:
        if progress.stage.startswith("waiting"):  # a scheduled command is syncing this cache; its result is reused
            self.showMessage(f"{progress.stage[0].upper()}{progress.stage[1:]}…")
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(min(progress.done, progress.total))
            stage = STAGE_WORDS.get(progress.stage, progress.stage)
            self.progress.setFormat(f"{stage}: {progress.done:,} of {progress.total:,}")
            self.progress.setMinimumWidth(self.progress.fontMetrics().horizontalAdvance(
                f"{stage}: {progress.total:,} of {progress.total:,}") + 40)

    def shutdown(self) -> None:
        self._quota_timer.stop()
