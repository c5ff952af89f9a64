"""The sender keeps sending while a message box is open, and is restarted (and shown) if it ever stops."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ccdesk.sandbox.server import SandboxServer
from tests.ui.test_window_e2e import fill_unsubscribe, find, mailable_with_lists, running, sb
from tests.ui.waiting import until


def open_box(title: str) -> QMessageBox | None:
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == title:
            return w
    return None


def unsubscribed(server: SandboxServer, contact_id: str) -> bool:
    return sb(server).contact_json(contact_id)["email_address"]["permission_to_send"] == "unsubscribed"


def stop_loop_if_stuck(after_s: float, done: list[bool]) -> None:
    """Before the fix a modal box stalled every task, this test's own too: stop the loop (a failure, not a hang)."""
    def guard() -> None:
        if not done:
            for w in QApplication.topLevelWidgets():
                if isinstance(w, QMessageBox):
                    w.done(0)
            asyncio.get_event_loop().stop()
    QTimer.singleShot(int(after_s * 1000), guard)


@pytest.mark.parametrize("hold_s", [3, pytest.param(60, marks=pytest.mark.slow)])
async def test_unsubscribe_is_sent_while_export_finished_box_stays_open(server: SandboxServer, tmp_path: Path,
                                                                        hold_s: int) -> None:
    done: list[bool] = []
    stop_loop_if_stuck(hold_s + 30, done)
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        app.window.actions_part._run_export(tmp_path / "do-not-mail.csv", False)
        await until(lambda: open_box("Export finished") is not None)
        box = open_box("Export finished")
        loop = asyncio.get_running_loop()
        opened = loop.time()
        # The long hold lets the sender's idle poll (30 s) come round while the box is open, then queues.
        await asyncio.sleep(max(0.0, hold_s - 15))
        find(app, contact["email_address"]["address"])
        fill_unsubscribe(app.window.actions_part.unsubscribe_selected(), "Asked by phone")
        await until(lambda: unsubscribed(server, contact["contact_id"]), timeout=10)
        await asyncio.sleep(max(0.0, opened + hold_s - loop.time()))
        assert box.isVisible(), "the box stayed open the whole time"
        box.done(0)
        done.append(True)


async def test_a_stuck_sender_is_replaced_and_shown(server: SandboxServer, tmp_path: Path, monkeypatch) -> None:
    """A real stall: a nested event loop inside a coroutine while the sender is woken leaves its task pending
    forever ("Cannot enter into task"). The supervisor starts a new one, which sends, and the window says so."""
    async with running(server, tmp_path / "cache.sqlite3") as app:
        app.desk.sender._check_every_s = 0.2
        app.desk.sender._restart_delay_s = 0.1
        contact = mailable_with_lists(server)
        stuck = app.desk.sender.task
        loop = asyncio.get_running_loop()
        handler = loop.get_exception_handler()
        loop.set_exception_handler(lambda _loop, _ctx: None)  # the refused step is reported there; expected here
        try:
            await app.desk.actions.unsubscribe([contact["contact_id"]], "By email", "Contact")
            nested = QEventLoop()  # what QMessageBox.exec() does, inside this coroutine
            QTimer.singleShot(1500, nested.quit)
            nested.exec()
        finally:
            loop.set_exception_handler(handler)
        await until(lambda: unsubscribed(server, contact["contact_id"]), timeout=30)
        assert app.desk.sender.restarts == 1 and app.desk.sender.task is not stuck
        assert "sender stopped responding" in app.window.status.notice.label.text()
        find(app, contact["email_address"]["address"])
        await until(lambda: "Unsubscribed" in app.window.contacts.details.badge.text())
    forget_refused_tasks(stuck)


def forget_refused_tasks(stuck: asyncio.Task | None) -> None:
    """Tasks whose step the nested loop refused can never run again, so cancelling them at loop close would wait
    forever: take them off asyncio's list (the app itself never makes such a task any more)."""
    for task in asyncio.all_tasks():
        waiter = getattr(task, "_fut_waiter", None)
        never_started = inspect.getcoroutinestate(task.get_coro()) == inspect.CORO_CREATED
        if task is stuck or (task is not asyncio.current_task() and (
                never_started or (waiter is not None and waiter.done()))):
            asyncio.tasks._unregister_task(task)
