"""The soak, for one minute (the documented command runs it for an hour: python -m tests.faults.soak)."""

from __future__ import annotations

import pytest

from .soak import soak, soak_table

pytestmark = pytest.mark.slow


async def test_one_minute_of_mixed_actions_and_syncs_against_a_flaky_sandbox() -> None:
    result, switched, actions = await soak(60, seed=2)
    assert actions >= 20 and sum(switched.values()) >= 5
    assert result.survived, result.note
    assert result.lost == 0 and result.duplicated == 0 and result.cache_mismatches == 0
    assert soak_table(result, switched)[-1]["lost"] == 0
