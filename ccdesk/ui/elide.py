"""Eliding an email address in a narrow table column: in the middle, so the end of the address (the domain,
often what tells two contacts apart) stays in view; other columns keep the usual "…" at the right."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView


class ElideMiddle(QStyledItemDelegate):
    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


def elide_in_the_middle(table: QTableView, column: int) -> None:
    """The column's text is cut in the middle when it does not fit (the delegate is owned by the table)."""
    table.setItemDelegateForColumn(column, ElideMiddle(table))
