"""The team request budget: desks (here two limiters with their own connections, as two desks have) draw from one
4-a-second window and one day count; without the database a desk falls back to its own budget."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ccdesk.api.ratelimit import RateLimiter
from ccdesk.team.budget import TeamBudget

from .conftest import DESK_PASSWORD
from .pgserver import PgServer


async def test_two_desks_share_four_a_second_and_one_day_count(pg: PgServer, team_dsn: str) -> None:
    dbname = team_dsn.split("dbname=")[1].split()[0]
    desks = [TeamBudget("key-1", pg.dsn(user=u, password=DESK_PASSWORD, dbname=dbname), fallback=RateLimiter(0))
             for u in ("desk_a", "desk_b")]
    stamps: list[float] = []

    async def use(budget: TeamBudget, n: int) -> None:
        for _ in range(n):
            async with budget.slot():
                stamps.append(time.monotonic())

    try:
        started = time.monotonic()
        await asyncio.gather(use(desks[0], 8), use(desks[1], 8))
        elapsed = time.monotonic() - started
        stamps.sort()
        # 16 requests at 4 per 1.02 s: at least 3 full windows. Each desk alone would have taken ~1 s.
        assert elapsed >= 3 * 1.02 - 0.05
        assert all(stamps[i + 4] - stamps[i] >= 1.0 for i in range(len(stamps) - 4))
        assert desks[0].used_today() == desks[1].used_today() == 16
        assert desks[0].requests_here == desks[1].requests_here == 8
    finally:
        for d in desks:
            d.close()


async def test_without_the_database_a_desk_uses_its_own_budget(tmp_path: Path) -> None:
    own = RateLimiter(4.0)
    budget = TeamBudget("key-1", "host=127.0.0.1 port=1 dbname=x user=y connect_timeout=2", fallback=own)
    try:
        async with budget.slot():
            pass
        assert budget.requests_here == 0 and len(own._sent) == 1
    finally:
        budget.close()
