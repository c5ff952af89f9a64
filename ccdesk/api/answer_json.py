"""Reading the service's JSON so that nothing downstream can choke on it.

Python's json module accepts more than JSON: `NaN`, `Infinity` (not JSON at all) and `1e999` (JSON, but it
becomes an infinite float) would reach the cache, whose encoder refuses them, and fail every sync after. Those
are refused here: the answer is malformed. A string may also carry a lone UTF-16 surrogate (`"\\ud83d"`, half of
an emoji another system cut in two): valid JSON syntax, but not text any UTF-8 file, database or request can
hold. Each one becomes U+FFFD (the replacement character) here, once, so the cache, the exports and the PUT
that sends the contact back all see ordinary text; the value was already broken on the service.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# An escaped surrogate (`\ud800`-`\udfff`) in the raw bytes: only then can a decoded string hold a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"a number too large for a float: {text[:40]}")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(content: bytes | str) -> Any:
    """json.loads without NaN, Infinity or infinite numbers (ValueError) and without lone surrogates."""
    data = json.loads(content, parse_float=_finite, parse_constant=_not_json)
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return _mend(data) if _SURROGATE_ESCAPE.search(raw) else data


def _mend(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_mend(v) for v in value]
    if isinstance(value, dict):
        return {_mend(k): _mend(v) for k, v in value.items()}
    return value
