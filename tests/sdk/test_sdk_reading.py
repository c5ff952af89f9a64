"""Reading through the official SDK: paging by `_links.next`, every include, every date filter in the SDK's own
date format, and the custom fields endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx
import pytest
from constant_contact_api_client.exceptions import BadRequestException, NotFoundException

from .conftest import ALL_INCLUDES, TOKEN, Sdk

DATE_FILTERS = ("created_after", "created_before", "updated_after", "updated_before", "optout_after",
                "optout_before")
ZONES = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))


def test_paging_follows_links_next_to_every_contact(sdk: Sdk) -> None:
    page = sdk.contacts.get_all_contacts(status="all", limit=37, include_count=True)
    ids = [c.contact_id for c in page.contacts]
    pages = 1
    while page.links is not None and page.links.next is not None:
        page = sdk.follow(page.links.next.href, "GetAllContacts200Response")
        ids += [c.contact_id for c in page.contacts]
        pages += 1
    total = sdk.control("GET", "/")["contacts"]
    assert len(ids) == len(set(ids)) == total
    assert pages == -(-total // 37)


@pytest.mark.parametrize("include", [*ALL_INCLUDES, ",".join(ALL_INCLUDES)])
def test_every_include_reaches_the_sdk_models(sdk: Sdk, include: str) -> None:
    wanted = set(include.split(","))
    page = sdk.contacts.get_all_contacts(status="all", include=include, limit=100)
    with_all = [c for c in page.contacts if all(getattr(c, name) for name in wanted)]
    assert with_all, f"no contact on the first page has {include}"
    one = sdk.contacts.get_contact_by_id(with_all[0].contact_id, include=include)
    for name in ALL_INCLUDES:
        value = getattr(one, name)
        assert (bool(value) if name in wanted else value is None), (name, value)
    assert one.to_dict() == with_all[0].to_dict()
    if "custom_fields" in wanted:
        assert all(f.custom_field_id and f.value for f in one.custom_fields)
    if "phone_numbers" in wanted:
        assert all(p.phone_number and p.kind for p in one.phone_numbers)
    if "notes" in wanted:
        assert all(n.content and n.created_at.tzinfo is not None for n in one.notes)


def _raw_ids(sdk: Sdk, params: dict[str, str]) -> list[str]:
    r = httpx.get(f"{sdk.sandbox.api_base}/contacts", params={**params, "limit": "500"},
                  headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert "_links" not in r.json()
    return [c["contact_id"] for c in r.json()["contacts"]]


@pytest.mark.parametrize("name", DATE_FILTERS)
def test_every_date_filter_in_the_sdks_format(sdk: Sdk, name: str) -> None:
    """The SDK writes `2026-11-30T21:48:34.491844+0000`; the answer is the one for the same instant in `Z` form."""
    anchor = datetime.fromtimestamp(sdk.control("GET", "/")["anchor_ms"] / 1000, UTC)
    instant = anchor - timedelta(days=200, microseconds=491844)
    for zone in ZONES:
        sdk.control("DELETE", "/requests")
        page = sdk.contacts.get_all_contacts(status="all", limit=500, **{name: instant.astimezone(zone)})
        sent = parse_qs(sdk.requests_log()[-1]["query"])[name][0]
        assert sent == instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S.%f%z")  # e.g. ...491844+0530
        expected = _raw_ids(sdk, {"status": "all", name: instant.isoformat(timespec="milliseconds")
                                  .replace("+00:00", "Z")})
        assert [c.contact_id for c in page.contacts] == expected
        assert expected, f"{name} matched nothing: the test would prove nothing"


def test_a_range_of_two_sdk_dates(sdk: Sdk) -> None:
    anchor = datetime.fromtimestamp(sdk.control("GET", "/")["anchor_ms"] / 1000, UTC)
    after, before = anchor - timedelta(days=400), anchor - timedelta(days=100)
    page = sdk.contacts.get_all_contacts(status="all", limit=500, optout_after=after, optout_before=before,
                                         include_count=True)
    assert page.contacts and page.contacts_count == len(page.contacts)
    for c in page.contacts:
        assert after <= c.email_address.opt_out_date < before


def test_a_naive_datetime_is_refused_in_plain_words(sdk: Sdk) -> None:
    """The SDK writes a naive datetime without a zone; its instant is unknown, so it stays a 400."""
    with pytest.raises(BadRequestException) as caught:
        sdk.contacts.get_all_contacts(updated_after=datetime(2026, 1, 1, 12, 0, 0))
    assert caught.value.status == 400
    assert "updated_after must be an ISO-8601 date-time with a time zone" in caught.value.body


def test_custom_fields_through_the_sdk(sdk: Sdk) -> None:
    seeded = sdk.control("GET", "/")["custom_fields"]
    page = sdk.custom_fields.get_all_custom_fields(limit=3)
    fields = list(page.custom_fields)
    assert page.links is not None and page.links.next is not None
    rest = sdk.follow(page.links.next.href, "GetAllCustomFields200Response")
    fields += rest.custom_fields
    assert rest.links is None
    assert {f.custom_field_id: f.label for f in fields} == seeded
    for f in fields:
        one = sdk.custom_fields.get_custom_field(f.custom_field_id)
        assert one == f and one.type and one.name == f.label.replace(" ", "_")
        assert one.created_at <= one.updated_at
    used = {cf.custom_field_id for c in sdk.contacts.get_all_contacts(include="custom_fields", limit=200).contacts
            for cf in c.custom_fields or []}
    assert used and used <= set(seeded)
    with pytest.raises(NotFoundException):
        sdk.custom_fields.get_custom_field("00000000-0000-4000-8000-000000000000")
