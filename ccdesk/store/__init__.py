"""Local SQLite store: contact cache with search, sync checkpoints, outbox and audit journal.

Plain Python (no Qt). See ``database.DeskDatabase`` for the threading rule.
"""

from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import InvalidStateError, SchemaTooNewError, StoreError
from ccdesk.store.rows import (
    AuditRow,
    ContactRow,
    ListRow,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Outcome,
    Status,
    UpsertResult,
)
from ccdesk.store.schema import SCHEMA_VERSION
from ccdesk.store.sqlite_file import default_db_path

__all__ = [
    "SCHEMA_VERSION",
    "AuditRow",
    "ContactRow",
    "DeskDatabase",
    "InvalidStateError",
    "ListRow",
    "OutboxItem",
    "OutboxKind",
    "OutboxState",
    "Outcome",
    "SchemaTooNewError",
    "Status",
    "StoreError",
    "UpsertResult",
    "default_db_path",
]
