"""When and how long to wait before trying a failed request again."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import ApiError, Throttled


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Only idempotent requests (GET, PUT, DELETE) are retried on 5xx, network errors and malformed answers: a
    POST that creates an activity may have been carried out even though the answer was lost, so it is never
    repeated blindly. A 429 `throttled` is retried for every method, because the service refused the request
    before doing anything. `quota_exceeded` is never retried: it lasts until 00:00 UTC.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0

    def should_retry(self, error: ApiError, *, idempotent: bool, attempt: int) -> bool:
        if attempt >= self.attempts or not error.retryable:
            return False
        return idempotent or isinstance(error, Throttled)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(cap / 2, cap)


NO_RETRY = RetryPolicy(attempts=1)
