"""The catalogue of hostile and odd inputs (issue 14) and how each is judged, shared by the tests
(tests/faults/test_bad_input_2.py parametrises over it) and the benchmark (tests/benchmarks/bench_bad_input.py
counts it), so the figure is the suites' real inputs, not a number typed in.

Each entry is fed to the code a user's input reaches: an address file to the reader and the command line's
preview printer, an address to the validity check, a search text to every store search function, a line of
account data to the terminal printer, a target name to the atomic writer. `check(entry, folder)` returns None
when it was handled (read right, or refused with a plain message) and a short description otherwise (a hang,
a traceback, garbled text, a file followed or altered).
"""

from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import io
import os
import re
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccdesk.cli.output import Output
from ccdesk.files import UnwritableTarget
from ccdesk.services.address_file import AddressFileError, read_address_file
from ccdesk.services.csv_writer import write_csv
from ccdesk.services.validation import is_valid_email
from ccdesk.store import DeskDatabase

HANG_S = 20.0
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f]")
REASON = "Désabonné par téléphone"


@dataclass(frozen=True)
class Hostile:
    id: str
    kind: str  # "file" | "address" | "search" | "terminal" | "target"
    payload: Any
    expect: Any = None  # file: list of (email, reason) read, or the words of the refusal; address: valid?
    extra: dict[str, Any] = field(default_factory=dict)


def _rows(encoding: str, bom: bytes = b"") -> bytes:
    return bom + f"email,reason\r\nalice@example.com,{REASON}\r\nbob@example.com,Réponse\r\n".encode(encoding)


READ_RIGHT = [("alice@example.com", REASON), ("bob@example.com", "Réponse")]


def _files() -> list[Hostile]:
    f: list[tuple[str, Any, Any]] = [
        ("utf8-with-one-cp1252-row", "email,reason\nalice@example.com,Réponse\n".encode()
         + f"bob@example.com,{REASON}\n".encode("cp1252"),
         [("alice@example.com", "Réponse"), ("bob@example.com", REASON)]),
        ("cp1252-with-one-utf8-row", f"email,reason\nalice@example.com,{REASON}\n".encode("cp1252")
         + "bob@example.com,Réponse\n".encode(), [("alice@example.com", REASON), ("bob@example.com", "Réponse")]),
        ("cp1252-whole", _rows("cp1252"), READ_RIGHT),
        ("utf16-le-bom", _rows("utf-16-le", codecs.BOM_UTF16_LE), READ_RIGHT),
        ("utf16-be-bom", _rows("utf-16-be", codecs.BOM_UTF16_BE), READ_RIGHT),
        ("utf16-le-no-bom", _rows("utf-16-le"), READ_RIGHT),
        ("utf16-be-no-bom", _rows("utf-16-be"), READ_RIGHT),
        ("utf32-le-bom", _rows("utf-32-le", codecs.BOM_UTF32_LE), READ_RIGHT),
        ("utf32-be-bom", _rows("utf-32-be", codecs.BOM_UTF32_BE), READ_RIGHT),
        ("utf32-le-no-bom", _rows("utf-32-le"), READ_RIGHT),
        ("utf32-be-no-bom", _rows("utf-32-be"), READ_RIGHT),
        ("utf8-double-bom", _rows("utf-8", codecs.BOM_UTF8 * 2), READ_RIGHT),
        ("utf8-triple-bom-no-header", codecs.BOM_UTF8 * 3 + b"alice@example.com\r\n", [("alice@example.com", None)]),
        ("utf16-double-bom", codecs.BOM_UTF16_LE + _rows("utf-16-le", codecs.BOM_UTF16_LE), READ_RIGHT),
        ("neither-utf8-nor-cp1252", b"email\nalice@example.com\n\x81\x8d\x8f@example.com\n", "Line 3"),
        ("cr-only-line-ends", b"email\ralice@example.com\rbob@example.com\r",
         [("alice@example.com", None), ("bob@example.com", None)]),
        ("nul-in-utf8-text", b"email\nalice@example.com\n\x00\x00bob@example.com\n", "binary file"),
        ("xlsx-zip", b"PK\x03\x04" + b"\x00" * 60, "Excel workbook"),
        ("old-xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 60, "old Excel"),
        ("pdf", b"%PDF-1.7\n" + b"\x00\x01" * 40, "PDF"),
        ("empty", b"", "is empty"),
        ("only-a-bom", codecs.BOM_UTF8, "is empty"),
        ("header-only", b"email\r\n", "no email addresses"),
        ("escape-sequence-in-address-line", b"email\n\x1b[2J\x1b]0;pwned\x07alice@example.com\nbob@example.com\n",
         [("bob@example.com", None)]),
        ("escape-sequence-in-reason", "email,reason\nalice@example.com,\x1b[31mred\x9b2J\n".encode(),
         [("alice@example.com", "\x1b[31mred\x9b2J")]),
        ("zero-width-space-in-address", "email\nali\u200bce@example.com\nbob@example.com\n".encode(),
         [("bob@example.com", None)]),
        ("full-width-address", "email\nａｌｉｃｅ＠example.com\nbob@example.com\n".encode(),
         [("bob@example.com", None)]),
        ("rtl-override-in-address", "email\nalice@\u202emoc.elpmaxe\nbob@example.com\n".encode(),
         [("bob@example.com", None)]),
        ("plus-minus-equals-addresses", b"email\n+alice@example.com\n-bob@example.com\n=carl@example.com\n",
         [("+alice@example.com", None), ("-bob@example.com", None), ("=carl@example.com", None)]),
        ("formula-in-reason", b"email,reason\nalice@example.com,=HYPERLINK(\"http://x\")\n",
         [("alice@example.com", "=HYPERLINK(\"http://x\")")]),
        ("very-long-line", b"email,reason\nalice@example.com," + b"x" * 300_000 + b"\n", "not a readable CSV"),
    ]
    entries = [Hostile(name, "file", data, expect) for name, data, expect in f]
    entries += [Hostile(name, "file", None, words, {"special": name}) for name, words in (
        ("fifo", "named pipe"), ("folder", "a folder"), ("char-device", "a device"), ("symlink-to-fifo", "named pipe"),
        ("missing", "Could not read"))]
    return entries


ADDRESSES = [
    ("plain", "alice@example.com", True), ("plus-start", "+alice@example.com", True),
    ("minus-start", "-alice@example.com", True), ("equals-start", "=alice@example.com", True),
    ("international", "josé@exämple.com", True), ("zero-width-space", "ali\u200bce@example.com", False),
    ("zero-width-joiner", "ali\u200dce@example.com", False), ("bom-inside", "\ufeffalice@example.com", False),
    ("soft-hyphen", "ali\u00adce@example.com", False), ("rtl-override", "alice@\u202eexample.com", False),
    ("rtl-isolate", "alice@\u2067example.com", False), ("ltr-mark", "alice\u200e@example.com", False),
    ("full-width-letters", "ａｌｉｃｅ@example.com", False), ("full-width-at", "alice＠example.com", False),
    ("half-width-katakana", "ｱ@example.com", False), ("nbsp", "alice\u00a0@example.com", False),
    ("nul", "alice\x00@example.com", False), ("escape", "alice\x1b@example.com", False),
    ("private-use", "alice\ue000@example.com", False), ("ideographic-space", "alice\u3000@example.com", False),
]

SEARCHES = [
    ("nul-between-words", "ann\x00lee"), ("nul-only", "\x00"), ("nul-at-end", "person1\x00"),
    ("escape-sequence", "\x1b[31mann"), ("c1-control", "ann\x9b"), ("double-quote", "\"ann"),
    ("fts-operators", "ann OR lee NOT x NEAR(a b) *"), ("fts-column-filter", "email:ann ^lee"),
    ("5000-pasted-addresses", " ".join(f"person{i}@example.com" for i in range(5000))),
    ("one-100k-word", "a" * 100_000), ("rtl-override", "\u202eann"), ("zero-width", "an\u200bn"),
    ("newlines-and-tabs", "ann\n\tlee\r\n"),
]

TERMINAL = [
    ("clear-screen", "\x1b[2J\x1b[H"), ("set-title", "\x1b]0;owned\x07"), ("osc8-link", "\x1b]8;;http://x\x1b\\y"),
    ("c1-csi", "\x9b31m"), ("carriage-return-overwrite", "ok\rFAILED"), ("backspaces", "abc\x08\x08\x08xyz"),
    ("bell", "\x07\x07"), ("rtl-override", "\u202etxt.exe"), ("nul", "a\x00b"), ("del", "a\x7fb"),
]

TARGETS = [
    ("missing-folder", "missing/folder/out.csv", "does not exist"), ("name-250-chars", "n" * 246 + ".csv", None),
    ("name-300-chars", "n" * 296 + ".csv", "at most 255"), ("target-is-a-folder", "adir", "is a folder"),
    ("symlink-at-old-temp-name", "feed.csv", None), ("symlink-as-target", "linked.csv", None),
    ("existing-0600-target", "private.csv", None),
]


def catalogue() -> list[Hostile]:
    items = _files()
    items += [Hostile(f"address-{name}", "address", text, valid) for name, text, valid in ADDRESSES]
    items += [Hostile(f"search-{name}", "search", text) for name, text in SEARCHES]
    items += [Hostile(f"terminal-{name}", "terminal", text) for name, text in TERMINAL]
    items += [Hostile(f"target-{name}", "target", rel, words) for name, rel, words in TARGETS]
    return items


# --- judging --------------------------------------------------------------------------------------------------


def _within(seconds: float, work: Callable[[], Any]) -> Any:
    """Run `work` on a thread; a hang is a finding, not a stuck test."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(work).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _special_file(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.csv"
    if kind in ("fifo", "symlink-to-fifo"):
        fifo = folder / "pipe"
        os.mkfifo(fifo)
        if kind == "fifo":
            return fifo
        path.symlink_to(fifo)
    elif kind == "folder":
        path.mkdir()
    elif kind == "char-device":
        return Path("/dev/zero")
    return path


def release_fifo(fifo: Path) -> None:
    """Open the pipe for writing and close it (an end of file for a reader stuck on it); never blocks."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _unblock(folder: Path) -> None:
    """Let a reader stuck opening or reading the named pipe go (a writer that closes at once is an end of file)."""
    release_fifo(folder / "pipe")


def _terminal_problem(text: str) -> str | None:
    out, err = io.StringIO(), io.StringIO()
    Output(out=out, err=err).say(text)
    Output(out=out, err=err).warn(text)
    shown = out.getvalue() + err.getvalue()
    raw = RAW_CONTROL.search(shown.replace("\n", ""))
    return f"raw control character U+{ord(raw.group(0)):04X} printed" if raw else None


def check_file(entry: Hostile, folder: Path) -> str | None:
    path = _special_file(entry.extra["special"], folder) if entry.extra.get("special") else folder / f"{entry.id}.csv"
    if entry.payload is not None:
        path.write_bytes(entry.payload)
    try:
        result = _within(HANG_S, lambda: read_address_file(path))
    except concurrent.futures.TimeoutError:
        _unblock(folder)
        return "hung reading the file"
    except AddressFileError as exc:
        if not isinstance(entry.expect, str):
            return f"refused a file it should read: {exc.message}"
        if entry.expect not in exc.message:
            return f"refused without saying {entry.expect!r}: {exc.message}"
        return _terminal_problem(exc.message)
    except Exception as exc:  # a traceback in the making
        return f"{type(exc).__name__}: {exc}"
    if isinstance(entry.expect, str):
        return f"read a file it should refuse ({entry.expect}); got {len(result.rows)} rows"
    got = [(r.email, r.reason) for r in result.rows]
    if got != entry.expect:
        return f"read {got!r}, expected {entry.expect!r}"
    if any("\ufffd" in (r.reason or "") or "Ã" in (r.reason or "") for r in result.rows) or "\ufeff" in result.column:
        return "garbled text"
    lines = [f"line {line}: {text}" for line, text in result.invalid] + [f"{e} {r}" for e, r in got]
    return next((p for p in map(_terminal_problem, lines) if p), None)


SEARCH_STEP_BUDGET = 20_000_000
SEARCH_SQL_BUDGET = 20_000
"""Work one search text may cause, measured as work rather than time so the judgement does not depend on the
machine's load: SQLite virtual-machine steps across the four search functions, and the longest statement (with
its values) sent to SQLite. The 5,000-address paste sent a 130,000-character FTS5 expression of 5,000 phrases
(seconds on the GUI thread, mostly inside FTS5, where VM steps do not count it)."""


def search_work(store: DeskDatabase, work: Callable[[], Any]) -> tuple[Any, int, int]:
    """Run `work`; returns its result, the SQLite VM steps it took and the longest statement it sent."""
    steps, longest = [0], [0]

    def tick() -> int:
        steps[0] += 1000
        return 0

    def trace(sql: str) -> None:
        longest[0] = max(longest[0], len(sql))

    conn = store._conn
    conn.set_progress_handler(tick, 1000)
    conn.set_trace_callback(trace)
    try:
        return work(), steps[0], longest[0]
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_trace_callback(None)


def check_search(entry: Hostile, store: DeskDatabase) -> str | None:
    text = entry.payload
    try:
        (rows, n, per_status, _lists), steps, longest = search_work(store, lambda: (
            store.search(text, limit=50), store.count(text, cap=10_000), store.status_counts(text),
            store.list_counts(text)))
    except (sqlite3.Error, ValueError, UnicodeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if steps > SEARCH_STEP_BUDGET or longest > SEARCH_SQL_BUDGET:
        return (f"search cost {steps:,} SQLite steps and a {longest:,}-character statement (budgets "
                f"{SEARCH_STEP_BUDGET:,}, {SEARCH_SQL_BUDGET:,}): it would stall the window")
    if n != sum(per_status.values()) or len(rows) != min(n, 50):
        return f"counts disagree: count {n}, per status {sum(per_status.values())}, page {len(rows)}"
    return None


def check_target(entry: Hostile, folder: Path) -> str | None:
    path = folder / entry.payload
    victim = folder / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    victim.chmod(0o644)
    if entry.id == "target-target-is-a-folder":
        path.mkdir()
    elif entry.id == "target-symlink-at-old-temp-name":
        (folder / f".{path.name}.part").symlink_to(victim)
        (folder / f"{path.name}.tmp").symlink_to(victim)
    elif entry.id == "target-symlink-as-target":
        path.symlink_to(victim)
    elif entry.id == "target-existing-0600-target":
        path.write_text("old", encoding="utf-8")
        path.chmod(0o600)
    try:  # what export-optouts, reports and evidence files go through
        write_csv(path, ["email"], [["alice@example.com"]])
    except UnwritableTarget as exc:
        if entry.expect is None or entry.expect not in str(exc):
            return f"refused: {exc}"
        return _terminal_problem(str(exc))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    if entry.expect is not None:
        return f"wrote a target it should refuse ({entry.expect})"
    if victim.read_text(encoding="utf-8") != "keep me" or stat.S_IMODE(victim.stat().st_mode) != 0o644:
        return "a link was followed: its target was changed"
    if path.is_symlink() or path.read_bytes() != b"\xef\xbb\xbfemail\r\nalice@example.com\r\n":
        return "the target is not the whole new file"
    if entry.id == "target-existing-0600-target" and stat.S_IMODE(path.stat().st_mode) != 0o600:
        return f"mode became {oct(stat.S_IMODE(path.stat().st_mode))}"
    if [p.name for p in folder.iterdir() if p.name.startswith(".") and not p.is_symlink()]:
        return "a temporary file was left behind"
    return None


def check(entry: Hostile, folder: Path, store: DeskDatabase | None = None) -> str | None:
    """None when `entry` was handled; otherwise what went wrong."""
    if entry.kind == "file":
        return check_file(entry, folder)
    if entry.kind == "address":
        return None if is_valid_email(entry.payload) == entry.expect else f"is_valid_email gave {not entry.expect}"
    if entry.kind == "terminal":
        return _terminal_problem(f"reason: {entry.payload}")
    if entry.kind == "target":
        return check_target(entry, folder)
    if entry.kind == "search":
        assert store is not None
        return check_search(entry, store)
    raise ValueError(entry.kind)


def search_store(path: Path, n: int = 2_000) -> DeskDatabase:
    """A store of `n` contacts named like the search texts expect (Ann Lee, person<i>@example.com)."""
    store = DeskDatabase(path)
    contacts = [{"contact_id": f"00000000-0000-4000-8000-{i:012d}", "first_name": "Ann" if i % 2 else "Bo",
                 "last_name": "Lee", "email_address": {"address": f"person{i}@example.com",
                                                       "permission_to_send": "implicit"},
                 "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"} for i in range(n)]
    store.upsert_contacts(contacts)
    return store


def run_all(folder: Path, items: list[Hostile] | None = None) -> dict[str, str | None]:
    """Every entry judged, each in its own sub-folder: {id: None or the problem}."""
    items = catalogue() if items is None else items
    outcome: dict[str, str | None] = {}
    store = search_store(folder / "search.sqlite3")
    try:
        for n, entry in enumerate(items):
            work = folder / f"{n:03d}"
            work.mkdir()
            outcome[entry.id] = check(entry, work, store)
    finally:
        store.close()
    return outcome
