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
import itertools
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ccdesk.file_kinds import known_kind
from ccdesk.wording import plural

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
    # In a file that mixes encodings: the lines read as Windows-1252 (the rest is UTF-8), for the preview.
    other_encoding_lines: list[int] = field(default_factory=list)
    repeats: list[tuple[int, str]] = field(default_factory=list)  # (line, address) of each duplicate row
    # (line, text) of each received-on date that could not be read, or not without guessing its order
    unread_dates: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total_lines(self) -> int:
        return len(self.rows) + len(self.invalid) + self.duplicates + self.blank


def detect_encoding(head: bytes) -> str:
    """The file's encoding from its first bytes. For 8-bit files this is only the label: each line is decoded
    on its own (see :func:`_decoded_lines`), so one Windows-1252 row in a UTF-8 file is read right."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    wide = _wide_without_bom(head)
    if wide:
        return wide
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut by the sample's end
            return "utf-8"
        return "cp1252"


def _wide_without_bom(head: bytes) -> str | None:
    """UTF-32 or UTF-16 text without a BOM, told by where the zero bytes of ASCII characters fall."""
    sample = head[: len(head) - len(head) % 4]
    if len(sample) < 4:
        return None
    quarter = len(sample) // 4
    zeros = [sample[i::4].count(0) for i in range(4)]
    if zeros[1] == zeros[2] == zeros[3] == quarter and zeros[0] < quarter:
        return "utf-32-le"
    if zeros[0] == zeros[1] == zeros[2] == quarter and zeros[3] < quarter:
        return "utf-32-be"
    half = len(sample) // 2
    if sample[1::2].count(0) > half // 2 and sample[0::2].count(0) < half // 4:
        return "utf-16-le"
    if sample[0::2].count(0) > half // 2 and sample[1::2].count(0) < half // 4:
        return "utf-16-be"
    return None


def _binary_kind(head: bytes) -> str | None:
    """What a file that is not text looks like, or None for text (UTF-16/32 have NULs too, so they pass)."""
    known = known_kind(head)
    if known is not None:
        return known
    if b"\x00" in head and not detect_encoding(head).startswith(("utf-16", "utf-32")):
        return "a binary file"
    return None


class ReadCancelled(Exception):
    """The read was stopped (Ctrl+C, the dialog closed); nothing was read."""


_LINE = re.compile(rb"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # one line with its end (CR, LF or CRLF)
BLOCK_BYTES = 1 << 20
CANCEL_CHECK_LINES = 512
FALLBACK = "cp1252"


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An fd on `path` if it is a regular file. Opened without blocking, so a named pipe (which would wait for
    a writer for ever) or a device is refused instead of hanging."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                    else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise AddressFileError(f"{path.name or path} is {kind}, not a file ccdesk can read addresses from. "
                                   "Save the addresses as a CSV or text file and choose that file.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return fd, st
    except BaseException:
        os.close(fd)
        raise


@dataclass
class _Decoding:
    """What was used, line by line, for an 8-bit file."""

    label: str
    fallback_lines: list[int] = field(default_factory=list)
    utf8_beyond_ascii: int = 0  # lines with non-ASCII text that were valid UTF-8

    def name(self) -> str:
        if not self.fallback_lines:
            return "utf-8" if self.label == FALLBACK else self.label
        if not self.utf8_beyond_ascii:
            return FALLBACK
        return f"utf-8 with {plural(self.fallback_lines, 'line')} in Windows-1252 (cp1252)"


def _decoded_lines(raw: io.BufferedReader, encoding: str, used: _Decoding, path: Path,
                   cancel: threading.Event | None) -> Iterator[str]:
    """The file's lines as text, line ends kept (as csv expects with newline=""); a leading BOM (even two)
    dropped. 8-bit files are decoded per line: UTF-8 where the line is valid UTF-8, else Windows-1252; a line
    that is neither is refused with its number."""
    number = 0
    if encoding.startswith(("utf-16", "utf-32")):
        wide = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            for number, line in enumerate(wide, start=1):
                if cancel is not None and number % CANCEL_CHECK_LINES == 0 and cancel.is_set():
                    raise ReadCancelled()
                yield line.lstrip("\ufeff") if number == 1 else line
        except UnicodeDecodeError:
            raise AddressFileError(f"{path.name} is not valid {encoding.upper()} text after line {number}. Save it "
                                   "again as CSV UTF-8 and choose that file.") from None
        return
    # Blocks of ~1 MB ending at a line end: a block that is valid UTF-8 (nearly always) is split as text; only a
    # block that is not is decoded line by line, each line as UTF-8 or else as Windows-1252.
    while True:
        if cancel is not None and cancel.is_set():
            raise ReadCancelled()
        block = raw.read(BLOCK_BYTES)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += raw.readline()
        if number == 0:
            while block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8):]
        try:
            lines: Iterator[tuple[str | None, bool]] = ((line, False) for line in io.StringIO(block.decode("utf-8"),
                                                                                            newline=""))
            used.utf8_beyond_ascii += not block.isascii()
        except UnicodeDecodeError:
            lines = _line_by_line(block, used)
        for text, other in lines:
            number += 1
            if text is None:
                raise AddressFileError(
                    f"Line {number} of {path.name} is neither UTF-8 nor Windows-1252 text, so its text cannot be "
                    "shown or sent as written. Save the file as CSV UTF-8 and choose it again.")
            if other:
                used.fallback_lines.append(number)
            if cancel is not None and number % CANCEL_CHECK_LINES == 0 and cancel.is_set():
                raise ReadCancelled()
            yield text.lstrip("\ufeff") if number == 1 else text


def _line_by_line(block: bytes, used: _Decoding) -> Iterator[tuple[str | None, bool]]:
    """(text, read as Windows-1252?) per line of `block`; (None, True) for a line that is neither encoding."""
    for match in _LINE.finditer(block):
        data = match.group(0)
        try:
            text = data.decode("utf-8")
            used.utf8_beyond_ascii += not data.isascii()
            yield text, False
        except UnicodeDecodeError:
            try:
                yield data.decode(FALLBACK), True
            except UnicodeDecodeError:
                yield None, True


def read_address_file(path: Path, cancel: threading.Event | None = None) -> AddressFile:
    """Read the whole file (streamed; 100,000 rows are fine). Raises AddressFileError with a plain message, or
    ReadCancelled once `cancel` is set."""
    try:
        fd, st = _open_regular(path)
        with open(fd, "rb") as raw:
            if st.st_size > MAX_FILE_BYTES:
                raise AddressFileError(f"{path.name} is {st.st_size // (1024 * 1024)} MB; ccdesk reads files up "
                                       f"to {MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller files.")
            head = raw.read(64 * 1024)
            binary = _binary_kind(head)
            if binary:
                raise AddressFileError(f"{path.name} is {binary}, not a text file. Save it as CSV (in Excel: File → "
                                       "Save As → CSV UTF-8) and choose that file.")
            encoding = detect_encoding(head)
            raw.seek(0)
            used = _Decoding(encoding)
            result = _read(path, encoding, _decoded_lines(raw, encoding, used, path, cancel))
        result.encoding = used.name()
        if used.utf8_beyond_ascii:  # a mixed file: say which lines were read another way
            result.other_encoding_lines = used.fallback_lines
        return result
    except OSError as exc:
        raise AddressFileError(f"Could not read {path.name}: {exc.strerror or exc}.") from exc
    except csv.Error as exc:
        raise AddressFileError(f"{path.name} is not a readable CSV or text file ({exc}).") from exc


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


_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _slash_order(texts: Iterable[str]) -> str | None:
    """How the file writes `a/b/yyyy` dates: "month" first (US), "day" first (most of Europe), "" when its dates
    say both (one has a day above 12 first, another second), None when none tells (every part is 12 or less)."""
    month_first = day_first = False
    for text in texts:
        found = _SLASHED.fullmatch(text.strip())
        if found:
            a, b = int(found[1]), int(found[2])
            month_first |= b > 12
            day_first |= a > 12
    if month_first and day_first:
        return ""
    return "month" if month_first else "day" if day_first else None


def _parse_date(text: str, slash_order: str | None) -> datetime | None:
    """ISO 8601, `dd.mm.yyyy`, `yyyy/mm/dd`, or `a/b/yyyy` in the file's own order; None when unreadable, or when
    a slashed date could be read either way (03/04/2024: 3 April or 4 March) and no date of the file tells."""
    text = text.strip()
    formats: list[str | None] = [None, "%d.%m.%Y", "%Y/%m/%d"]
    if slash_order == "month":
        formats.append("%m/%d/%Y")
    elif slash_order == "day":
        formats.append("%d/%m/%Y")
    for fmt in formats:
        try:
            return datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _lines(lines: Iterator[str], tail: list[str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number in the file, cells) for each record; `tail[0]` is the last line read so far."""
    # 8 KB of whole lines is plenty to tell the delimiter, and the sniffer's regular expressions hold the GIL:
    # on 64 KB they took ~100 ms, long enough to stall the window while a file is read on a worker thread.
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= 8 * 1024:
            break
    sample = "".join(head[:-1] if len(head) > 1 and size >= 8 * 1024 else head)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    def remembered(source: Iterator[str]) -> Iterator[str]:
        for line in source:
            if tail is not None:
                tail[0] = line
            yield line

    reader = csv.reader(remembered(itertools.chain(head, lines)), dialect)
    ended = 0
    for cells in reader:
        # The line a record starts on: a quoted cell may run over several lines (and a stray quote runs on).
        start, ended = ended + 1, reader.line_num
        yield start, cells


def _rows_taken_in(cells: list[str], email_col: int, *, to_the_end: bool) -> list[str]:
    """The addresses of rows a stray quote ran into one cell, from the later lines of a cell that runs over several
    lines: lines that look like rows of the file (an address in the address column, then more columns), and lines
    that are an address alone when the cell is the address column's own or runs to the end of the file (a quote
    never closed). A quoted note whose second line is an address ("Forwarded by\nsupport@shop.example") is a
    valid cell, not rows."""
    found = []
    for j, cell in enumerate(cells):
        for text in cell.splitlines()[1:]:
            parts = [part.strip().strip("<>\"' ").lower() for part in re.split(r"[,;\t|]", text)]
            if len(parts) > max(1, email_col) and is_valid_email(parts[email_col]):
                found.append(parts[email_col])
            elif len(parts) == 1 and is_valid_email(parts[0]) and (j == email_col or to_the_end):
                found.append(parts[0])
    return found


def _with_last(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str], bool]]:
    """Each record, and whether it is the file's last."""
    previous = next(records, None)
    for record in records:
        assert previous is not None
        yield (*previous, False)
        previous = record
    if previous is not None:
        yield (*previous, True)


def _guess_column(rows: list[tuple[int, list[str]]]) -> int | None:
    """The column holding the most valid addresses in a sample of rows, or None if none holds any."""
    hits: dict[int, int] = {}
    for _line, cells in rows:
        for i, cell in enumerate(cells):
            if is_valid_email(cell.strip().strip("<>\"' ").lower()):
                hits[i] = hits.get(i, 0) + 1
    return max(hits, key=lambda i: (hits[i], -i)) if hits else None


def _read(path: Path, encoding: str, text: Iterator[str]) -> AddressFile:
    tail = [""]  # the file's last line, once every record is read: a quote never closed does not end it
    reader = _lines(text, tail)
    first = next((record for record in reader if any(c.strip() for c in record[1])), None)
    if first is None:
        raise AddressFileError(f"{path.name} is empty.")
    headers = [c.strip() for c in first[1]]
    email_col = _find(headers, EMAIL_HEADERS)
    has_header = email_col is not None or not any(is_valid_email(c.strip()) for c in headers)
    sample = [first] if not has_header else []
    for record in reader:  # a sample, to find the address column when no header names it
        sample.append(record)
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
    dates: list[tuple[int, str]] = []  # (index in result.rows, the date cell as written)

    def rows() -> Iterator[tuple[int, list[str]]]:
        yield from sample
        yield from reader

    for line, cells, last in _with_last(rows()):
        value = cells[email_col].strip() if len(cells) > email_col else ""
        if not value:
            result.blank += 1
            continue
        unclosed = last and not tail[0].rstrip().endswith('"')
        if taken := _rows_taken_in(cells, email_col, to_the_end=unclosed):
            shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3:,} more" if len(taken) > 3 else "")
            result.invalid.append((line, f"a quote (\") on this line is not closed, so the lines after it were read "
                                         f"as part of it, with {shown}: fix the quote and read the file again"))
            continue
        email = value.strip("<>\"' ").lower()
        if not is_valid_email(email):
            result.invalid.append((line, value[:200]))
            continue
        if email in seen:
            result.duplicates += 1
            result.repeats.append((line, email))
            continue
        seen.add(email)
        if len(result.rows) >= MAX_ADDRESSES:
            raise AddressFileError(f"{path.name} has more than {MAX_ADDRESSES:,} addresses. Split it into files of "
                                   f"at most {MAX_ADDRESSES:,} and run them one after the other.")
        reason = cells[reason_col].strip() if reason_col is not None and len(cells) > reason_col else None
        result.rows.append(AddressRow(line, email, reason or None))
        if date_col is not None and len(cells) > date_col and cells[date_col].strip():
            dates.append((len(result.rows) - 1, cells[date_col]))
    if not result.rows and not result.invalid:
        raise AddressFileError(f"{path.name} has no email addresses in its column '{result.column}'.")
    _read_dates(result, dates)
    return result


def unread_dates_note(unread: list[tuple[int, str]], fallback: str = "today's date") -> str:
    """What the preview says of received-on dates it could not read (the command line's and the window's)."""
    first_line, first_text = unread[0]
    more = f" and {len(unread) - 1:,} more" if len(unread) > 1 else ""
    return (f"{plural(unread, 'received-on date')} could not be read for sure (line {first_line}: {first_text}{more}; "
            f"03/04/2024 is 3 April in one country and 4 March in another). Those rows take {fallback}; write "
            "dates as 2024-04-03 to keep them.")


def _read_dates(result: AddressFile, dates: list[tuple[int, str]]) -> None:
    """The received-on dates, once the whole column is known (it alone tells 03/04/2024's order); the ones that
    cannot be read are listed (`unread_dates`) so the preview can say so: those rows take the run's date."""
    order = _slash_order(text for _i, text in dates)
    for index, text in dates:
        row = result.rows[index]
        received = _parse_date(text, order)
        if received is None:
            result.unread_dates.append((row.line, text.strip()[:40]))
        else:
            result.rows[index] = replace(row, received=received)
