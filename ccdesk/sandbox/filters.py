"""GET /contacts: query parameters → a predicate over the index, candidate scanning and counting."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import errors
from .index import DELETED
from .model import PERM_CODE, PERMISSIONS, SMS_CODE
from .records import ContactRecords
from .render import INCLUDES
from .validation import QueryParams

STATUSES = ("all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold", "unsubscribed")
# `active` = not deleted and mailable. The service's exact mapping is unconfirmed.
ACTIVE_PERMISSIONS = ("explicit", "implicit", "not_set")
SMS_STATUSES = ("all", "explicit", "unsubscribed", "pending_confirmation", "not_set")
PARAMS = (
    "status", "email", "lists", "segment_id", "tags", "updated_after", "updated_before", "created_after",
    "created_before", "optout_after", "optout_before", "include", "sms_status", "include_count", "limit",
)
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class ContactFilter:
    params: dict[str, str]  # as given, re-validated when read back from a cursor
    statuses: tuple[str, ...] | None
    email: str | None
    lists: tuple[str, ...] | None
    tags: tuple[str, ...] | None
    bounds: tuple[tuple[str, int | None, int | None], ...]  # (column, after incl., before excl.)
    sms_status: tuple[str, ...] | None
    include: tuple[str, ...]
    include_count: bool
    limit: int

    @classmethod
    def for_status(cls, status: str | None) -> ContactFilter:
        """Only a `status` filter (None = the default, not deleted), as exports and bulk selections use."""
        return cls({}, (status,) if status else None, None, None, None, (), None, (), False, MAX_LIMIT)


def parse_query(q: QueryParams) -> ContactFilter:
    if "segment_id" in q:
        if set(q.params) - {"segment_id", "limit"}:
            raise errors.validation("segment_id may only be combined with limit.")
        raise errors.not_found("Segment not found.")  # the sandbox account has no segments
    email = q.text("email")
    if email is not None and not email.strip():
        raise errors.validation("email may not be empty.")
    bounds = []
    for column in ("updated", "created", "optout"):
        after, before = q.datetime_ms(f"{column}_after"), q.datetime_ms(f"{column}_before")
        if after is not None or before is not None:
            bounds.append((column, after, before))
    statuses = q.csv("status", STATUSES)
    lists, tags = q.uuids("lists", 25), q.uuids("tags", 50)
    sms = q.csv("sms_status", SMS_STATUSES)
    return ContactFilter(
        params=dict(q.params),
        statuses=tuple(statuses) if statuses is not None else None,
        email=email,
        lists=tuple(lists) if lists is not None else None,
        tags=tuple(tags) if tags is not None else None,
        bounds=tuple(bounds),
        sms_status=tuple(sms) if sms is not None else None,
        include=tuple(q.csv("include", INCLUDES) or ()),
        include_count=q.boolean("include_count"),
        limit=q.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    )


def _status_table(statuses: tuple[str, ...] | None) -> bytes:
    """Which (deleted << 3 | permission code) combinations a `status` value admits."""
    wanted = set(statuses or ())
    table = bytearray(16)
    for perm in PERMISSIONS:
        code = PERM_CODE[perm]
        if statuses is None:  # the default: every contact that is not deleted
            table[code] = 1
            continue
        table[code] = "all" in wanted or perm in wanted or ("active" in wanted and perm in ACTIVE_PERMISSIONS)
        table[DELETED << 3 | code] = "all" in wanted or "deleted" in wanted
    return bytes(table)


def _between(col: array[int], after: int | None, before: int | None, skip_zero: bool) -> Callable[[int], bool]:
    """after ≤ col[s] < before; a zero (no opt-out date) never matches when `skip_zero`."""
    lo = after if after is not None else -(1 << 62)
    hi = before if before is not None else 1 << 62

    def check(s: int) -> bool:
        value = col[s]
        return lo <= value < hi and not (skip_zero and value == 0)

    return check


def predicate(records: ContactRecords, q: ContactFilter) -> Callable[[int], bool]:
    ix = records.index
    cat = records.catalog
    table = _status_table(q.statuses)
    perm, flags = ix.perm, ix.flags
    checks: list[Callable[[int], bool]] = []
    if q.lists is not None:
        lmask, lcol = cat.list_mask(list(q.lists)), ix.lists
        checks.append(lambda s: bool(lcol[s] & lmask))
    if q.tags is not None:
        tmask, tcol = cat.tag_mask(list(q.tags)), ix.tags
        checks.append(lambda s: bool(tcol[s] & tmask))
    for column, after, before in q.bounds:
        col = {"updated": ix.updated, "created": ix.created, "optout": ix.optout}[column]
        checks.append(_between(col, after, before, skip_zero=column == "optout"))
    if q.sms_status is not None:
        codes = (
            {c for c in range(1, len(SMS_CODE))} if "all" in q.sms_status
            else {SMS_CODE[p] for p in q.sms_status}
        )
        scol = ix.sms
        checks.append(lambda s: scol[s] in codes)

    def matches(s: int) -> bool:
        if not table[(flags[s] & DELETED) << 3 | perm[s]]:
            return False
        return all(check(s) for check in checks)

    return matches


def candidates(records: ContactRecords, q: ContactFilter, after: int) -> Iterator[int]:
    """Sequence numbers > after, in order, that may match (a superset; the predicate decides)."""
    ix = records.index
    if q.email is not None:
        seq = records.seq_by_email(q.email)
        if seq is not None and seq > after:
            yield seq
        return
    optout_only = any(c == "optout" for c, _a, _b in q.bounds) or (
        q.statuses is not None and set(q.statuses) == {"unsubscribed"}
    )
    if optout_only:  # every unsubscribed contact has an opt-out date, and only they do
        seqs = ix.optout_seqs
        start = bisect.bisect_right(seqs, after)
        # Copy the tail: seqs can change under us while the caller renders (same lock, but be safe).
        yield from seqs[start:]
        return
    yield from range(after + 1, len(ix))


def scan(records: ContactRecords, q: ContactFilter, after: int) -> tuple[list[int], int | None]:
    """One page: up to `limit` matching seqs after `after`, and the position to continue from (or None)."""
    match = predicate(records, q)
    found: list[int] = []
    for seq in candidates(records, q, after):
        if match(seq):
            found.append(seq)
            if len(found) > q.limit:
                return found[: q.limit], found[q.limit - 1]
    return found, None


def count(records: ContactRecords, q: ContactFilter) -> int:
    match = predicate(records, q)
    return sum(1 for seq in candidates(records, q, -1) if match(seq))
