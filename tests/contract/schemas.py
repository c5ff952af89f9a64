"""The Constant Contact v3 contract (Swagger 2.0 definitions) as JSON Schema draft-4 validators.

    from tests.contract.schemas import validate, validate_response, response_schema
    validate("ContactPutRequest", body)              # raises jsonschema.ValidationError
    validate_response("/contacts/{contact_id}", "get", 200, resp.json())
    undeclared_properties("ContactResource", body)   # [] when every property is in the schema

The contract is `tests/contract/cc-v3-contract.json`, a copy of `../shared/reference/cc-v3-contract.json`
(test_contract_copy.py checks they match when the shared copy is present); CC_CONTRACT overrides the path.
`cc-v3-custom-fields.json` (the spec's GET /contact_custom_fields operations, which the shared copy lacks; its
`source` names where each part comes from) is merged in.

Formats are checked (`uuid`, `date-time` with a zone, `date`). One documented spec bug is mended before
use: `maxItems: 0` on the list-activity arrays (reference §5) becomes the described limits
(500 for contact_ids, 50 otherwise).
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

CONTRACT_PATH = Path(os.environ.get("CC_CONTRACT", Path(__file__).with_name("cc-v3-contract.json")))
EXTRA_CONTRACT_PATHS = (Path(__file__).with_name("cc-v3-custom-fields.json"),)
SHARED_CONTRACT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "cc-v3-contract.json"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
FORMAT_CHECKER.checks("uuid")(lambda v: not isinstance(v, str) or bool(_UUID.match(v)))
FORMAT_CHECKER.checks("date-time")(lambda v: not isinstance(v, str) or bool(_DATETIME.match(v)))
FORMAT_CHECKER.checks("date")(lambda v: not isinstance(v, str) or bool(_DATE.match(v)))


def _mend_spec_bugs(node: Any, key: str = "") -> None:
    if isinstance(node, dict):
        if node.get("type") == "array" and node.get("maxItems") == 0:
            node["maxItems"] = 500 if key == "contact_ids" else 50
        for k, v in node.items():
            _mend_spec_bugs(v, k if k not in ("properties", "items") else key)
    elif isinstance(node, list):
        for v in node:
            _mend_spec_bugs(v, key)


@cache
def contract() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
    for extra_path in EXTRA_CONTRACT_PATHS:
        extra = json.loads(extra_path.read_text(encoding="utf-8"))
        for section in ("paths", "definitions"):
            clash = set(extra[section]) & set(data[section])
            assert not clash, f"{extra_path.name} redefines {sorted(clash)}"
            data[section].update(extra[section])
    _mend_spec_bugs(data)
    return data


@cache
def _validator(ref: str) -> jsonschema.Draft4Validator:
    schema = {"$ref": ref, "definitions": copy.deepcopy(contract()["definitions"])}
    return jsonschema.Draft4Validator(schema, format_checker=FORMAT_CHECKER)


def validate(definition_name: str, instance: Any) -> None:
    """Validate against `#/definitions/<definition_name>`; raises jsonschema.ValidationError."""
    if definition_name not in contract()["definitions"]:
        raise KeyError(definition_name)
    _validator(f"#/definitions/{definition_name}").validate(instance)


def errors_for(definition_name: str, instance: Any) -> list[str]:
    """Every violation as a readable line (empty when valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _validator(f"#/definitions/{definition_name}").iter_errors(instance)
    ]


def operation(path: str, method: str) -> dict[str, Any]:
    """The Swagger operation object, e.g. operation("/contacts/{contact_id}", "put")."""
    return contract()["paths"][path][method.lower()]  # type: ignore[no-any-return]


def response_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The response schema (usually `{"$ref": "#/definitions/..."}`), or None when the status has no body
    schema; KeyError when the contract does not list that status for the operation."""
    responses = operation(path, method)["responses"]
    if str(status) not in responses:
        raise KeyError(f"{method.upper()} {path} documents no {status} response")
    return responses[str(status)].get("schema")  # type: ignore[no-any-return]


def definition_of(path: str, method: str, status: int) -> str | None:
    schema = response_schema(path, method, status)
    if schema is None or "$ref" not in schema:
        return None
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def request_definition(path: str, method: str) -> str | None:
    """The body definition name of an operation (e.g. ContactPutRequest), or None without a body."""
    for p in operation(path, method).get("parameters", []):
        if p.get("in") == "body":
            return str(p["schema"]["$ref"]).rsplit("/", 1)[-1]
    return None


def validate_response(path: str, method: str, status: int, instance: Any) -> None:
    """Validate a response body against the contract (raises if the status is undocumented)."""
    schema = response_schema(path, method, status)
    if schema is None:
        return
    ref = schema.get("$ref")
    if ref is None:
        jsonschema.Draft4Validator(schema, format_checker=FORMAT_CHECKER).validate(instance)
    else:
        _validator(ref).validate(instance)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = contract()["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def undeclared_properties(definition_name: str, instance: Any, _path: str = "") -> list[str]:
    """Paths of object properties that the schema does not declare (a response inventing fields)."""
    return _undeclared(contract()["definitions"][definition_name], instance, _path)


def _undeclared(schema: dict[str, Any], instance: Any, path: str) -> list[str]:
    schema = _resolve(schema)
    found: list[str] = []
    if isinstance(instance, dict) and "properties" in schema:
        props = schema["properties"]
        for key, value in instance.items():
            if key not in props:
                found.append(f"{path}/{key}")
            else:
                found += _undeclared(props[key], value, f"{path}/{key}")
    elif isinstance(instance, list) and "items" in schema:
        for i, value in enumerate(instance):
            found += _undeclared(schema["items"], value, f"{path}/{i}")
    return found
