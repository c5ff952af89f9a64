"""`ccdesk --demo --smoke`: drive the real window once and say what worked (used by CI on the installed app)."""

from __future__ import annotations

import asyncio

from .main_window import MainWindow


class SmokeFailure(Exception):
    pass


async def _until(predicate, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise SmokeFailure(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def run_smoke(window: MainWindow, timeout_s: float = 60.0) -> str:
    """Wait for the first pull, search, open and cancel the unsubscribe dialog. Returns a one-line summary."""
    await _until(lambda: window.isVisible(), 10, "the main window to show")
    await _until(lambda: window.pull_finished, timeout_s, "the first pull of the account")
    contacts = window.contacts
    total = contacts.model.total
    if total == 0:
        raise SmokeFailure("the first pull finished but the cache is empty")
    first = contacts.model.row(0)
    assert first is not None
    term = (first.last_name or first.email or "a")[:4]
    contacts.search_edit.setText(term)
    contacts.apply_query()
    found = contacts.model.total
    if found == 0:
        raise SmokeFailure(f"searching for {term!r} found nothing")
    contacts.table.selectRow(0)
    await asyncio.sleep(0)
    rows = window.actions_part.selected_rows()
    if len(rows) != 1:
        raise SmokeFailure("selecting a search result did not select one contact")
    dialog = window.actions_part.unsubscribe_dialog(rows)
    dialog.show()
    await _until(dialog.isVisible, 5, "the unsubscribe dialog to open")
    dialog.reject()
    if dialog.result_request() is not None:
        raise SmokeFailure("the cancelled unsubscribe dialog still returned a request")
    if window.desk.reads.pending():
        raise SmokeFailure("cancelling the dialog queued an action")
    started = getattr(window, "started_in_s", None)
    shown = f" {started:.2f} s after launch" if started is not None else ""
    return (f"smoke ok: main window shown{shown}, {total:,} contacts pulled from the sandbox, search {term!r} found "
            f"{found:,}, unsubscribe dialog opened and cancelled with nothing queued")
