"""The three kinds of bulk work from a file and their titles (apart from the dialog, which is imported only
when a file is opened: it brings the file reader and the bulk services with it)."""

from __future__ import annotations

from enum import StrEnum


class BulkMode(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    REMOVE = "remove"
    IMPORT = "import"  # a Do Not Mail list from another system: unsubscribes, each row's own reason and date


TITLES = {BulkMode.UNSUBSCRIBE: "Unsubscribe from file", BulkMode.REMOVE: "Remove from lists by file",
          BulkMode.IMPORT: "Import a Do Not Mail list"}
