"""Property: an unsubscribe, a removal from lists or a resubscribe request changes only what it owns, for any
contact the API accepts (every sub-resource, maximum lengths, any script, empty lists). 150 examples here;
the benchmark runs 1,200 (`python tests/benchmarks/run.py --only property`)."""

from __future__ import annotations

from typing import Any

import pytest

from ccdesk.api import contact_writes as client_module

from .runner import changed_fields, run_property_suite


@pytest.mark.slow  # 150 examples against a sandbox: 30-45 s each
@pytest.mark.parametrize("resubscribe_state", ["pending_confirmation", "unsubscribed"])
def test_actions_change_only_the_fields_they_own(resubscribe_state: str) -> None:
    figures = run_property_suite(150, resubscribe_state=resubscribe_state)
    assert figures["property_examples"] == 150
    assert figures["property_failures"] == 0
    assert figures["property_fields_lost"] == 0, figures["lost_paths"]


@pytest.mark.slow  # ~15 s
def test_the_check_sees_a_put_that_drops_custom_fields_and_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    real = client_module.build_put_body

    def lossy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = real(*args, **kwargs)
        return {k: v for k, v in body.items() if k not in ("custom_fields", "notes", "job_title")}

    monkeypatch.setattr(client_module, "build_put_body", lossy)
    figures = run_property_suite(45)
    assert figures["property_fields_lost"] > 0
    assert any("custom_fields" in p or "notes" in p or "job_title" in p for p in figures["lost_paths"])


def test_changed_fields_covers_owned_subtrees_only() -> None:
    before = {"a": 1, "list_memberships": ["x", "y"], "email_address": {"permission_to_send": "explicit", "b": 2}}
    after = {"a": 1, "list_memberships": ["x"], "email_address": {"permission_to_send": "unsubscribed", "b": 3}}
    assert changed_fields(before, after, ("list_memberships", "email_address.permission_to_send")) == [
        "email_address.b"]
    assert changed_fields({"n": []}, {}, ()) == ["n"]
