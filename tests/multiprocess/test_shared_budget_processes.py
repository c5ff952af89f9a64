"""The window and scheduled commands on one desk, as real processes against the real 4 requests/second limit:
together they stay under it (no 429) and the day's requests are counted once for the API key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ccdesk.api.shared_budget import requests_used_today

from .world import CLIENT_ID, desk_world

pytestmark = pytest.mark.slow


def test_window_and_two_commands_share_one_budget(tmp_path: Path, bus_address: str) -> None:
    with desk_world(tmp_path / "home", bus_address, contacts=2500) as world:
        sb = world.server.sandbox
        file = tmp_path / "addresses.csv"
        file.write_text("email\n" + "".join(f"{a}\n" for a in world.addresses(25)), encoding="utf-8")
        sb.reset_request_counts()
        window = world.start("tests.multiprocess.desk_child", "window")
        time.sleep(0.3)
        unsubscribe = world.start("ccdesk", "unsubscribe", "--file", str(file), "--reason", "Asked by phone",
                                  "--json")
        export = world.start("ccdesk", "export-optouts", "--out", str(tmp_path / "dnm.csv"), "--json")
        outs = {name: proc.communicate(timeout=300) for name, proc in (("unsubscribe", unsubscribe),
                                                                       ("export", export), ("window", window))}
        for name, proc in (("window", window), ("unsubscribe", unsubscribe), ("export", export)):
            assert proc.returncode == 0, (name, outs[name])
        assert json.loads(outs["window"][0])["ok"]
        assert json.loads(outs["unsubscribe"][0])["outcomes"].get("unsubscribed") == 25
        assert sb.refused["throttled"] == 0, "the processes of one desk exceeded the API key's limit together"
        arrived = len(sb.arrivals)
        assert requests_used_today(CLIENT_ID, world.budget) == arrived  # every process counted, once
        pulls = sb.requests_matching("GET", "/v3/contacts") - sb.requests_matching("GET", "/v3/contacts/")
        assert pulls <= 2 * (2500 // 500 + 1) + 4, "more than one process read the whole account"


def test_a_burst_from_another_desk_costs_seconds_not_the_command(tmp_path: Path, bus_address: str) -> None:
    """Another desk (its own budget file) uses the whole key's limit for 15 s while a command syncs here: the
    command is refused (429) for a while, slows down, and finishes (exit 0), instead of exit 6."""
    with desk_world(tmp_path / "home", bus_address, contacts=4000) as world:
        sb = world.server.sandbox
        sb.reset_request_counts()
        other_desk = world.start_as_other_desk(tmp_path / "other-desk", "tests.multiprocess.desk_child", "burst", "15")
        time.sleep(2.0)  # the burst is under way
        sync = world.start("ccdesk", "sync", "--json")
        out, err = sync.communicate(timeout=300)
        other_desk.communicate(timeout=120)
        assert sync.returncode == 0, err[-2000:]
        assert json.loads(out)["ok"]
        assert sb.refused["throttled"] > 0  # the two desks did collide
