"""The small widgets and wording helpers the dialogs share: headings, notices, lists with check boxes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStyle,
    QWidget,
)

from .requests import ContactChoice

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(day: date) -> str:
    """``Fri 5 Dec 2025``: unambiguous in every English locale, and independent of the C locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def error_color(palette: QPalette) -> QColor:
    """A red with at least 6:1 contrast on the palette's window colour, light or dark."""
    dark = palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5
    return QColor("#ff8a80") if dark else QColor("#b3261e")


def set_text_color(label: QLabel, color: QColor | None) -> None:
    """Colour a label's text (None: back to the palette's normal text colour)."""
    palette = QPalette()  # resolves nothing: every role not set here comes from the parent
    if color is not None:
        palette.setColor(QPalette.ColorRole.WindowText, color)
    label.setPalette(palette)


def muted_color(palette: QPalette) -> QColor:
    """Secondary text: the palette's placeholder colour, which themes keep readable."""
    return palette.color(QPalette.ColorRole.PlaceholderText)


def wrapped(text: str = "", *, rich: bool = False, selectable: bool = False) -> QLabel:
    """A word-wrapped label that grows in height rather than widening the dialog."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    # setWordWrap() gave the label a height-for-width size policy; replacing the policy would lose that.
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def heading(text: str) -> QLabel:
    """A bold title, 1.25 times the dialog's font (relative, so it follows the user's font size and DPI)."""
    label = wrapped(text)
    font = QFont(label.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * 1.25)
    else:
        font.setPixelSize(round(font.pixelSize() * 1.25))
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def bold(text: str) -> QLabel:
    label = wrapped(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


class Notice(QFrame):
    """A framed message with a standard icon: "warning", "info" or "error". Colours come from the palette."""

    _ICONS: ClassVar[dict[str, QStyle.StandardPixmap]] = {
        "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
        "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    }

    def __init__(self, kind: str, text: str, parent: QWidget | None = None, *, rich: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # palette(...) in a style sheet follows the current palette, so this works in dark mode too.
        self.setStyleSheet(
            "QFrame#notice { background: palette(alternate-base); border: 1px solid palette(mid);"
            " border-radius: 4px; }"
        )
        layout = QHBoxLayout(self)
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(self.style().standardIcon(self._ICONS[kind]).pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        icon.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.text_label = wrapped(text, rich=rich, selectable=True)
        self.text_label.setStyleSheet("background: transparent; border: none;")
        layout.addWidget(icon)
        layout.addWidget(self.text_label, 1)
        self._kind = kind
        self.setText(text)

    def setText(self, text: str) -> None:
        self.text_label.setText(text)
        self.setAccessibleName(f"{self._kind.capitalize()}: {self.text_label.text()}")

    def text(self) -> str:
        return self.text_label.text()


class RowsListWidget(QListWidget):
    """A list whose size hint is "about N rows" instead of Qt's fixed 256x192, so short lists stay short and
    long ones scroll; it still grows when the dialog is made bigger."""

    def __init__(self, hint_rows: int, min_rows: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint_rows = hint_rows
        self._min_rows = min_rows
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(True)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(False)

    def _rows_height(self, rows: int) -> int:
        fallback = self.fontMetrics().height() + 4
        shown = min(rows, self.count())
        total = sum(max(self.sizeHintForRow(i), fallback) for i in range(shown))
        total += fallback * max(0, 1 - shown)  # an empty list is still one row tall
        return total + 2 * self.frameWidth() + 2

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._rows_height(self._hint_rows))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self._rows_height(self._min_rows))


def contact_list(contacts: Sequence[ContactChoice], accessible_name: str, *, notes: Sequence[str] = ()) -> QListWidget:
    """A read-only, scrollable list of contacts (``Name <email>`` and an optional note), about five rows tall."""
    widget = RowsListWidget(hint_rows=5, min_rows=2)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable with Tab to scroll it, but not by clicking
    widget.setAccessibleName(accessible_name)
    for i, contact in enumerate(contacts):
        text = contact.label if i >= len(notes) or not notes[i] else f"{contact.label} \u2014 {notes[i]}"
        item = QListWidgetItem(text)
        item.setToolTip(text)
        widget.addItem(item)
    policy = QSizePolicy.Policy.Expanding if len(contacts) > 5 else QSizePolicy.Policy.Maximum
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, policy)
    return widget


def checkable_list(rows: Sequence[tuple[str, str, bool]], accessible_name: str) -> QListWidget:
    """A list of (id, text, checked) rows with check boxes, up to eight rows tall before it scrolls.

    No row looks selected (a highlighted row reads as "chosen" next to check boxes); the keyboard still moves a
    focus frame with the arrow keys and Space toggles the row under it.
    """
    widget = RowsListWidget(hint_rows=8, min_rows=3)
    widget.setAccessibleName(accessible_name)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    for list_id, text, checked in rows:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, list_id)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip(text)
        widget.addItem(item)
    if widget.count():
        widget.setCurrentRow(0)
    policy = QSizePolicy.Policy.Expanding if len(rows) > 8 else QSizePolicy.Policy.Preferred
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, policy)
    return widget


def checked_ids(widget: QListWidget) -> tuple[str, ...]:
    """The ids of the checked rows, in display order."""
    return tuple(
        str(widget.item(i).data(Qt.ItemDataRole.UserRole))
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    )


def isolate(text: str) -> str:
    """User text (a name, an email, a list name) wrapped in Unicode direction isolates, so an Arabic or Hebrew
    name inside an English sentence does not flip the sentence's direction."""
    return f"\u2068{text}\u2069"



def join_and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
