"""Records → the service's JSON (ContactResource, ContactList). Absent values are left out, never null:
the contract's schemas have no nullable fields."""

from __future__ import annotations

from typing import Any

from .model import ContactRecord, EmailRecord, ListDef, SmsRecord
from .timefmt import iso_date, iso_offset, iso_z

INCLUDES = ("custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def email_json(e: EmailRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": e.address,
        "permission_to_send": e.permission,
        "created_at": iso_offset(e.created_ms),
        "updated_at": iso_offset(e.updated_ms),
    }
    _put(out, "opt_in_source", e.opt_in_source)
    _put(out, "opt_in_date", iso_offset(e.opt_in_ms) if e.opt_in_ms is not None else None)
    _put(out, "opt_out_source", e.opt_out_source)
    _put(out, "opt_out_date", iso_offset(e.opt_out_ms) if e.opt_out_ms is not None else None)
    _put(out, "opt_out_reason", e.opt_out_reason)
    out["confirm_status"] = e.confirm_status
    return out


def sms_json(s: SmsRecord) -> dict[str, Any]:
    consents = []
    for c in s.consents:
        item: dict[str, Any] = {
            "sms_consent_permission": c.sms_consent_permission,
            "consent_type": c.consent_type,
            "created_at": iso_z(c.created_ms),
            "updated_at": iso_z(c.updated_ms),
        }
        _put(item, "opt_in_date", iso_z(c.opt_in_ms) if c.opt_in_ms is not None else None)
        _put(item, "opt_out_date", iso_z(c.opt_out_ms) if c.opt_out_ms is not None else None)
        consents.append(item)
    return {
        "sms_channel_id": s.sms_channel_id,
        "sms_address": s.sms_address,
        "dial_code": s.dial_code,
        "country_code": s.country_code,
        "update_source": s.update_source,
        "create_source": s.create_source,
        "sms_channel_consents": consents,
    }


def contact_json(rec: ContactRecord, contact_id: str, include: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """ContactResource; sub-resources only when named in `include` (an empty list if the contact has none)."""
    out: dict[str, Any] = {"contact_id": contact_id}
    if rec.email is not None:
        out["email_address"] = email_json(rec.email)
    for key in ("first_name", "last_name", "job_title", "company_name", "birthday_month", "birthday_day",
                "anniversary"):
        _put(out, key, getattr(rec, key))
    out["create_source"] = rec.create_source
    out["update_source"] = rec.update_source
    out["created_at"] = iso_z(rec.created_ms)
    out["updated_at"] = iso_z(rec.updated_ms)
    if rec.deleted_ms is not None:
        out["deleted_at"] = iso_date(rec.deleted_ms)
    if rec.sms is not None:
        out["sms_channel"] = sms_json(rec.sms)
    if "custom_fields" in include:
        out["custom_fields"] = [
            {"custom_field_id": c.custom_field_id, "value": c.value} for c in rec.custom_fields
        ]
    if "list_memberships" in include:
        out["list_memberships"] = list(rec.list_ids)
    if "phone_numbers" in include:
        out["phone_numbers"] = [
            {
                "phone_number_id": p.phone_number_id,
                "phone_number": p.phone_number,
                "kind": p.kind,
                "created_at": iso_z(p.created_ms),
                "updated_at": iso_z(p.updated_ms),
                "update_source": p.update_source,
                "create_source": p.create_source,
            }
            for p in rec.phone_numbers
        ]
    if "street_addresses" in include:
        addresses = []
        for s in rec.street_addresses:
            item: dict[str, Any] = {"street_address_id": s.street_address_id, "kind": s.kind}
            for key in ("street", "city", "state", "postal_code", "country"):
                _put(item, key, getattr(s, key))
            item["created_at"] = iso_z(s.created_ms)
            item["updated_at"] = iso_z(s.updated_ms)
            addresses.append(item)
        out["street_addresses"] = addresses
    if "taggings" in include:
        out["taggings"] = list(rec.tag_ids)
    if "notes" in include:
        out["notes"] = [
            {"note_id": n.note_id, "created_at": iso_z(n.created_ms), "content": n.content} for n in rec.notes
        ]
    return out


def list_json(d: ListDef, membership_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "list_id": d.list_id,
        "name": d.name,
        "favorite": d.favorite,
        "created_at": iso_z(d.created_ms),
        "updated_at": iso_z(d.updated_ms),
    }
    if d.deleted_ms is not None:
        out["deleted_at"] = iso_z(d.deleted_ms)
    if membership_count is not None:
        out["membership_count"] = membership_count
    return out
