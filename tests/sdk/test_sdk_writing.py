"""Writing through the official SDK: add/remove list activities built with its request models and polled to
completion, and a resubscribe request."""

from __future__ import annotations

import json

import pytest
from constant_contact_api_client.exceptions import BadRequestException
from constant_contact_api_client.models import (
    CreateListAddActivityRequest,
    CreateListAddActivityRequestExclude,
    CreateListAddActivityRequestSource,
    CreateListRemoveActivityRequest,
    CreateListRemoveActivityRequestSource,
    ResubscribeContactRequest,
)
from pydantic import ValidationError

from .conftest import Sdk, start


def _list_id(sdk: Sdk, name: str) -> str:
    return next(x.list_id for x in sdk.lists.get_all_lists(include_count=True).lists if x.name == name)


def _lists_of(sdk: Sdk, contact_id: str) -> set[str]:
    return set(sdk.contacts.get_contact_by_id(contact_id, include="list_memberships").list_memberships or [])


def _remove_request(source: dict[str, object], list_ids: list[str]) -> CreateListRemoveActivityRequest:
    """The SDK's remove models carry the spec's `maxItems: 0` bug (reference §5, §9): validating them refuses any
    id, so an SDK user builds them with pydantic's `model_construct` (no validation); what is sent is the same."""
    with pytest.raises(ValidationError):
        CreateListRemoveActivityRequestSource(contact_ids=["00000000-0000-4000-8000-000000000000"])
    return CreateListRemoveActivityRequest.model_construct(
        source=CreateListRemoveActivityRequestSource.model_construct(**source), list_ids=list_ids)


def test_add_then_remove_by_contact_ids_with_polling(sdk: Sdk) -> None:
    target = _list_id(sdk, "VIP")
    people = [c.contact_id for c in sdk.contacts.get_all_contacts(status="active", include="list_memberships",
                                                                  limit=200).contacts
              if target not in (c.list_memberships or [])][:5]
    assert len(people) == 5
    request = CreateListAddActivityRequest(source=CreateListAddActivityRequestSource(contact_ids=people),
                                           list_ids=[target])
    assert json.loads(request.to_json())["source"]["all_active_contacts"] is False  # what issue 19 tripped on
    queued = sdk.activities.create_list_add_activity(request)
    assert queued.state == "initialized" and queued.status.items_total_count == 5
    done = sdk.poll_activity(queued.activity_id)
    assert done.state == "completed" and done.percent_done == 100 and done.status.items_completed_count == 5
    assert all(target in _lists_of(sdk, cid) for cid in people)

    removal = _remove_request({"contact_ids": people[:3]}, [target])
    assert json.loads(removal.to_json())["source"]["all_active_contacts"] is False
    queued = sdk.activities.create_list_remove_activity(removal)
    assert sdk.poll_activity(queued.activity_id).state == "completed"
    assert [target in _lists_of(sdk, cid) for cid in people] == [False, False, False, True, True]


def test_list_source_with_exclude_and_all_active_contacts(sdk: Sdk) -> None:
    source_list, target = _list_id(sdk, "VIP"), _list_id(sdk, "Free Members")
    everyone = _remove_request({"all_active_contacts": True}, [target])
    assert sdk.poll_activity(sdk.activities.create_list_remove_activity(everyone).activity_id).state == "completed"
    assert sdk.contacts.get_all_contacts(lists=target, status="active", limit=500).contacts == []

    members = [c.contact_id for c in sdk.contacts.get_all_contacts(lists=source_list, status="active",
                                                                   limit=500).contacts]
    assert len(members) > 3
    add = CreateListAddActivityRequest(source=CreateListAddActivityRequestSource(list_ids=[source_list]),
                                       list_ids=[target],
                                       exclude=CreateListAddActivityRequestExclude(contact_ids=members[:2]))
    assert sdk.poll_activity(sdk.activities.create_list_add_activity(add).activity_id).state == "completed"
    now_in = {c.contact_id for c in sdk.contacts.get_all_contacts(lists=target, status="active", limit=500).contacts}
    assert now_in == set(members[2:])


def test_a_source_naming_nothing_or_two_things_is_still_400(sdk: Sdk) -> None:
    target = _list_id(sdk, "VIP")
    nothing = CreateListAddActivityRequest(source=CreateListAddActivityRequestSource(), list_ids=[target])
    with pytest.raises(BadRequestException) as caught:
        sdk.activities.create_list_add_activity(nothing)
    assert "source must name exactly one" in caught.value.body
    two = CreateListAddActivityRequest(
        source=CreateListAddActivityRequestSource(all_active_contacts=True, list_ids=[target]), list_ids=[target])
    with pytest.raises(BadRequestException):
        sdk.activities.create_list_add_activity(two)


def test_resubscribe_once_and_the_contact_confirms(sdk: Sdk) -> None:
    target = _list_id(sdk, "Newsletter")
    contact = sdk.contacts.get_all_contacts(status="unsubscribed", limit=1).contacts[0]
    sdk.contacts.resubscribe_contact(contact.contact_id, ResubscribeContactRequest(list_ids=[target]))
    pending = sdk.contacts.get_contact_by_id(contact.contact_id)
    assert pending.email_address.confirm_status == "pending"
    assert pending.email_address.permission_to_send in ("unsubscribed", "pending_confirmation")  # both readings
    with pytest.raises(BadRequestException) as caught:  # once per contact
        sdk.contacts.resubscribe_contact(contact.contact_id, ResubscribeContactRequest(list_ids=[target]))
    assert caught.value.status == 400
    sdk.control("POST", f"/contacts/{contact.contact_id}/confirm_resubscribe")
    confirmed = sdk.contacts.get_contact_by_id(contact.contact_id, include="list_memberships")
    assert confirmed.email_address.permission_to_send == "explicit"
    assert confirmed.email_address.opt_out_source is None and target in confirmed.list_memberships


def test_resubscribing_a_subscribed_contact_is_400(sdk: Sdk) -> None:
    contact = sdk.contacts.get_all_contacts(status="active", limit=1).contacts[0]
    with pytest.raises(BadRequestException):
        sdk.contacts.resubscribe_contact(contact.contact_id,
                                         ResubscribeContactRequest(list_ids=[_list_id(sdk, "VIP")]))


@pytest.mark.parametrize("readd", [True, False], ids=["spec-reading", "final-reading"])
def test_adding_back_an_account_optout_follows_the_reading(sdk: Sdk, readd: bool) -> None:
    """`opt_out_source: Account` — "the account can add the contact back to any lists" (spec) — is a switch."""
    assert sdk.control("POST", "/readings", {"account_optout_readd": readd})["account_optout_readd"] is readd
    try:
        target = _list_id(sdk, "Customers")
        unsubscribed = sdk.contacts.get_all_contacts(status="unsubscribed", limit=500).contacts
        by_account = next(c.contact_id for c in unsubscribed if c.email_address.opt_out_source == "Account"
                          and c.email_address.confirm_status != "pending")
        by_contact = next(c.contact_id for c in unsubscribed if c.email_address.opt_out_source == "Contact"
                          and c.email_address.confirm_status != "pending")
        request = CreateListAddActivityRequest(
            source=CreateListAddActivityRequestSource(contact_ids=[by_account, by_contact]), list_ids=[target])
        done = sdk.poll_activity(sdk.activities.create_list_add_activity(request).activity_id)
        assert done.status.cannot_add_to_list_count == (1 if readd else 2)
        back = sdk.contacts.get_contact_by_id(by_account, include="list_memberships")
        assert (back.email_address.permission_to_send == "implicit") is readd
        assert (back.list_memberships == [target]) is readd
        assert not sdk.contacts.get_contact_by_id(by_contact, include="list_memberships").list_memberships
    finally:
        sdk.control("POST", "/readings", {"account_optout_readd": True})


def test_the_final_reading_from_the_command_line() -> None:
    for process in start("--contacts", "5", "--token", "t", "--account-optout-final"):
        assert process.control("GET", "/readings")["account_optout_readd"] is False
