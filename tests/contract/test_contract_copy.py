"""The vendored contract is the shared one, and the validator mends the documented spec bug."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .schemas import CONTRACT_PATH, SHARED_CONTRACT_PATH, contract, response_schema, validate


def test_vendored_contract_matches_shared_copy() -> None:
    if not SHARED_CONTRACT_PATH.exists():
        pytest.skip("../shared is not beside this checkout")
    assert json.loads(CONTRACT_PATH.read_text()) == json.loads(SHARED_CONTRACT_PATH.read_text())


def test_max_items_zero_is_mended() -> None:
    source = contract()["definitions"]["ListActivityRemoveContacts"]["properties"]["source"]["properties"]
    assert source["contact_ids"]["maxItems"] == 500 and source["list_ids"]["maxItems"] == 50
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(501)]
    validate("ListActivityRemoveContacts", {"source": {"contact_ids": ids[:500]}, "list_ids": ids[:1]})
    with pytest.raises(jsonschema.ValidationError):
        validate("ListActivityRemoveContacts", {"source": {"contact_ids": ids}, "list_ids": ids[:1]})


def test_formats_are_checked() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("ContactResource", {"deleted_at": "2024-01-01T00:00:00Z"})
    with pytest.raises(jsonschema.ValidationError):
        validate("ContactResource", {"created_at": "2024-01-01"})
    with pytest.raises(jsonschema.ValidationError):
        validate("ContactResource", {"contact_id": "12345"})
    validate("ContactResource", {"created_at": "2016-03-03T10:53:04-05:00", "deleted_at": "2024-01-01",
                                 "updated_at": "2016-01-23T13:48:44.108Z"})


def test_response_schema_lookup() -> None:
    assert response_schema("/contacts", "get", 200) == {"$ref": "#/definitions/Contacts"}
    assert response_schema("/contacts/{contact_id}", "delete", 204) is None
    with pytest.raises(KeyError):
        response_schema("/contacts", "get", 418)
