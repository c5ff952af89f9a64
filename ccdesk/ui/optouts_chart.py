"""The opt-out chart: bars per week split by source, and the top reasons.

Drawn with pyqtgraph rather than QtCharts: QtCharts is not in PySide6-Essentials, and the full PySide6 adds
several hundred MB to the venv and the installer for this one chart; pyqtgraph is pure Python on top of the Qt
already shipped (plus numpy, about 40 MB), is actively maintained, renders through QGraphicsView so it works
offscreen in tests, and follows the palette. Matplotlib would pull in a second rendering stack for two bar charts.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from ccdesk.services.optout_stats import OptOutStats

CONTACT_COLOUR = (198, 40, 40)
ACCOUNT_COLOUR = (21, 101, 192)


class OptOutChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=None, foreground=self.palette().text().color())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.weeks_plot = pg.PlotWidget(title="Opt-outs per week")
        self.weeks_plot.setAccessibleName("Opt-outs per week, by who opted out")
        self.weeks_plot.addLegend(offset=(10, 10))
        self.weeks_plot.setMouseEnabled(x=False, y=False)
        self.weeks_plot.hideButtons()
        self.reasons_plot = pg.PlotWidget(title="Top reasons")
        self.reasons_plot.setAccessibleName("Most frequent opt-out reasons")
        self.reasons_plot.setMouseEnabled(x=False, y=False)
        self.reasons_plot.hideButtons()
        layout.addWidget(self.weeks_plot, 3)
        layout.addWidget(self.reasons_plot, 2)

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
        step = max(1, len(x) // 8)
        plot.getAxis("bottom").setTicks([[(i, w.strftime("%d %b")) for i, w in enumerate(stats.weeks)][::step]])
        plot.getAxis("left").setLabel("opt-outs")

        reasons = self.reasons_plot
        reasons.clear()
        labels = [r for r, _ in reversed(stats.reasons)]
        counts = [n for _, n in reversed(stats.reasons)]
        bars = pg.BarGraphItem(x0=0, y=list(range(len(counts))), height=0.7, width=counts,
                               brush=pg.mkBrush(120, 120, 120))
        reasons.addItem(bars)
        reasons.getAxis("left").setTicks([[(i, _short(label)) for i, label in enumerate(labels)]])
        reasons.getAxis("left").setWidth(150)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
