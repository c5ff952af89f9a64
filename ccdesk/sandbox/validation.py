"""A small declarative checker for request bodies and query strings (the sandbox may not depend on jsonschema).

Body specs follow the contract's JSON schemas (types, lengths, item limits, required) plus the limits the
reference documents. Unknown body properties are ignored, as JSON Schema does (clients PUT back read-only
fields they read); JSON `null` is refused wherever the schema says string/integer unless a spec allows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .ids import is_uuid
from .timefmt import parse_datetime

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


_NO_DEFAULT = object()


class Spec:
    nullable: bool = False
    default: Any = _NO_DEFAULT  # the schema's `default:`; a key sent with exactly it chooses nothing

    def check(self, value: Any, path: str, out: list[str]) -> None:
        raise NotImplementedError


@dataclass
class Str(Spec):
    max_len: int | None = None
    min_len: int = 0
    enum: Sequence[str] | None = None
    fmt: str | None = None  # "uuid" | "email" | "date-time"
    nullable: bool = False

    def check(self, value: Any, path: str, out: list[str]) -> None:
        if not isinstance(value, str):
            out.append(f"{path} must be a string.")
            return
        if self.max_len is not None and len(value) > self.max_len:
            out.append(f"{path} must be at most {self.max_len} characters long.")
        if len(value) < self.min_len:
            out.append(f"{path} must be at least {self.min_len} characters long.")
        if self.enum is not None and value not in self.enum:
            out.append(f"{path} must be one of: {', '.join(self.enum)}.")
        if self.fmt == "uuid" and not is_uuid(value):
            out.append(f"{path} is not a valid UUID.")
        elif self.fmt == "email" and value and not EMAIL_RE.match(value):
            out.append(f"{path} is not a valid email address.")
        elif self.fmt == "date-time":
            try:
                parse_datetime(value)
            except ValueError:
                out.append(f"{path} is not a valid ISO-8601 date-time.")


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False

    def check(self, value: Any, path: str, out: list[str]) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path} must be an integer.")
            return
        if self.minimum is not None and value < self.minimum:
            out.append(f"{path} must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            out.append(f"{path} must be at most {self.maximum}.")


@dataclass
class Bool(Spec):
    nullable: bool = False
    default: Any = _NO_DEFAULT

    def check(self, value: Any, path: str, out: list[str]) -> None:
        if not isinstance(value, bool):
            out.append(f"{path} must be a boolean.")


@dataclass
class Arr(Spec):
    item: Spec
    max_items: int | None = None
    min_items: int = 0
    nullable: bool = False

    def check(self, value: Any, path: str, out: list[str]) -> None:
        if not isinstance(value, list):
            out.append(f"{path} must be an array.")
            return
        if self.max_items is not None and len(value) > self.max_items:
            out.append(f"{path} must contain at most {self.max_items} items.")
        if len(value) < self.min_items:
            out.append(f"{path} must contain at least {self.min_items} item(s).")
        for i, v in enumerate(value):
            _check(self.item, v, f"{path}[{i}]", out)


@dataclass
class Obj(Spec):
    props: Mapping[str, Spec]
    required: Sequence[str] = ()
    nullable: bool = False

    def check(self, value: Any, path: str, out: list[str]) -> None:
        if not isinstance(value, dict):
            out.append(f"{path or 'body'} must be a JSON object.")
            return
        prefix = f"{path}." if path else ""
        for name in self.required:
            if name not in value:
                out.append(f"{prefix}{name} is required.")
        for name, spec in self.props.items():
            if name in value:
                _check(spec, value[name], prefix + name, out)


def _check(spec: Spec, value: Any, path: str, out: list[str]) -> None:
    if value is None:
        if not spec.nullable:
            out.append(f"{path} may not be null.")
        return
    spec.check(value, path, out)


def without_defaults(spec: Obj, value: dict[str, Any]) -> dict[str, Any]:
    """`value` minus the keys sent with the schema's declared default (e.g. `"all_active_contacts": false`):
    generated clients send every defaulted property, so such a key is not a choice the caller made."""
    return {k: v for k, v in value.items()
            if not (k in spec.props and spec.props[k].default is not _NO_DEFAULT
                    and type(v) is type(spec.props[k].default) and v == spec.props[k].default)}


def validate_body(spec: Obj, body: Any) -> dict[str, Any]:
    """The body if it satisfies `spec`; otherwise ApiError 400 listing every problem found."""
    out: list[str] = []
    _check(spec, body, "", out)
    if out:
        raise errors.ServiceError(400, [(errors.VALIDATION, m) for m in out])
    return body  # type: ignore[no-any-return]


# ---- query strings -------------------------------------------------------------------------------------


@dataclass
class QueryParams:
    """The query parameters of one request: each allowed at most once, unknown names refused.

    Refusing unknown names is stricter than the service is likely to be; every parameter the service
    knows for an operation is in the contract, so a correct client never trips on it.
    """

    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable[tuple[str, str]], allowed: Iterable[str]) -> QueryParams:
        allowed_set = set(allowed)
        params: dict[str, str] = {}
        for name, value in items:
            if name not in allowed_set:
                raise errors.validation(f"Unknown query parameter: {name}.")
            if name in params:
                raise errors.validation(f"Query parameter {name} may be given only once.")
            params[name] = value
        return cls(params)

    def __contains__(self, name: str) -> bool:
        return name in self.params

    def text(self, name: str) -> str | None:
        return self.params.get(name)

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw):
            raise errors.validation(f"{name} must be an integer between {minimum} and {maximum}.")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise errors.validation(f"{name} must be an integer between {minimum} and {maximum}.")
        return value

    def boolean(self, name: str) -> bool:
        raw = self.params.get(name)
        if raw is None:
            return False
        if raw not in ("true", "false"):
            raise errors.validation(f"{name} must be true or false.")
        return raw == "true"

    def csv(self, name: str, allowed: Sequence[str], max_items: int | None = None) -> list[str] | None:
        """A comma-separated list of values from `allowed` (order kept, duplicates dropped)."""
        raw = self.params.get(name)
        if raw is None:
            return None
        values = raw.split(",")
        if any(v not in allowed for v in values):
            raise errors.validation(f"{name} must be a comma-separated list of: {', '.join(allowed)}.")
        if max_items is not None and len(values) > max_items:
            raise errors.validation(f"{name} accepts at most {max_items} values.")
        return list(dict.fromkeys(values))

    def uuids(self, name: str, max_items: int) -> list[str] | None:
        raw = self.params.get(name)
        if raw is None:
            return None
        values = raw.split(",")
        if not all(is_uuid(v) for v in values):
            raise errors.validation(f"{name} must be a comma-separated list of ids.")
        if len(values) > max_items:
            raise errors.validation(f"{name} accepts at most {max_items} ids.")
        return list(dict.fromkeys(values))

    def datetime_ms(self, name: str) -> int | None:
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            return parse_datetime(raw)
        except ValueError:
            raise errors.validation(f"{name} must be an ISO-8601 date-time with a time zone.") from None
