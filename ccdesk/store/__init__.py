"""Local SQLite store: contact cache with search, sync checkpoints, outbox and audit journal.

Plain Python (no Qt). See ``store.Store`` for the threading rule.
"""

from ccdesk.store.db import default_db_path
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
from ccdesk.store.store import Store

__all__ = [
    "SCHEMA_VERSION",
    "AuditRow",
    "ContactRow",
    "InvalidStateError",
    "ListRow",
    "OutboxItem",
    "OutboxKind",
    "OutboxState",
    "Outcome",
    "SchemaTooNewError",
    "Status",
    "Store",
    "StoreError",
    "UpsertResult",
    "default_db_path",
]
