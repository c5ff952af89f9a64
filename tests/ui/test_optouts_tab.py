"""The Recent opt-outs tab over a real cache: periods, source and reason filters, counts, chart, export."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.services.optout_stats import optout_stats
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.optouts_tab import OptOutsTab

NOW = datetime.now(UTC)


def optout(i: int, days_ago: float, source: str, reason: str | None) -> dict:
    when = NOW - timedelta(days=days_ago)
    email = {"address": f"o{i}@example.com", "permission_to_send": "unsubscribed", "opt_out_source": source,
             "opt_out_date": when.isoformat()}
    if reason:
        email["opt_out_reason"] = reason
    return {"contact_id": f"00000000-0000-0000-0000-{i:012d}", "first_name": f"P{i}", "email_address": email,
            "created_at": (NOW - timedelta(days=800)).isoformat(), "updated_at": when.isoformat(),
            "list_memberships": []}


@pytest.fixture
def tab(qtbot, tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    rows = [optout(i, days_ago=i * 3.1, source="Contact" if i % 3 else "Account",
                   reason=("Too many emails", "Not relevant", None)[i % 3]) for i in range(120)]
    with DeskDatabase(db) as s:
        s.upsert_contacts(rows)
    desk = Desk(CCClient(StaticTokenProvider("x"), base_url="http://127.0.0.1:9/v3"), db)
    widget = OptOutsTab(desk)
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    yield widget
    desk.reads.close()
    desk.db.close()


def test_presets_and_counts(tab: OptOutsTab) -> None:
    tab.preset.setCurrentIndex(tab.preset.findData("30"))
    in_30 = tab.model.rowCount()
    assert in_30 == 10  # days 0, 3.1, ... 27.9
    assert "10 opt-outs" in tab.summary.text()
    tab.preset.setCurrentIndex(tab.preset.findData("365"))
    start = tab.period().since  # midnight, a year ago: the date the box shows, as custom dates count
    assert (start.hour, start.minute) == (0, 0)
    assert tab.model.rowCount() == sum(1 for i in range(120) if NOW - timedelta(days=i * 3.1) >= start)
    assert tab.model.rowCount() in (118, 119)  # 117 * 3.1 < 365 < 118 * 3.1 < 366
    first = tab.model.data(tab.model.index(0, 0))
    assert first.startswith(NOW.astimezone().strftime("%Y-%m-%d"))


def test_custom_dates_typed_the_other_way_round_mean_the_range_between_them(tab: OptOutsTab) -> None:
    tab.preset.setCurrentIndex(tab.preset.findData("30"))
    in_30 = tab.model.rowCount()
    tab.preset.setCurrentIndex(tab.preset.findData("custom"))
    today = tab.to_edit.date()
    tab.to_edit.setDate(today.addDays(-30))  # "to" before "from"
    tab.from_edit.setDate(today)
    assert tab.from_edit.date() == today and tab.to_edit.date() == today.addDays(-30)  # never moved while typed
    assert tab.model.rowCount() == in_30  # the same days as the preset: it starts at the same midnight
    assert tab.period().since < tab.period().until


def test_source_and_reason_filters(tab: OptOutsTab) -> None:
    tab.preset.setCurrentIndex(tab.preset.findData("365"))
    tab.source.setCurrentIndex(tab.source.findData("Account"))
    assert all(tab.model.data(tab.model.index(r, 3)) == "Our team" for r in range(tab.model.rowCount()))
    tab.source.setCurrentIndex(0)
    index = tab.reason.findData("Not relevant")
    assert index > 0
    tab.reason.setCurrentIndex(index)
    tab.reason.activated.emit(index)
    reasons = {tab.model.data(tab.model.index(r, 4)) for r in range(tab.model.rowCount())}
    assert reasons == {"Not relevant"}


def test_chart_renders(tab: OptOutsTab) -> None:
    tab.preset.setCurrentIndex(tab.preset.findData("365"))
    assert tab.chart is not None
    image = tab.chart.grab().toImage()
    assert not image.isNull() and image.width() > 100


def test_weekly_buckets_have_every_week_and_add_up(tmp_path: Path) -> None:
    rows_src = [optout(i, days_ago=i, source="Account" if i % 2 else "Contact", reason="x") for i in range(60)]
    with DeskDatabase(tmp_path / "w.sqlite3") as s:
        s.upsert_contacts(rows_src)
        rows = list(s.optouts())
    stats = optout_stats(rows, NOW - timedelta(days=70), NOW)
    assert len(stats.weeks) >= 10
    assert all((b - a).days == 7 for a, b in zip(stats.weeks, stats.weeks[1:], strict=False))
    assert stats.contact_total + stats.account_total == stats.total == 60
    assert stats.reasons == [("x", 60)]


async def test_export_this_view(tab: OptOutsTab, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    out = tmp_path / "view.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    monkeypatch.setattr(QMessageBox, "exec", lambda *_: pytest.fail("a modal loop inside the export coroutine"))
    tab.preset.setCurrentIndex(tab.preset.findData("30"))
    tab.export_view()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while getattr(tab, "message_box", None) is None:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    assert tab.message_box.isVisible() and "Saved 10 opt-outs" in tab.message_box.text()
    tab.message_box.close()
    with open(out, encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.reader(f))) == 11


async def test_a_period_is_read_on_the_database_thread(tab: OptOutsTab) -> None:
    """With the loop running, the period's rows and figures are read off the GUI thread and shown when ready."""
    tab.preset.setCurrentIndex(tab.preset.findData("7"))  # a refresh: the rows come later
    assert tab._reading is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while tab._reading is not None:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    assert tab.model.rowCount() == 3 and tab.summary.text().startswith("3 opt-outs from")


def test_no_lists_column_and_the_columns_fit_at_1024(tab: OptOutsTab) -> None:
    """Constant Contact takes an unsubscribed contact off every list: a "Lists" column would always be empty.
    What is shown fits a 1024-pixel window without scrolling sideways, a long address cut in the middle."""
    model = tab.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["Opted out", "Email", "Name", "Who", "Reason"]
    tab.resize(1000, 560)
    tab.preset.setCurrentIndex(tab.preset.findData("365"))
    QApplication.processEvents()
    assert tab.table.horizontalScrollBar().maximum() == 0
    email = model.index(0, titles.index("Email"))
    option = QStyleOptionViewItem()
    tab.table.itemDelegateForIndex(email).initStyleOption(option, email)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
