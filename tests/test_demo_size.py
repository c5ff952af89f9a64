"""`CCDESK_DEMO_CONTACTS` sizes the demo account (to try the app at scale; CI runs the installed app's smoke on a
demo big enough that its first read is stored by a separate process)."""

from __future__ import annotations

import logging

import pytest

from ccdesk.bootstrap import demo


@pytest.mark.parametrize(("value", "expected"), [
    (None, demo.DEMO_CONTACTS), ("", demo.DEMO_CONTACTS), ("30000", 30_000), (" 600 ", 600),
    ("lots", demo.DEMO_CONTACTS), ("0", demo.DEMO_CONTACTS), ("-5", demo.DEMO_CONTACTS),
    ("9999999999", demo.DEMO_CONTACTS),
])
def test_the_demo_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                  value: str | None, expected: int) -> None:
    if value is None:
        monkeypatch.delenv(demo.DEMO_CONTACTS_ENV, raising=False)
    else:
        monkeypatch.setenv(demo.DEMO_CONTACTS_ENV, value)
    with caplog.at_level(logging.WARNING):
        assert demo.demo_contacts() == expected
    refused = value is not None and value.strip() != "" and expected == demo.DEMO_CONTACTS
    assert ("is not a number of contacts" in caplog.text) == refused


async def test_the_demo_account_has_that_many_contacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(demo.DEMO_CONTACTS_ENV, "321")
    run = await demo.open_demo()
    try:
        assert len(run.server.sandbox.contact_ids(status="all")) == 321
    finally:
        await run.client.aclose()
        await run.close()
