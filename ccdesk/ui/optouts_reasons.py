"""The "Top reasons" bars, painted directly: every reason keeps its label at any window size.

A pyqtgraph axis drops tick labels that would touch, so at some heights half the reasons lost their names.
Here each reason gets a row of at least one line of text; the widget asks for that much height, and a long
reason is shortened with "…" (the full text is in the table and the Reason filter), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

BAR_COLOUR = QColor(120, 120, 120)


@dataclass(frozen=True)
class ReasonRow:
    label: str  # as drawn (elided to fit)
    count: int
    label_rect: QRect
    bar_rect: QRect


class ReasonBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reasons: list[tuple[str, int]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Most frequent opt-out reasons")

    def set_reasons(self, reasons: list[tuple[str, int]]) -> None:
        self.reasons = list(reasons)
        self.setAccessibleDescription("; ".join(f"{reason}: {n}" for reason, n in self.reasons)
                                      or "No opt-outs in this period")
        self.updateGeometry()
        self.update()

    def _line(self) -> int:
        return self.fontMetrics().height() + 6

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 30, self._line() * (2 + max(1, len(self.reasons))))

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 50, self.minimumSizeHint().height())

    def title_rect(self) -> QRect:
        return QRect(0, 0, self.width(), self._line())

    def rows(self) -> list[ReasonRow]:
        """Where each reason's label and bar go at the current size."""
        if not self.reasons:
            return []
        fm = self.fontMetrics()
        top = self._line()
        height = max(fm.height() + 2, min(2 * self._line(), (self.height() - top) // len(self.reasons)))
        label_width = min(fm.averageCharWidth() * 44, self.width() * 9 // 20)
        count_width = fm.horizontalAdvance(f" {max(n for _, n in self.reasons):,} ")
        bar_space = max(1, self.width() - label_width - count_width - 12)
        most = max(n for _, n in self.reasons) or 1
        result = []
        for i, (reason, n) in enumerate(self.reasons):
            y = top + i * height
            label_rect = QRect(0, y, label_width, height)
            bar = QRect(label_width + 8, y + height // 6, max(2, round(bar_space * n / most)), height - height // 3)
            text = fm.elidedText(reason, Qt.TextElideMode.ElideRight, label_width - 4)
            result.append(ReasonRow(text, n, label_rect, bar))
        return result

    def event(self, event: QEvent) -> bool:
        """The full reason and its count as a tooltip: a long reason is shortened on its row."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            for row, (reason, n) in zip(self.rows(), self.reasons, strict=False):
                if row.label_rect.top() <= event.pos().y() <= row.label_rect.bottom():
                    QToolTip.showText(event.globalPos(), f"{reason}: {n:,}", self)
                    return True
            QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text_colour = self.palette().text().color()
        painter.setPen(text_colour)
        title_font = self.font()
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.drawText(self.title_rect(), Qt.AlignmentFlag.AlignCenter, "Top reasons")
        painter.setFont(self.font())
        if not self.reasons:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No opt-outs in this period")
            return
        for row in self.rows():
            painter.setPen(text_colour)
            painter.drawText(row.label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.label)
            painter.fillRect(row.bar_rect, BAR_COLOUR)
            count_rect = QRect(row.bar_rect.right() + 4, row.label_rect.top(), 200, row.label_rect.height())
            painter.drawText(count_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{row.count:,}")
