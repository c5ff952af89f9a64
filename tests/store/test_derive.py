"""Pure functions: status rules, datetime normalisation, folding and query parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ccdesk.store.derive import derive, derive_status
from ccdesk.store.rows import Status
from ccdesk.store.textnorm import fold, parse_query, search_document, sort_name
from ccdesk.store.timeutil import api_date_to_db, api_to_db, db_to_dt, dt_to_db
from tests.store.conftest import make_contact


@pytest.mark.parametrize(
    ("permission", "has_email", "deleted", "lists_known", "n_lists", "expected"),
    [
        ("explicit", True, False, True, 2, Status.MAILABLE),
        ("implicit", True, False, True, 1, Status.MAILABLE),
        ("implicit", True, False, False, 0, Status.MAILABLE),  # lists never read: not "removed"
        ("implicit", True, False, True, 0, Status.REMOVED),
        ("unsubscribed", True, False, True, 3, Status.UNSUBSCRIBED),
        ("unsubscribed", True, True, True, 0, Status.UNSUBSCRIBED),  # an opt-out survives delete
        ("explicit", True, True, True, 0, Status.DELETED),
        ("pending_confirmation", True, True, True, 0, Status.DELETED),
        ("pending_confirmation", True, False, True, 1, Status.PENDING),
        ("temp_hold", True, False, True, 1, Status.PENDING),
        ("not_set", True, False, True, 1, Status.PENDING),
        ("some_future_value", True, False, True, 1, Status.PENDING),
        (None, False, False, True, 1, Status.PENDING),  # SMS-only contact, no address
    ],
)
def test_status_rules(
    permission: str | None, has_email: bool, deleted: bool, lists_known: bool, n_lists: int, expected: Status
) -> None:
    got = derive_status(
        permission=permission, has_email=has_email, deleted=deleted, lists_known=lists_known, list_count=n_lists
    )
    assert got is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03-03T10:53:04-05:00", "2016-03-03T15:53:04.000000Z"),
        ("2016-01-23T13:48:44.108Z", "2016-01-23T13:48:44.108000Z"),
        ("2016-01-23T13:48:44Z", "2016-01-23T13:48:44.000000Z"),
        ("2016-01-24T01:00:00+14:00", "2016-01-23T11:00:00.000000Z"),
        ("2016-01-23T13:48:44", "2016-01-23T13:48:44.000000Z"),  # no offset: UTC
        ("not a date", None),
        ("", None),
        (None, None),
        (12345, None),
    ],
)
def test_api_datetimes_normalise_to_utc(text: object, expected: str | None) -> None:
    assert api_to_db(text) == expected


def test_normalised_text_sorts_like_time() -> None:
    values = ["2016-01-23T13:48:44Z", "2016-01-23T13:48:44.108Z", "2016-01-23T08:48:44.5-05:00"]
    stored = sorted(api_to_db(v) or "" for v in values)
    assert [db_to_dt(s) for s in stored] == sorted(datetime.fromisoformat(v) for v in values)


def test_dt_roundtrip_and_naive_refused() -> None:
    aware = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert db_to_dt(dt_to_db(aware)) == aware
    assert db_to_dt(dt_to_db(aware)).tzinfo == UTC  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive"):
        dt_to_db(datetime(2024, 5, 1))


def test_dates() -> None:
    assert api_date_to_db("2024-02-29") == "2024-02-29"
    assert api_date_to_db("2024-02-29T23:30:00-05:00") == "2024-03-01"
    assert api_date_to_db("garbage") is None


def test_fold() -> None:
    assert fold("  Zoë   ŁUKASZ ") == "zoe lukasz"
    assert fold("Søren Dvořák") == "soren dvorak"
    assert fold("STRAßE") == "strasse"
    assert fold("ﬁne") == "fine"  # compatibility ligature
    assert fold(None) == ""


def test_search_document_and_sort_name() -> None:
    assert search_document(["José", None, "Núñez & Co", "JN@x.io"]) == "  jose  nunez  &  co  jn@x.io"
    assert sort_name("Ann", "Ó Brien", "a@x") < sort_name(None, None, "a@x")  # nameless last
    assert sort_name("ann", "smith", None) == sort_name("ANN", "Smith", None)


def test_parse_query() -> None:
    assert [n.substring for n in parse_query("J jo  smith Smith")] == ["  j", " jo", "smith"]
    assert parse_query("   ") == []
    assert parse_query('a"b').__len__() == 1
    assert parse_query('ab"c')[0].fts_phrase == '"ab""c"'


def test_derive_columns() -> None:
    c = make_contact(7, first="Zoë", last="Ó Brien", company="Acme", permission="Unsubscribed",
                     opt_out_date="2024-03-01T10:00:00-05:00", opt_out_reason="Too many", deleted_at="2024-04-01",
                     lists=["b", "a", "b"])
    c["email_address"]["address"] = " Zoe@Example.COM "
    d = derive(c)
    assert d.email == "Zoe@Example.COM" and d.email_lower == "zoe@example.com"
    assert d.permission_to_send == "unsubscribed"
    assert d.opt_out_date == "2024-03-01T15:00:00.000000Z"
    assert d.deleted_at == date(2024, 4, 1).isoformat()
    assert d.list_ids == ("a", "b")
    assert d.status(lists_known=True, list_count=2) is Status.UNSUBSCRIBED
    assert derive(make_contact(8, lists=None)).list_ids is None
    with pytest.raises(ValueError, match="contact_id"):
        derive({"first_name": "x"})


NAMES = [None, "", "  ", "Jo", " Zoë  Ł ", "ANNE marie", "O'Brien", "Øvergaard", "José Núñez", "ǅ", "x\u0301y"]


def test_name_keys_fold_each_value_once_into_the_same_keys() -> None:
    from itertools import product

    from ccdesk.store.textnorm import name_keys

    for first, last, company, email in product(NAMES, NAMES[:6], ["Acme  Inc", None], ["A@B.c", None, "  "]):
        assert name_keys(first, last, company, email) == (
            sort_name(first, last, email), search_document((first, last, company, email)))


def test_a_repeated_date_is_stored_as_the_first_one() -> None:
    """derive() converts a date equal to one already converted once: the same text either way."""
    contact = make_contact(1)
    contact.update(created_at="2021-03-04T05:06:07.8-05:00", updated_at="2021-03-04T05:06:07.8-05:00")
    contact["email_address"].update(opt_in_date="2021-03-04T10:06:07.80Z", updated_at="2021-03-05T10:06:07Z")
    d = derive(contact)
    assert d.created_at == d.updated_at == d.opt_in_date == "2021-03-04T10:06:07.800000Z"
    assert d.email_updated_at == "2021-03-05T10:06:07.000000Z"
