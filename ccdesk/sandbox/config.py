"""How a sandbox instance is set up (sizes, limits, tokens, timing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SandboxConfig:
    """Every knob of one sandbox instance; `python -m ccdesk.sandbox` maps its flags onto these fields.

    `clock` drives everything time-dependent (dates written, token expiry, rate limits, activity progress)
    so tests can move time without sleeping. `rate_limit=0` or `daily_quota=0` switch that limit off.
    `anchor` is the instant the seeded history ends (epoch seconds); None means midnight UTC of the
    clock's current day, so seeded data is identical all day and recent opt-outs stay recent.
    """

    contacts: int = 200
    seed: int = 1
    rate_limit: float = 4.0
    daily_quota: int = 10_000
    tokens: list[str] = field(default_factory=list)
    activity_seconds: float = 1.0
    auto_approve: bool = False
    refresh_tokens: str = "rotating"
    token_lifetime_s: float = 86400
    clock: Callable[[], float] = time.time
    anchor: float | None = None
    max_queued_activities: int = 1000
