"""What a sign-up form does to a contact's sub-resources: appended, not replaced."""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from . import errors
from .model import ContactRecord, CustomFieldValue, PhoneRecord, SmsConsent, SmsRecord, StreetRecord

if TYPE_CHECKING:
    from .contacts import ContactRules


def _new_id() -> str:
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def sign_up_sub_resources(rules: ContactRules, rec: ContactRecord, body: dict[str, Any], now: int) -> None:
    """Appended, not replaced: custom fields merge by id, a new phone or address is added."""
    if "custom_fields" in body:
        values = {c.custom_field_id: c.value for c in rec.custom_fields}
        for item in body["custom_fields"]:
            if item["custom_field_id"] not in rules.records.catalog.field_by_id:
                raise errors.validation(f"custom_fields: custom field {item['custom_field_id']} does not exist.")
            values[item["custom_field_id"]] = item.get("value") or ""
        if len(values) > 25:
            raise errors.validation("A contact can have at most 25 custom fields.")
        rec.custom_fields = [CustomFieldValue(k, v) for k, v in values.items()]
    if "phone_number" in body and all(p.phone_number != body["phone_number"] for p in rec.phone_numbers):
        phone = PhoneRecord(_new_id(), body["phone_number"], "other", now, now, "Contact", "Contact")
        rec.phone_numbers = [*rec.phone_numbers[-2:], phone] if len(rec.phone_numbers) >= 3 else [
            *rec.phone_numbers, phone]
    if "street_address" in body:
        s = body["street_address"]
        fields = {k: _blank_to_none(s.get(k)) for k in ("street", "city", "state", "postal_code", "country")}
        street = StreetRecord(_new_id(), s["kind"], **fields, created_ms=now, updated_ms=now)
        same_kind = [x for x in rec.street_addresses if x.kind == s["kind"]]
        if same_kind:
            if same_kind[0].content() != street.content():
                rec.street_addresses = [street if x is same_kind[0] else x for x in rec.street_addresses]
        elif len(rec.street_addresses) < 3:
            rec.street_addresses = [*rec.street_addresses, street]
    if "sms_channel" in body:
        s = body["sms_channel"]
        rules._sms_free(s["sms_address"], rec.seq if rec.seq >= 0 else None)
        if rec.sms is None or rec.sms.sms_address != s["sms_address"]:
            consents = [SmsConsent(c["sms_consent_permission"], c["consent_type"], now, now,
                                   opt_in_ms=now if c["sms_consent_permission"] == "explicit" else None)
                        for c in s["sms_channel_consents"]]
            rec.sms = SmsRecord(_new_id(), s["sms_address"], s["dial_code"], s["country_code"], "Contact",
                                "Contact", consents)
