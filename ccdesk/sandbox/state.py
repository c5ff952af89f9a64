"""The `Sandbox`: one emulated account with its tokens, limits, faults and request counters.

`app.state.sandbox` is this object. Its public methods are the Python control surface for tests and the
demo (they take the same lock as the HTTP handlers, so they are safe from another thread than uvicorn's).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from typing import Any

from . import errors
from .activities import ActivityQueue
from .bodies import CONTACT_POST
from .config import SandboxConfig
from .contacts import ContactRules
from .emails import EmailLog
from .faults import Faults
from .filters import ContactFilter, candidates, count, predicate
from .paging import Cursors
from .ratelimit import ServiceRateLimit
from .records import ContactRecords
from .render import INCLUDES, contact_json, list_json
from .timefmt import DAY_MS, now_ms
from .tokens import TokenRegistry
from .validation import validate_body

RESUBSCRIBE_STATES = ("pending_confirmation", "unsubscribed")
READINGS: dict[str, Any] = {
    "resubscribe_state": lambda v: v in RESUBSCRIBE_STATES,
    "link_ttl_s": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0,
    "contact_optout_overrides_account": lambda v: isinstance(v, bool),
    "account_optout_readd": lambda v: isinstance(v, bool),
    "write_answers_with_subresources": lambda v: isinstance(v, bool),
    "refresh_reuse_revokes": lambda v: isinstance(v, bool),
    "delete_moves_updated_at": lambda v: isinstance(v, bool),
    "user_may_write": lambda v: isinstance(v, bool),
}


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        for name in READINGS:  # a misspelt reading would silently act as another one
            if not READINGS[name](getattr(config, name)):
                raise ValueError(f"{name}={getattr(config, name)!r} is not a reading the sandbox knows.")
        self.clock = config.clock
        self.lock = threading.RLock()
        anchor = config.anchor if config.anchor is not None else config.clock()
        anchor_ms = int(anchor * 1000) if config.anchor is not None else int(anchor * 1000) // DAY_MS * DAY_MS
        self.records = ContactRecords(config.contacts, config.seed, anchor_ms)
        self.emails = EmailLog()
        self.rules = ContactRules(self.records, self.now_ms, config, self.emails)
        self.activities = ActivityQueue(
            self.records, self.rules, int(config.activity_seconds * 1000), config.max_queued_activities
        )
        self.tokens = TokenRegistry(clock=config.clock)
        for token in config.tokens:
            self.tokens.add_fixed(token)
        self.faults = Faults()
        self.limiter = ServiceRateLimit(config.rate_limit, config.daily_quota, config.clock)
        self.cursors = Cursors(secrets.token_bytes(32))
        self.request_counts: Counter[str] = Counter()  # "METHOD /path" → requests that arrived
        self.refused: Counter[str] = Counter()  # "throttled" / "quota_exceeded" → 429s the limits sent
        self.applied_writes: Counter[str] = Counter()  # "PUT /v3/contacts/ID" → writes answered 2xx
        self.applied_write_log: list[tuple[str, str, str]] = []  # (method, path, sha-256 prefix of the body)
        self.request_log: deque[tuple[str, str, str]] = deque(maxlen=10_000)  # (method, path, query)
        self.arrivals: deque[float] = deque(maxlen=100_000)  # time.monotonic() of each request, for rates
        self._count_cache: dict[tuple[int, tuple[tuple[str, str], ...]], int] = {}

    def now_ms(self) -> int:
        return now_ms(self.clock)

    @property
    def link_ttl_ms(self) -> int:
        return int(self.config.link_ttl_s * 1000)

    def fail_activities(self, count: int) -> None:
        """Fault: the next `count` activities queued end in state "failed" (with an error), changing nothing."""
        with self.lock:
            self.activities.fail_next = count

    def set_readings(self, values: dict[str, Any]) -> dict[str, Any]:
        """Switch readings live (`resubscribe_state`, `link_ttl_s`, `contact_optout_overrides_account`,
        `account_optout_readd`);
        ValueError for an unknown name or value."""
        with self.lock:
            for name, value in values.items():
                check = READINGS.get(name)
                if check is None or not check(value):
                    raise ValueError(f"{name}={value!r} is not a reading the sandbox knows.")
            for name, value in values.items():
                setattr(self.config, name, value)
            return self.readings()

    def readings(self) -> dict[str, Any]:
        return {name: getattr(self.config, name) for name in READINGS}

    def emails_json(self) -> list[dict[str, Any]]:
        """Every email the service sent on its own (contact_id, address, kind, lists, time), oldest first."""
        with self.lock:
            return self.emails.as_json()

    # ---- bookkeeping used by the HTTP layer ----------------------------------------------------------

    def record_request(self, method: str, path: str, query: str) -> None:
        with self.lock:
            self.request_counts[f"{method} {path}"] += 1
            self.request_log.append((method, path, query))
            self.arrivals.append(time.monotonic())

    def record_applied_write(self, method: str, path: str, body_digest: str = "") -> None:
        with self.lock:
            self.applied_writes[f"{method} {path}"] += 1
            self.applied_write_log.append((method, path, body_digest))

    def tick(self) -> None:
        """Let time act: complete due activities. Runs before every /v3 request."""
        with self.lock:
            self.activities.advance(self.now_ms())

    def cached_count(self, q: ContactFilter) -> int:
        key = (self.records.version, tuple(sorted((k, v) for k, v in q.params.items()
                                               if k not in ("limit", "include", "include_count"))))
        if key not in self._count_cache:
            if len(self._count_cache) > 32:
                self._count_cache.clear()
            self._count_cache[key] = count(self.records, q)
        return self._count_cache[key]

    # ---- Python control surface -----------------------------------------------------------------------

    def requests_matching(self, method: str | None = None, path_prefix: str = "") -> int:
        """How many requests arrived for that method (any if None) and path prefix."""
        with self.lock:
            total = 0
            for key, n in self.request_counts.items():
                m, _, path = key.partition(" ")
                if (method is None or m == method) and path.startswith(path_prefix):
                    total += n
            return total

    def reset_request_counts(self) -> None:
        with self.lock:
            self.request_counts.clear()
            self.refused.clear()
            self.arrivals.clear()
            self.request_log.clear()
            self.applied_writes.clear()
            self.applied_write_log.clear()

    def contact_json(self, contact_id: str) -> dict[str, Any]:
        """The contact's current ContactResource with every sub-resource (404 ApiError if unknown)."""
        with self.lock:
            self.activities.advance(self.now_ms())
            seq = self.rules.seq(contact_id)
            return contact_json(self.records.view(seq), contact_id, INCLUDES)

    def add_contact(self, body: dict[str, Any] | None = None, **fields: Any) -> str:
        """Create a contact as POST /contacts would (same validation and 409s); returns its id.
        `create_source` defaults to Account."""
        payload = {"create_source": "Account", **(body or {}), **fields}
        validate_body(CONTACT_POST, payload)
        with self.lock:
            rec = self.rules.create(payload)
            return self.records.contact_id(rec.seq)

    def confirm_resubscribe(self, contact_id: str) -> dict[str, Any]:
        """Simulate the contact confirming the resubscribe email (400 ApiError if none is pending)."""
        with self.lock:
            rec = self.rules.confirm_resubscribe(self.rules.seq(contact_id))
            return contact_json(rec, contact_id, INCLUDES)

    def contact_unsubscribes(self, contact_id: str, reason: str | None = None) -> dict[str, Any]:
        """Simulate the contact using an email's unsubscribe link (opt_out_source Contact)."""
        with self.lock:
            rec = self.rules.contact_unsubscribes(self.rules.seq(contact_id), reason)
            return contact_json(rec, contact_id, INCLUDES)

    def contact_ids(self, status: str | None = None, limit: int | None = None) -> list[str]:
        """Ids of contacts in creation order, filtered like GET /contacts?status=... (default: not deleted)."""
        with self.lock:
            q = ContactFilter.for_status(status)
            match = predicate(self.records, q)
            out: list[str] = []
            for seq in candidates(self.records, q, -1):
                if match(seq):
                    out.append(self.records.contact_id(seq))
                    if limit is not None and len(out) >= limit:
                        break
            return out

    def lists(self) -> list[dict[str, Any]]:
        """Every list, deleted ones included, as ContactList JSON."""
        return [list_json(d) for d in self.records.catalog.lists]

    def list_id(self, name: str) -> str:
        for d in self.records.catalog.lists:
            if d.name == name:
                return d.list_id
        raise KeyError(name)

    def tags(self) -> dict[str, str]:
        """tag_id → name."""
        return {t.tag_id: t.name for t in self.records.catalog.tags}

    def custom_fields(self) -> dict[str, str]:
        """custom_field_id → label."""
        return {f.custom_field_id: f.label for f in self.records.catalog.custom_fields}

    def activity_json(self, activity_id: str) -> dict[str, Any]:
        with self.lock:
            self.activities.advance(self.now_ms())
            act = self.activities.activities.get(activity_id)
            if act is None:
                raise errors.not_found("Activity not found.")
            return self.activities.as_json(act, self.now_ms(), detailed=True)
