"""Team-mode failures, each with a sentence a person can act on."""

from __future__ import annotations


class TeamError(Exception):
    """A team-mode problem; `message` says what happened and what to do."""

    def __init__(self, message: str) -> None:
        from .redact import redact  # a password a malformed address carried is never shown nor logged

        message = redact(message)
        super().__init__(message)
        self.message = message


class TeamUnreachable(TeamError):
    """The team database cannot be reached (network, server down, refused login): work goes on locally."""


class TeamLoginRefused(TeamUnreachable):
    """The database answered but refused this desk's login (wrong password, unknown user): not an outage, and
    waiting will not mend it."""


class TeamSchemaTooNew(TeamError):
    """The team database was upgraded by a newer ccdesk than this one."""


class TeamNotReady(TeamError):
    """The database has no team schema yet (run `ccdesk team init`), or this desk has not joined."""
