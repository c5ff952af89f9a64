"""Recent opt-outs agrees with the notice, draws honest charts at every size, and opens contacts (issue 15, 7)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ccdesk.services.sync import SyncResult
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.main_window import MainWindow
from ccdesk.ui.optouts_tab import OptOutsTab
from tests.ui.test_optouts_tab import optout, tab  # noqa: F401 - the tab fixture
from tests.ui.test_window_ux import window  # noqa: F401 - the window fixture


def test_since_last_check_lists_what_the_notice_announced(tab: OptOutsTab, tmp_path: Path) -> None:  # noqa: F811
    tab.on_sync_finished(SyncResult(full_pull=True))
    # Three opt-outs the next check finds: one made two days ago (seen late), two made just now.
    late = [optout(900 + i, days_ago=d, source="Contact", reason="Moved away") for i, d in enumerate((2, 0, 0))]
    with DeskDatabase(tab.reads.path) as s:
        s.upsert_contacts(late)
    tab.on_sync_finished(SyncResult(new_optouts=[c["contact_id"] for c in late]))
    tab.preset.setCurrentIndex(tab.preset.findData("since_last"))
    assert tab.model.rowCount() == 3
    assert tab.summary.text().startswith("3 opt-outs found by the check at")
    said = tab.summary.text()
    # the two checks ran within a minute: seconds tell them apart ("at 20:25 (new since 20:25)" read oddly)
    assert re.search(r"found by the check at \d\d:\d\d:\d\d \(new since \d\d:\d\d:\d\d\)", said), said
    # The next check finds nothing new: the notice may still be up, so "Show them" / "Since last check" still
    # list what it announced, with the time of the check that found them (it showed none before).
    tab.on_sync_finished(SyncResult(new_optouts=[]))
    assert tab.model.rowCount() == 3 and tab.summary.text() == said
    newer = optout(950, days_ago=0, source="Account", reason="Moved away")
    with DeskDatabase(tab.reads.path) as s:
        s.upsert_contacts([newer])
    tab.on_sync_finished(SyncResult(new_optouts=[newer["contact_id"]]))  # a new finding replaces it
    assert tab.model.rowCount() == 1


def test_an_empty_period_draws_no_negative_axis(tab: OptOutsTab) -> None:  # noqa: F811
    tab.preset.setCurrentIndex(tab.preset.findData("custom"))
    tab.from_edit.setDate(tab.from_edit.date().addYears(-9))
    tab.to_edit.setDate(tab.from_edit.date().addDays(20))
    assert tab.model.rowCount() == 0
    (_x0, _x1), (y0, y1) = tab.chart.weeks_plot.getViewBox().viewRange()
    assert y0 >= 0 and y1 >= 1
    assert tab.chart.reasons.rows() == []


def _eight_reasons(tab: OptOutsTab) -> None:  # noqa: F811
    rows = [optout(2000 + i, days_ago=i % 20, source="Contact", reason=f"Reason number {i % 8} " + "long " * (i % 8))
            for i in range(80)]
    with DeskDatabase(tab.reads.path) as s:
        s.upsert_contacts(rows)
    tab.preset.setCurrentIndex(tab.preset.findData("30"))
    tab.refresh()


def test_every_top_reason_is_labelled_and_the_legend_is_clear(tab: OptOutsTab) -> None:  # noqa: F811
    _eight_reasons(tab)
    for width, height in ((1920, 1040), (1024, 560)):
        tab.resize(width, height)
        QApplication.processEvents()
        bars = tab.chart.reasons
        rows = bars.rows()
        assert len(rows) == 8
        for row in rows:
            assert row.label and row.label_rect.height() >= bars.fontMetrics().height()
            assert row.label_rect.bottom() <= bars.height()
        legend = tab.chart.legend.geometry()
        assert not legend.intersects(tab.chart.weeks_plot.geometry())


def test_disabled_dates_show_the_period_shown(tab: OptOutsTab) -> None:  # noqa: F811
    tab.preset.setCurrentIndex(tab.preset.findData("7"))
    assert not tab.from_edit.isEnabled()
    assert tab.from_edit.date().toPython() == date.today() - timedelta(days=7)
    assert tab.to_edit.date().toPython() == date.today()


def test_an_opt_out_row_opens_its_contact(window: MainWindow, qtbot) -> None:  # noqa: F811
    tabs = window.tabs
    tabs.setCurrentWidget(window.optouts)
    window.optouts.preset.setCurrentIndex(window.optouts.preset.findData("365"))
    assert window.optouts.model.rowCount() == 1
    assert not window.contacts.search_edit.isVisible()  # the contacts search does nothing here: hidden
    table = window.optouts.table
    table.setCurrentIndex(window.optouts.model.index(0, 1))
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert tabs.currentWidget() is window.contacts
    assert window.contacts.search_edit.isVisible()
    assert [r.contact_id for r in window.contacts.selected_rows()] == ["00000000-0000-0000-0000-000000000007"]
    assert "Too many emails" in window.contacts.details.badge.text()


def test_show_them_opens_recent_optouts_with_what_the_check_found(window: MainWindow, qtbot) -> None:  # noqa: F811
    """ "Show them" on the new-opt-outs notice lists exactly the opt-outs it announced, in Recent opt-outs (it
    used to open Contacts filtered to every unsubscribed contact), whatever filters that tab was left with."""
    window.desk.sync.finished.emit(SyncResult(full_pull=True))
    window.optouts.source.setCurrentIndex(window.optouts.source.findData("Account"))  # left on "By our team"
    new = [optout(950 + i, days_ago=0, source="Contact", reason="Moved away") for i in range(2)]
    with DeskDatabase(window.desk.reads.path) as s:
        s.upsert_contacts(new)
    window.desk.sync.finished.emit(SyncResult(new_optouts=[c["contact_id"] for c in new]))
    notice = window.status.notice
    assert notice.isVisible() and notice.label.text().startswith("2 new opt-outs since")
    qtbot.mouseClick(notice.action_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.optouts
    recent = window.optouts
    assert recent.preset.currentData() == "since_last" and recent.source.currentData() == ""
    assert sorted(r.contact_id for r in recent.model.rows) == sorted(c["contact_id"] for c in new)
    assert recent.summary.text().startswith("2 opt-outs found by the check at")
    assert not notice.isVisible()


def test_week_labels_never_overlap_and_counts_are_whole(tab: OptOutsTab, qtbot) -> None:  # noqa: F811
    """At 1024 px, 13 weeks of labels ran into each other ("07 Sep14 Sep21 Sep..."); the axis counted people in
    halves (0.5, 1.5)."""
    tab.resize(1000, 600)
    for preset in ("30", "365"):
        tab.preset.setCurrentIndex(tab.preset.findData(preset))
        QApplication.processEvents()
        chart = tab.chart
        ticks, width = chart.week_ticks, chart.weeks_plot.width()
        label = chart.fontMetrics().horizontalAdvance("30 Sep")
        assert ticks and len(ticks) * (label + 8) <= width, (len(ticks), width)
        assert all(spacing >= 1 for spacing, _offset in chart.weeks_plot.getAxis("left").tickSpacing(0, 3, 200))
    tab.resize(1800, 600)
    QApplication.processEvents()
    assert len(tab.chart.week_ticks) > len(ticks)  # wider: more labels fit
