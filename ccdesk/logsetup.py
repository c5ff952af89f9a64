"""Logging to a rotating file in the user log directory, with tokens and email addresses redacted.

The file and every file rotation starts are owner-only (0600). Control characters from data (a NUL from a
UTF-32 file, an escape sequence in an opt-out reason) are written as ``\\x00``-style escapes, so the log stays
one readable text file; newlines (tracebacks) are kept.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

import platformdirs

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# A secret is a run of token characters that ends there: `code = asyncio.run(...)` in a traceback's source line
# is code, not a secret (the `(` after it says so), and must stay readable.
SECRET = re.compile(r"(?i)(bearer\s+|access_token[\"'=:\s]+|refresh_token[\"'=:\s]+|id_token[\"'=:\s]+|"
                    r"(?<![a-z])code[\"'=:\s]+|code_verifier[\"'=:\s]+|device_code[\"'=:\s]+)"
                    r"[A-Za-z0-9._~+/=-]{8,}(?![A-Za-z0-9._~+/=(\[-])")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """Remove what must never reach a log: bearer and OAuth tokens, codes, and people's email addresses."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    text = SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
    text = JWT.sub("[redacted-jwt]", text)
    return EMAIL.sub(lambda m: m.group(0)[0] + "…@" + m.group(0).rsplit("@", 1)[1], text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class OwnerOnlyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose every new file (the first, and each one after a rotation) is created 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("ccdesk", appauthor=False))


def configure(level: int = logging.INFO, *, to_stderr: bool = True) -> Path:
    """Log to `<user log dir>/ccdesk.log` (owner-only, rotated at 1 MB, 5 kept) and to stderr."""
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "ccdesk.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler = OwnerOnlyRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.setLevel(level)
    root.handlers[:] = [handler]
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        stream.setLevel(logging.WARNING)
        root.addHandler(stream)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
