"""Answers no documented service sends, read so that nothing downstream chokes on them: NaN and infinite numbers
are refused as malformed, lone surrogates become U+FFFD, entries without an id are left out, a paging circle
stops the read, odd activity fields are read as nothing (ccdesk/api/answer_json.py, client.py, models.py)."""

from __future__ import annotations

import httpx
import pytest

from ccdesk.api import answer_json, errors
from ccdesk.api.models import Activity, Contact
from tests.api.client_extras import iter_contacts
from tests.api.test_errors_and_retries import CONTACT, j, make_client, scripted


def raw(status: int, body: bytes) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize("text", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e999}',
                                  b'[-1e400]'])
def test_numbers_json_has_not_are_refused(text: bytes) -> None:
    with pytest.raises(ValueError):
        answer_json.loads(text)


def test_lone_surrogates_become_replacement_characters_and_pairs_stay() -> None:
    data = answer_json.loads(b'{"first_name": "Zo\\ud83d", "last_name": "\\ud83d\\ude00 ok", '
                             b'"\\udc00key": ["\\ud800", 1.5]}')
    assert data == {"first_name": "Zo\ufffd", "last_name": "\U0001F600 ok", "\ufffdkey": ["\ufffd", 1.5]}
    "".join(data).encode("utf-8")  # every string is text UTF-8 can hold now


async def test_a_nan_answer_is_a_malformed_answer_tried_again() -> None:
    handler = scripted(raw(200, b'{"contact_id": "c1", "score": NaN}'), j(200, CONTACT))
    async with make_client(handler) as client:
        contact = await client.get_contact("c1")
    assert contact.contact_id == "c1" and len(handler.seen) == 2


async def test_entries_without_an_id_are_left_out_of_a_page_not_the_page(caplog) -> None:
    page = {"contacts": [CONTACT, dict(CONTACT, contact_id=""), {"first_name": "no id"}, "junk",
                         dict(CONTACT, contact_id="c2")]}
    async with make_client(scripted(j(200, page))) as client:
        ids = [c.contact_id async for c in iter_contacts(client)]
    assert ids == ["c1", "c2"]
    assert "3 entries without a contact id" in caplog.text


async def test_a_paging_circle_stops_the_read() -> None:
    loop = {"contacts": [CONTACT], "_links": {"next": {"href": "/v3/contacts?cursor=again"}}}
    handler = scripted(j(200, loop), j(200, loop), j(200, loop))
    async with make_client(handler) as client:
        with pytest.raises(errors.MalformedResponse, match="went round in a circle"):
            async for _ in iter_contacts(client):
                pass
    assert len(handler.seen) == 2  # the page the link came back to is not read a third time


async def test_lists_without_an_id_are_left_out() -> None:
    page = {"lists": [{"list_id": "l1", "name": "A"}, {"name": "no id"}, {"list_id": "", "name": "empty"}]}
    async with make_client(scripted(j(200, page))) as client:
        assert [x.list_id async for x in client.iter_lists()] == ["l1"]


def test_odd_activity_and_contact_fields_are_read_as_nothing() -> None:
    odd = Activity({"activity_id": "a1", "state": "processing", "percent_done": "50%",
                    "activity_errors": "contact c1 not found", "_links": "none"})
    assert (odd.percent_done, odd.errors, odd.results_href) == (0, ["contact c1 not found"], None)
    assert Activity({"activity_id": "a1", "percent_done": 1e300}).percent_done == 0
    contact = Contact({"contact_id": "c1", "list_memberships": "abc", "custom_fields": [1, {"x": 1}]})
    assert contact.list_memberships == [] and contact.custom_fields == [{"x": 1}]


async def test_an_activity_poll_answer_without_its_id_keeps_the_one_asked_about() -> None:
    handler = scripted(j(200, {"state": "completed", "percent_done": 100}))
    async with make_client(handler) as client:
        done = await client.get_activity("a1")
    assert done.activity_id == "a1" and done.succeeded


@pytest.mark.parametrize("value", [b"\xb2", b"1\xb2", "\u0663".encode()], ids=["superscript-2", "1-and-2", "arabic-3"])
async def test_a_retry_after_with_digits_that_are_not_ascii_is_ignored(value: bytes) -> None:
    odd = httpx.Response(503, json=[], headers=[(b"retry-after", value)])
    handler = scripted(odd, j(200, CONTACT))
    async with make_client(handler) as client:
        assert (await client.get_contact("c1")).contact_id == "c1"
