"""`ccdesk <command>`: the same services as the window, for scheduled jobs and scripts (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence

COMMANDS = ("export-optouts", "unsubscribe", "remove-from-list", "sync", "sign-in", "sign-out", "status", "team")


def is_command(argv: Sequence[str]) -> bool:
    """True if the command line asks for a subcommand rather than the window."""
    return bool(argv) and argv[0] in COMMANDS
