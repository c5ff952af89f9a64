"""Local SQLite store: contact cache with search, sync checkpoints, outbox and audit journal.

Plain Python (no Qt). See ``database.DeskDatabase`` for the threading rule.
"""

import os

# numpy (the search's name ranks) loads OpenBLAS, which starts a thread per core when it loads; ccdesk never
# multiplies matrices, so one thread: a shorter start-up and no idle threads. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
