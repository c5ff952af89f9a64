"""Exceptions raised by the store."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for store errors."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer ccdesk than this one; opening it could corrupt it."""

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"The local database {path!r} has schema version {found}, but this version of ccdesk only "
            f"knows up to version {known}. Update ccdesk, or move the file away to start a fresh cache."
        )
        self.path = path
        self.found = found
        self.known = known


class InvalidStateError(StoreError):
    """An outbox item was asked to make a transition its current state does not allow."""


class StoreUnavailableError(StoreError):
    """SQLite could not do it right now: the file is locked by another program, or the disk is full or failing.
    Nothing was changed; trying again later is safe."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def from_sqlite(cls, exc: Exception) -> StoreUnavailableError | None:
        """The plain-words version of an sqlite3.OperationalError, or None if it is not that kind of error."""
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return cls("ccdesk's local data file is locked by another program (a backup or antivirus tool, or "
                       "another copy of ccdesk). Nothing was changed; try again in a moment.")
        if "full" in text:
            return cls("The disk holding ccdesk's local data is full. Nothing was changed; free some space and "
                       "try again.")
        if "disk i/o" in text or "readonly" in text or "read-only" in text:
            return cls(f"ccdesk could not write its local data file ({exc}). Nothing was changed; check the disk "
                       "and try again.")
        return None


class StoreUnreadableError(StoreError):
    """The file given as ccdesk's local data is not one ccdesk can use: not an SQLite database, another
    program's database, damaged, or not readable. Nothing was changed in it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
