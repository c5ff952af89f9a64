"""Status-bar messages about queued actions that never go stale.

"Queued 1 unsubscribe; sending…" stays up only while its items are on their way: when the sender reports on one
of them the message is replaced by what happened ("Sent", "Not sent yet: … will try again", "Not sent: …"). A
message about an outcome stays until something newer replaces it, so no success is shown for a failure.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from ccdesk.services.outbox import ItemOutcome

DONE_MS = 10_000  # a success can go after a while; a failure or a "will try again" stays until replaced


class ActionMessages(QObject):
    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self._waiting: set[int] = set()  # outbox ids the current "sending…" message is about

    def queued(self, item_ids: Iterable[int], text: str) -> None:
        self._waiting = set(item_ids)
        self.bar.showMessage(text, 0 if self._waiting else DONE_MS)

    def finished(self, outcome: ItemOutcome) -> None:
        """The sender's word on one item; replaces the "sending…" message it belongs to (or any message)."""
        if outcome.why == "elsewhere":  # another ccdesk process on this PC sends it and records its result
            self._waiting.discard(outcome.item_id)
            self.bar.showMessage(outcome.message, DONE_MS)
            return
        if not outcome.final:
            # a 403 pauses the sender until a Retry or a sign-in: it will not try again by itself
            again = "" if outcome.why in ("not_allowed", "sign_in") else " ccdesk will try again by itself."
            self.bar.showMessage(f"Not sent yet: {outcome.message}{again}", 0)
            return
        self._waiting.discard(outcome.item_id)
        if outcome.ok:
            more = f" ({len(self._waiting)} still sending…)" if self._waiting else ""
            self.bar.showMessage(f"Sent: {outcome.message}{more}", 0 if self._waiting else DONE_MS)
        else:
            self.bar.showMessage(f"Not sent: {outcome.message} (see the Activity tab)", 0)
