"""Choosing where a Do Not Mail export goes, so a feed of new opt-outs never replaces a full list.

The full list and the feed ("new opt-outs since the last export to this file") suggest different file names,
and the files written as full lists are remembered (per machine, in the window's settings): choosing one of
them for a feed is refused with a message, because the feed would replace the whole list with the few new
opt-outs (or with none).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

FULL_NAME = "do-not-mail.csv"
FEED_NAME = "do-not-mail-new-opt-outs.csv"
FULL_KEY = "exports/full_lists"


def _full_lists() -> list[str]:
    value = QSettings("ccdesk", "ccdesk").value(FULL_KEY) or []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def remember_full_list(path: Path) -> None:
    paths = [p for p in _full_lists() if p != str(path.resolve())]
    QSettings("ccdesk", "ccdesk").setValue(FULL_KEY, [*paths[-49:], str(path.resolve())])


def is_full_list(path: Path) -> bool:
    return path.exists() and str(path.resolve()) in _full_lists()


def choose_export_path(parent: QWidget, *, only_new: bool) -> Path | None:
    """Ask for the file (the feed has its own default name); None when the user gives up."""
    title = "Export new opt-outs" if only_new else "Export the Do Not Mail list"
    suggestion = FEED_NAME if only_new else FULL_NAME
    while True:
        chosen, _ = QFileDialog.getSaveFileName(parent, title, suggestion, "CSV files (*.csv)")
        if not chosen:
            return None
        path = Path(chosen)
        if not only_new:
            remember_full_list(path)
            return path
        if not is_full_list(path):
            return path
        QMessageBox.warning(
            parent, "Choose another file",
            f"{path.name} holds the full Do Not Mail list. The new opt-outs are written to a file of their own, "
            f"so that list is not replaced by the few new ones.\n\nChoose another name, for example {FEED_NAME}.")
        suggestion = str(path.with_name(FEED_NAME))
