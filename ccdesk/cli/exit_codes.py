"""Exit codes a scheduler can act on. README.md lists them; keep the two in step."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0                  # done; everything asked for was carried out
    FAILED = 1              # could not do it (unreadable file, bad reason, export could not be written, ...)
    USAGE = 2               # wrong options (argparse's own code)
    NOT_SIGNED_IN = 3       # no usable sign-in: open ccdesk and sign in, then run again
    QUOTA_EXHAUSTED = 4     # the account's daily API quota is used up: run again after 00:00 UTC
    PARTIAL = 5             # some addresses failed, or are still queued and will be sent later
    UNAVAILABLE = 6         # Constant Contact could not be reached or kept failing: run again later
    LOCAL_DATA = 7          # the local data file is locked by another program, damaged or not ccdesk's: see
                            # the message (nothing was sent after the problem was found)
    INTERRUPTED = 130       # stopped with Ctrl+C; what was queued is kept and sent by the next run
