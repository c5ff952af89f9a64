"""What a command prints: progress on a terminal, plain timestamped lines in a log, or one JSON object.

Results go to stdout (text, or JSON with --json); progress and warnings go to stderr, so a script reading
stdout gets only the result. On a terminal progress redraws one line; otherwise (cron, a log file) it is a
plain line at most every few seconds.

Everything printed passes through :func:`terminal_safe`: account data (a contact's opt-out reason, a line of
an address file, a file name) can hold escape sequences that would recolour, retitle or rewrite the terminal.
Control characters and invisible direction/format characters are shown as ``\x1b``-style escapes instead;
data files are never touched by this.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_LINE_EVERY_S = 5.0
TTY_REDRAW_EVERY_S = 0.1

# C0 (but newline) and DEL, C1 controls, and format characters that change what a line looks like: bidi
# overrides/isolates/marks, zero-width characters, the BOM, the interlinear annotation and line/paragraph marks.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                     "\u2060-\u206f\ufeff\ufff9-\ufffb]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control or invisible formatting character (newline excepted) shown as an escape."""
    return _UNSAFE.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text for a terminal: json.dumps(ensure_ascii=False) leaves C1 controls and direction overrides raw;
    write them as \\u escapes instead (the same data once parsed)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Output:
    def __init__(self, *, json_mode: bool = False, quiet: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._gone: list[TextIO] = []  # streams whose reader went away
        self.clock = clock
        self.tty = bool(getattr(self.err, "isatty", lambda: False)())
        self._last_shown = -1e9
        self._last_stage = ""
        self._line_open = False

    # --- progress (stderr) ------------------------------------------------------------------------------------

    def progress(self, stage: str, done: int, total: int | None = None, *, unit: str = "",
                 seconds_left: float | None = None) -> None:
        if self.quiet:
            return
        now = self.clock()
        every = TTY_REDRAW_EVERY_S if self.tty else LOG_LINE_EVERY_S
        finished = total is not None and done >= total
        if stage == self._last_stage and now - self._last_shown < every and not finished:
            return
        self._last_shown, self._last_stage = now, stage
        text = terminal_safe(f"{stage}: {done:,}" + (f" of {total:,}" if total is not None else "")
                             + (f" {unit}" if unit else ""))
        if seconds_left is not None and not finished:
            text += f", about {_duration(seconds_left)} left"
        self._write_progress(text)

    def note(self, text: str) -> None:
        """A progress line without figures ("Waiting for ..."), shown once: it replaces the line on a terminal."""
        if self.quiet or text == self._last_stage:
            return
        self._last_shown, self._last_stage = self.clock(), text
        self._write_progress(terminal_safe(text))

    def _write_progress(self, text: str) -> None:
        if self.tty:
            self._write(self.err, "\r\x1b[2K" + text)
            self._line_open = True
        else:
            self._write(self.err, f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {text}\n")

    def end_progress(self) -> None:
        if self._line_open:
            self._write(self.err, "\n")
            self._line_open = False
        self._last_stage = ""

    # --- messages -----------------------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        """A line of the human-readable result (stdout; not printed with --json)."""
        if not self.json_mode:
            self.end_progress()
            self._print(terminal_safe(text), self.out)

    def warn(self, text: str) -> None:
        """A problem or a hint, for a person (stderr, also with --json)."""
        self.end_progress()
        self._print(terminal_safe(text), self.err)

    def result(self, data: dict[str, Any]) -> None:
        """The machine-readable result (only with --json): exactly one JSON object on stdout."""
        if self.json_mode:
            self.end_progress()
            self._print(json_safe(json.dumps(data, ensure_ascii=False, default=str, indent=2)), self.out)

    def _print(self, text: str, stream: TextIO) -> None:
        self._write(stream, text + "\n")

    def _write(self, stream: TextIO, text: str) -> None:
        """A reader that went away (`ccdesk status | head -2`, `ccdesk sync 2>&1 | head -1`) does not stop the
        command half-way: what it still has to say goes nowhere, and the exit code stays the command's own."""
        if stream in self._gone:
            return
        try:
            stream.write(text)
            stream.flush()
        except OSError as exc:
            # EPIPE: BrokenPipeError; Windows says EINVAL for a pipe whose reader has gone
            if not isinstance(exc, BrokenPipeError) and exc.errno != errno.EINVAL:
                raise
            self._gone.append(stream)
            with contextlib.suppress(OSError, ValueError):  # nor may Python's own flush at exit complain
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
