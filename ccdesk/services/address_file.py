"""Reading a file of email addresses that came from somewhere else (a CRM export, Excel, a text file).

Any column whose header looks like "email" is used, else the first column. UTF-8 (with or without BOM),
UTF-16 (what Excel's "Unicode text" writes) and Latin-1/Windows-1252 are read correctly. Blank lines,
surrounding spaces and duplicates (case-insensitive) are handled; invalid addresses are kept aside with
their line number so the preview can show them. Optional "reason" and "date" columns are picked up for Do
Not Mail imports.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .validation import is_valid_email

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ADDRESSES = 200_000  # ~14 hours of unsubscribes at the API's pace: more belongs in several files
EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address", "email_address", "emailaddress", "mail",
                 "courriel", "correo", "adresse e-mail")
REASON_HEADERS = ("reason", "opt_out_reason", "optout reason", "unsubscribe reason")
DATE_HEADERS = ("date", "opt_out_date", "optout date", "unsubscribed", "unsubscribe date", "received")


class AddressFileError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AddressRow:
    line: int
    email: str  # lower-cased, trimmed
    reason: str | None = None
    received: datetime | None = None


@dataclass
class AddressFile:
    path: Path
    encoding: str
    column: str
    rows: list[AddressRow] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    blank: int = 0

    @property
    def total_lines(self) -> int:
        return len(self.rows) + len(self.invalid) + self.duplicates + self.blank


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:  # UTF-16-LE text without a BOM
        return "utf-16-le"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut by the sample's end
            return "utf-8"
        return "cp1252"


def _binary_kind(head: bytes) -> str | None:
    """What a file that is not text looks like, or None for text (UTF-16 has NULs too, so it is let through)."""
    if head.startswith(b"PK\x03\x04"):
        return "an Excel workbook or another zip file"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel (.xls) or Word file"
    if head.startswith(b"%PDF"):
        return "a PDF"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and detect_encoding(head) != "utf-16-le":
        return "a binary file"
    return None


def _normal(header: str) -> str:
    return " ".join(header.strip().strip("\ufeff").lower().replace("_", " ").split())


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {_normal(n) for n in names}
    for i, h in enumerate(headers):
        if _normal(h) in wanted:
            return i
    for i, h in enumerate(headers):
        if any(w in _normal(h) for w in wanted if w in ("email", "e-mail", "reason")):
            return i
    return None


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    for fmt in (None, "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _lines(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """(line number in the file, cells) for each record."""
    # 8 KB of whole lines is plenty to tell the delimiter, and the sniffer's regular expressions hold the GIL:
    # on 64 KB they took ~100 ms, long enough to stall the window while a file is read on a worker thread.
    sample = text.read(8 * 1024)
    text.seek(0)
    if "\n" in sample[:-1]:
        sample = sample[: sample.rindex("\n", 0, len(sample) - 1) + 1]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    for cells in reader:
        yield reader.line_num, cells


def read_address_file(path: Path) -> AddressFile:
    """Read the whole file (streamed; 100,000 rows are fine). Raises AddressFileError with a plain message."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AddressFileError(f"{path.name} is {size // (1024 * 1024)} MB; ccdesk reads files up to "
                                   f"{MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller files.")
        with open(path, "rb") as raw:
            head = raw.read(64 * 1024)
        binary = _binary_kind(head)
        if binary:
            raise AddressFileError(f"{path.name} is {binary}, not a text file. Save it as CSV (in Excel: File → "
                                   "Save As → CSV UTF-8) and choose that file.")
        encoding = detect_encoding(head)
        with open(path, encoding=encoding, errors="strict", newline="") as text:
            return _read(path, encoding, text)
    except UnicodeDecodeError:
        with open(path, encoding="cp1252", errors="replace", newline="") as text:
            return _read(path, "cp1252", text)
    except OSError as exc:
        raise AddressFileError(f"Could not read {path.name}: {exc.strerror or exc}.") from exc
    except csv.Error as exc:
        raise AddressFileError(f"{path.name} is not a readable CSV or text file ({exc}).") from exc


def _guess_column(rows: list[tuple[int, list[str]]]) -> int | None:
    """The column holding the most valid addresses in a sample of rows, or None if none holds any."""
    hits: dict[int, int] = {}
    for _line, cells in rows:
        for i, cell in enumerate(cells):
            if is_valid_email(cell.strip().strip("<>\"' ").lower()):
                hits[i] = hits.get(i, 0) + 1
    return max(hits, key=lambda i: (hits[i], -i)) if hits else None


def _read(path: Path, encoding: str, text: io.TextIOBase) -> AddressFile:
    reader = _lines(text)
    first = next((record for record in reader if any(c.strip() for c in record[1])), None)
    if first is None:
        raise AddressFileError(f"{path.name} is empty.")
    headers = [c.strip() for c in first[1]]
    email_col = _find(headers, EMAIL_HEADERS)
    has_header = email_col is not None or not any(is_valid_email(c.strip()) for c in headers)
    sample = [first] if not has_header else []
    for cells in reader:  # a sample, to find the address column when no header names it
        sample.append(cells)
        if len(sample) >= 50:
            break
    if email_col is None:
        email_col = _guess_column(sample)
        if email_col is None and has_header:
            shown = ", ".join(f"\u201c{h}\u201d" for h in headers if h)[:300] or "none"
            raise AddressFileError(f"{path.name} has no column of email addresses (its columns: {shown}). "
                                   "Add a column named \u201cemail\u201d, or save a file with one address per line.")
        email_col = email_col or 0
    reason_col = _find(headers, REASON_HEADERS) if has_header else None
    date_col = _find(headers, DATE_HEADERS) if has_header else None
    column = headers[email_col] if has_header and len(headers) > email_col else f"column {email_col + 1}"
    result = AddressFile(path, encoding, column)
    seen: set[str] = set()

    def rows() -> Iterator[tuple[int, list[str]]]:
        yield from sample
        yield from reader

    for line, cells in rows():
        value = cells[email_col].strip() if len(cells) > email_col else ""
        if not value:
            result.blank += 1
            continue
        email = value.strip("<>\"' ").lower()
        if not is_valid_email(email):
            result.invalid.append((line, value[:200]))
            continue
        if email in seen:
            result.duplicates += 1
            continue
        seen.add(email)
        if len(result.rows) >= MAX_ADDRESSES:
            raise AddressFileError(f"{path.name} has more than {MAX_ADDRESSES:,} addresses. Split it into files of "
                                   f"at most {MAX_ADDRESSES:,} and run them one after the other.")
        reason = cells[reason_col].strip() if reason_col is not None and len(cells) > reason_col else None
        received = _parse_date(cells[date_col]) if date_col is not None and len(cells) > date_col else None
        result.rows.append(AddressRow(line, email, reason or None, received))
    if not result.rows and not result.invalid:
        raise AddressFileError(f"{path.name} has no email addresses in its column '{result.column}'.")
    return result
