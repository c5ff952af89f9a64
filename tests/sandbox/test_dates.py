"""Date-times a client sends (note `created_at`) are written back as valid ISO-8601, whatever the year.

Found by the property suite: a note dated in the year 200 was stored, then answered as `200-03-20T...Z`
(strftime does not pad the year), which the contract refuses and the sandbox itself rejected when the client
PUT the note back; an instant that falls in the year 0 in UTC made every read of the contact a 500.
"""

from __future__ import annotations

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox
from ccdesk.sandbox.timefmt import iso_date, iso_offset, iso_z, parse_datetime
from tests.contract.schemas import errors_for

from .helpers import error_keys, put_body


@pytest.mark.parametrize("text, written", [
    ("0200-03-20T17:31:34.000-05:00", "0200-03-20T22:31:34.000Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
    ("0999-12-31T23:59:59.5+00:00", "0999-12-31T23:59:59.500Z"),
    ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
    ("1969-12-31T23:59:59.250Z", "1969-12-31T23:59:59.250Z"),
])
def test_written_dates_have_four_digit_years_and_read_back(text: str, written: str) -> None:
    ms = parse_datetime(text)
    assert iso_z(ms) == written
    assert parse_datetime(iso_z(ms)) == ms
    assert iso_date(ms) == written[:10]


def test_email_dates_pad_the_year_too() -> None:
    assert iso_offset(parse_datetime("0500-06-01T12:00:00Z")) == "0500-06-01T07:00:00.000-05:00"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00", "0000-06-01T00:00:00Z"])
def test_instants_outside_years_1_to_9999_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


async def test_an_old_note_survives_a_round_trip(client: httpx.AsyncClient) -> None:
    r = await client.post("/v3/contacts", json={
        "create_source": "Account", "email_address": {"address": "old.note@example.org"},
        "notes": [{"content": "from the archive", "created_at": "0200-03-20T17:31:34.000-05:00"}]})
    assert r.status_code == 201, r.text
    contact = r.json()
    assert contact["notes"][0]["created_at"] == "0200-03-20T22:31:34.000Z"
    assert errors_for("ContactResource", contact) == []
    r = await client.put(f"/v3/contacts/{contact['contact_id']}", json=put_body(contact, update_source="Account"))
    assert r.status_code == 200, r.text
    assert r.json()["notes"] == contact["notes"]


async def test_an_unwritable_instant_is_400_and_creates_nothing(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    count = len(sandbox.contact_ids(status="all"))
    r = await client.post("/v3/contacts", json={
        "create_source": "Account", "email_address": {"address": "year.zero@example.org"},
        "notes": [{"content": "x", "created_at": "0001-01-01T00:00:00+14:00"}]})
    assert r.status_code == 400 and error_keys(r) == ["contacts.api.validation.error"]
    assert len(sandbox.contact_ids(status="all")) == count
