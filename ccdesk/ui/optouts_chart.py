"""The opt-out chart: bars per week split by source, and the top reasons.

Drawn with pyqtgraph rather than QtCharts: QtCharts is not in PySide6-Essentials, and the full PySide6 adds
several hundred MB to the venv and the installer for this one chart; pyqtgraph is pure Python on top of the Qt
already shipped (plus numpy, about 40 MB), is actively maintained, renders through QGraphicsView so it works
offscreen in tests, and follows the palette. Matplotlib would pull in a second rendering stack for two bar charts.
"""

from __future__ import annotations

import math
from datetime import date

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ccdesk.services.optout_stats import OptOutStats

from .optouts_reasons import ReasonBars

CONTACT_COLOUR = (198, 40, 40)
ACCOUNT_COLOUR = (21, 101, 192)


class OptOutChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=None, foreground=self.palette().text().color())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        weeks = QWidget()
        column = QVBoxLayout(weeks)
        column.setContentsMargins(0, 0, 0, 0)
        # The legend is a line of its own above the plot: inside the plot it covered the bars on small screens.
        self.legend = QLabel(" &nbsp; ".join(
            f'<span style="color:rgb{colour}">&#9632;</span> {text}'
            for colour, text in ((CONTACT_COLOUR, "By the contact"), (ACCOUNT_COLOUR, "By our team"))))
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.weeks_plot = pg.PlotWidget(title="Opt-outs per week")
        self.weeks_plot.setAccessibleName("Opt-outs per week, by who opted out")
        self.weeks_plot.setMouseEnabled(x=False, y=False)
        self.weeks_plot.hideButtons()
        column.addWidget(self.legend)
        column.addWidget(self.weeks_plot, 1)
        self.reasons = ReasonBars()
        self._weeks: list[date] = []
        self.week_ticks: list[tuple[int, str]] = []
        self.weeks_plot.installEventFilter(self)  # the labels that fit depend on the plot's width
        layout.addWidget(weeks, 3)
        layout.addWidget(self.reasons, 2)

    def _label_weeks(self) -> None:
        """As many week labels as fit side by side at the plot's width (13 weeks at 1024 px overlapped)."""
        label = self.fontMetrics().horizontalAdvance("30 Sep") + 24
        room = max(label, self.weeks_plot.width() - 60)  # less the left axis
        step = max(1, math.ceil(len(self._weeks) * label / room))
        self.week_ticks = [(i, w.strftime("%d %b")) for i, w in enumerate(self._weeks)][::step]
        self.weeks_plot.getAxis("bottom").setTicks([self.week_ticks])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.weeks_plot and event.type() == QEvent.Type.Resize:
            self._label_weeks()
        return super().eventFilter(watched, event)

    def show_stats(self, stats: OptOutStats) -> None:
        plot = self.weeks_plot
        plot.clear()
        x = list(range(len(stats.weeks)))
        contact = pg.BarGraphItem(x=x, height=stats.by_contact, width=0.8, brush=pg.mkBrush(*CONTACT_COLOUR),
                                  name="By the contact")
        account = pg.BarGraphItem(x=x, y0=stats.by_contact, height=stats.by_account, width=0.8,
                                  brush=pg.mkBrush(*ACCOUNT_COLOUR), name="By our team")
        plot.addItem(contact)
        plot.addItem(account)
        self._weeks = list(stats.weeks)
        self._label_weeks()
        # Fixed ranges: no opt-outs (or none yet) would otherwise autorange to a meaningless -3...3.
        highest = max((c + a for c, a in zip(stats.by_contact, stats.by_account, strict=True)), default=0)
        whole = max(1, math.ceil(highest / 5))  # people are counted in whole numbers: no 0.5 or 1.5 on the axis
        plot.getAxis("left").setTickSpacing(whole, whole)
        plot.setYRange(0, max(highest, 1) * 1.1, padding=0)
        plot.setXRange(-0.5, max(len(x), 1) - 0.5, padding=0)
        self.reasons.set_reasons(stats.reasons)
