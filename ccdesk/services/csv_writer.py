"""The one CSV writer: exports, evidence files, bulk reports and the journal all go through `write_csv`.

The format spreadsheets and other systems expect: UTF-8 with a BOM (so Excel detects the encoding), RFC 4180
quoting with CRLF line ends. Rows stream to a temporary file that replaces the target only when complete
(ccdesk/files.py), so a full disk, a cancel or a second writer never leaves half a file under the chosen name.

One error policy: a file that cannot be written raises :class:`ccdesk.files.UnwritableTarget`, whose message
names the file, says why and what to do ("free some space or choose another folder"); nothing else is raised
for it, and the window and the commands show that message as it is.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ccdesk.files import AtomicResult, atomic_write

from .validation import is_valid_email

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_EVERY = 2000


class ExportCancelled(Exception):
    """The caller's cancel was set: nothing was written under the target name."""


@dataclass(frozen=True)
class CsvWritten:
    rows: int  # data rows, without the header
    saved_ns: int  # when the file was put in place (time.time_ns())


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *,
              on_progress: Callable[[int], None] | None = None,
              cancel: threading.Event | None = None) -> CsvWritten:
    """Stream `rows` under `header` into `path`, whole or not at all. `on_progress(rows so far)` every
    PROGRESS_EVERY rows and at the end; a set `cancel` stops with ExportCancelled."""
    count = 0
    placed: list[AtomicResult] = []
    with atomic_write(Path(path), encoding="utf-8-sig", result=placed) as out:
        writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(list(header))
        for row in rows:
            if cancel is not None and cancel.is_set():
                raise ExportCancelled()
            writer.writerow(row)
            count += 1
            if on_progress and count % PROGRESS_EVERY == 0:
                on_progress(count)
    if on_progress:
        on_progress(count)
    return CsvWritten(count, placed[0].saved_ns)


def neutralise(value: str) -> str:
    """Keep spreadsheets from treating data as a formula (OWASP CSV injection guidance). A valid email address
    is never changed: it is data another system matches on."""
    if value.startswith(FORMULA_STARTS) and not is_valid_email(value):
        return "'" + value
    return value


def iso_seconds(value: datetime | None) -> str:
    """``2026-05-01T09:30:00+00:00``: whole seconds with the offset ("" for no date; naive means UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.replace(microsecond=0).isoformat()
