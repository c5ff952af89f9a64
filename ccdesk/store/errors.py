"""Exceptions raised by the store."""


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
