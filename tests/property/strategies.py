"""Hypothesis strategies for contacts within the documented limits, with every sub-resource and edge values."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hypothesis import strategies as st

# Text a contact really has: any script, right-to-left, emoji and combining marks; no control characters or
# surrogates (the API refuses those) and no leading/trailing blanks (the service trims them).
_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"))
_SAMPLES = ["Zoë", "O'Brien-Åström", "محمد", "שָׁלוֹם", "李小龍", "🙂🏳️‍🌈", "e\u0301", "\u200fRTL\u200f", "Ⅻ"]


def text(max_len: int, min_len: int = 0) -> st.SearchStrategy[str]:
    free = st.text(_CHARS, min_size=min_len, max_size=max_len).map(str.strip).filter(lambda s: len(s) >= min_len)
    edge = st.sampled_from([*_SAMPLES, "x" * max_len]).map(lambda s: s[:max_len])
    return st.one_of(free, edge)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def contact_body(draw: st.DrawFn, list_ids: list[str], tag_ids: list[str], field_ids: list[str]) -> dict[str, Any]:
    """A POST /contacts body; fields left out at random so "absent" is exercised as well as "at the limit"."""
    local = f"p{uuid.uuid4().hex[:12]}"
    body: dict[str, Any] = {
        "email_address": {"address": f"{local}@example.com",
                          "permission_to_send": draw(st.sampled_from(["explicit", "implicit"]))},
        "create_source": draw(st.sampled_from(["Account", "Contact"])),
    }
    for name in ("first_name", "last_name", "job_title", "company_name"):
        value = draw(_maybe(text(50, 1)))
        if value:
            body[name] = value
    if draw(st.booleans()):
        month = draw(st.integers(1, 12))
        body["birthday_month"], body["birthday_day"] = month, draw(st.integers(1, 28))
    if draw(st.booleans()):
        body["anniversary"] = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31)).map(date.isoformat))
    body["list_memberships"] = draw(st.lists(st.sampled_from(list_ids), unique=True, max_size=min(6, len(list_ids))))
    if tag_ids and draw(st.booleans()):
        body["taggings"] = draw(st.lists(st.sampled_from(tag_ids), unique=True, max_size=min(5, len(tag_ids))))
    if field_ids and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(field_ids), unique=True, min_size=1, max_size=min(4, len(field_ids))))
        body["custom_fields"] = [{"custom_field_id": f, "value": draw(text(255, 1))} for f in chosen]
    body["phone_numbers"] = draw(st.lists(st.fixed_dictionaries({
        "phone_number": st.from_regex(r"\+?[0-9][0-9 ()-]{4,20}", fullmatch=True).map(lambda s: s[:25]),
        "kind": st.sampled_from(["home", "work", "mobile", "other"])}), max_size=3))
    body["street_addresses"] = draw(st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from(["home", "work", "other"]), "street": text(255, 1), "city": text(50, 1),
        "state": text(50), "postal_code": text(12), "country": text(50)}), max_size=3))
    if draw(st.booleans()):
        body["notes"] = draw(st.lists(st.fixed_dictionaries({"content": text(2000, 1)}), max_size=3))
    return {k: v for k, v in body.items() if v not in ([], "")}


reasons = text(255)
