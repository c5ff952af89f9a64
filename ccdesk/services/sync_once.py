"""One sync at a time per store, across processes (the window, `ccdesk sync`, an export that syncs first).

A process that wants to sync while another one is syncing the same cache waits for it (a file lock beside the
database, released by the OS if the holder dies) and then reuses its result instead of reading the account
again: never two full reads in parallel, never the same pages twice. A full re-read the user asked for is
still done after the wait.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from ccdesk.store.process_lock import ProcessLock

from .database_thread import DatabaseThread

log = logging.getLogger(__name__)

LAST_RESULT = "sync.last_result"
KEEP_IDS = 2000  # new opt-outs kept with the last result (a waiting process reports them too)
R = TypeVar("R")


def lock_path(db: DatabaseThread) -> str:
    return f"{db.path}.sync-lock"


def encode(result: Any) -> str:
    values = dataclasses.asdict(result)
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = value.isoformat()
        elif isinstance(value, list):
            values[name] = value[:KEEP_IDS]
    return json.dumps(values)


def decode(raw: str | None, cls: type[R], *, finished_after: datetime) -> R | None:
    """The stored result if it finished after `finished_after` (a sync we waited for), else None."""
    if not raw:
        return None
    try:
        values = json.loads(raw)
        finished = datetime.fromisoformat(values["finished_at"])
        if finished < finished_after:
            return None
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kept = {k: (datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v)
                for k, v in values.items() if k in names}
        return cls(**kept)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("the last sync result could not be read back (%s); syncing instead", exc)
        return None


async def one_per_store(db: DatabaseThread, work: Callable[[], Awaitable[R]], cls: type[R], *, asked_at: datetime,
                        may_reuse: bool, on_wait: Callable[[int | None], None]) -> R:
    """Run `work()` holding the store's sync lock; after waiting for another process, reuse its result."""
    lock = ProcessLock(lock_path(db))
    async with lock.hold(on_wait) as waited:
        if waited and may_reuse:
            reused = decode(await db.call(lambda s: s.get_state(LAST_RESULT)), cls, finished_after=asked_at)
            if reused is not None:
                log.info("sync: reused the result of the sync another ccdesk process just finished")
                return dataclasses.replace(reused, reused=True)  # type: ignore[type-var]
        result = await work()
        encoded = encode(result)
        await db.call(lambda s: s.set_state(LAST_RESULT, encoded))
        return result
