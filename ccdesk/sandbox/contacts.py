"""The contact rules of the service: create, PUT (replace core fields, keep omitted sub-resources),
unsubscribe (off every list) and who may undo it, resubscribe once, soft delete, sign-up-form consent, and
the emails the service sends on its own (recorded in `EmailLog`).

Every operation works on a private copy and commits only when it succeeds, so a refused request changes
nothing. Callers hold the sandbox lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from . import emails, errors
from .config import SandboxConfig
from .emails import EmailLog
from .ids import is_uuid
from .model import (
    ContactRecord,
    CustomFieldValue,
    EmailRecord,
    NoteRecord,
    PhoneRecord,
    ResubscribeRecord,
    SmsConsent,
    SmsRecord,
    StreetRecord,
)
from .optout_readd import account_may_readd, readd_by_account
from .records import ContactRecords
from .signup import _blank_to_none, _new_id, sign_up_sub_resources
from .timefmt import parse_anniversary, parse_datetime

MAX_LISTS_PER_CONTACT = 50
NAME_FIELDS = ("first_name", "last_name", "job_title", "company_name")
CORE_FIELDS = (*NAME_FIELDS, "birthday_month", "birthday_day", "anniversary")
MAILABLE = ("explicit", "implicit")


class ContactRules:
    def __init__(self, records: ContactRecords, now: Callable[[], int], config: SandboxConfig | None = None,
                 email_log: EmailLog | None = None) -> None:
        self.records = records
        self.now = now
        self.config = config or SandboxConfig()  # read on every call: the readings can be switched live
        self.emails = email_log or EmailLog()

    def _send_email(self, rec: ContactRecord, kind: str, lists: list[str], now: int) -> None:
        assert rec.email is not None
        self.emails.record(self.records.contact_id(rec.seq), rec.email.address, kind, lists, now)

    # ---- lookups ------------------------------------------------------------------------------------

    def seq(self, contact_id: str) -> int:
        """The contact's seq, or 404 (a malformed id is 404 too, like the service's
        `contacts.api.not_found` "contact_id is in an invalid format")."""
        seq = self.records.seq_of(contact_id)
        if seq is None:
            if not is_uuid(contact_id):
                raise errors.not_found("contact_id is in an invalid format.")
            raise errors.not_found("Contact not found.")
        return seq

    def _check_lists(self, list_ids: list[str], field: str) -> list[str]:
        for list_id in list_ids:
            d = self.records.catalog.list_by_id.get(list_id)
            if d is None or d.deleted_ms is not None:
                raise errors.validation(f"{field}: list {list_id} does not exist.")
        return list(dict.fromkeys(list_ids))

    def _email_free(self, address: str, seq: int | None) -> None:
        other = self.records.seq_by_email(address)
        if other is not None and other != seq:
            raise errors.email_conflict(self.records.contact_id(other))

    def _sms_free(self, sms_address: str, seq: int | None) -> None:
        other = self.records.seq_by_sms(sms_address)
        if other is not None and other != seq:
            raise errors.conflict(f"Validation failed: SMS number already exists for contact "
                                  f"{self.records.contact_id(other)}")

    # ---- field groups shared by POST and PUT ---------------------------------------------------------

    def _apply_core(self, rec: ContactRecord, body: dict[str, Any]) -> None:
        """Full replacement: core fields missing or blank in the body become absent."""
        for name in NAME_FIELDS:
            setattr(rec, name, _blank_to_none(body.get(name)))
        month, day = body.get("birthday_month"), body.get("birthday_day")
        if (month is None) != (day is None):
            raise errors.validation("birthday_month and birthday_day must be used together.")
        if month is not None and day is not None:
            try:
                date(2000, month, day)
            except ValueError:
                raise errors.validation("birthday_day is not a day of birthday_month.") from None
        rec.birthday_month, rec.birthday_day = month, day
        anniversary = _blank_to_none(body.get("anniversary"))
        if anniversary is not None:
            try:
                anniversary = parse_anniversary(anniversary)
            except ValueError:
                raise errors.validation(
                    "anniversary must be a date as MM/DD/YYYY, M/D/YYYY, YYYY/MM/DD, YYYY/M/D, YYYY-MM-DD, "
                    "YYYY-M-D, MM-DD-YYYY or M-D-YYYY."
                ) from None
        rec.anniversary = anniversary

    def _apply_sub_resources(self, rec: ContactRecord, body: dict[str, Any], source: str, now: int) -> None:
        """Sub-resources named in the body replace the contact's; those omitted stay as they are."""
        cat = self.records.catalog
        if "custom_fields" in body:
            values: dict[str, str] = {}
            for item in body["custom_fields"]:
                if item["custom_field_id"] not in cat.field_by_id:
                    raise errors.validation(f"custom_fields: custom field {item['custom_field_id']} does not exist.")
                values[item["custom_field_id"]] = item.get("value") or ""
            rec.custom_fields = [CustomFieldValue(k, v) for k, v in values.items()]
        if "phone_numbers" in body:
            old = {p.content(): p for p in rec.phone_numbers}
            rec.phone_numbers = [
                old.get((p["phone_number"], p["kind"]))
                or PhoneRecord(_new_id(), p["phone_number"], p["kind"], now, now, source, source)
                for p in body["phone_numbers"]
            ]
        if "street_addresses" in body:
            old_streets = {s.content(): s for s in rec.street_addresses}
            streets = []
            for s in body["street_addresses"]:
                fields = {k: _blank_to_none(s.get(k)) for k in ("street", "city", "state", "postal_code", "country")}
                key = (s["kind"], *fields.values())
                streets.append(old_streets.get(key) or StreetRecord(_new_id(), s["kind"], **fields,
                                                                    created_ms=now, updated_ms=now))
            rec.street_addresses = streets
        if "list_memberships" in body:
            rec.list_ids = self._check_lists(body["list_memberships"], "list_memberships")
        if "taggings" in body:
            for tag_id in body["taggings"]:
                if tag_id not in cat.tag_by_id:
                    raise errors.validation(f"taggings: tag {tag_id} does not exist.")
            rec.tag_ids = list(dict.fromkeys(body["taggings"]))
        if "notes" in body:
            old_notes = {n.note_id: n for n in rec.notes}
            notes = []
            for n in body["notes"]:
                kept = old_notes.get(n.get("note_id", ""))
                created = parse_datetime(n["created_at"]) if "created_at" in n else (kept.created_ms if kept else now)
                notes.append(NoteRecord(n.get("note_id") or _new_id(), created, n["content"]))
            rec.notes = notes
        if "sms_channel" in body:
            rec.sms = self._sms_from_put(rec, body["sms_channel"], source, now)

    def _sms_from_put(self, rec: ContactRecord, body: dict[str, Any], source: str, now: int) -> SmsRecord:
        m = re.fullmatch(r"\+?(\d{8,15})", body["full_sms_address"].replace(" ", ""))
        if not m:
            raise errors.validation("sms_channel.full_sms_address must be a phone number with its country code.")
        digits = m.group(1)
        dial, number, country = ("1", digits[1:], "US") if len(digits) == 11 and digits[0] == "1" else (
            digits[:2], digits[2:], "")
        self._sms_free(number, rec.seq if rec.seq >= 0 else None)
        old = rec.sms if rec.sms is not None and rec.sms.sms_address == number else None
        consents = []
        for i, c in enumerate(body["sms_channel_consents"]):
            prev = old.consents[i] if old is not None and i < len(old.consents) else None
            same = prev is not None and prev.sms_consent_permission == c["sms_consent_permission"]
            consent = prev if same and prev is not None else SmsConsent(
                c["sms_consent_permission"], c["consent_type"], now, now)
            if not same:
                if consent.sms_consent_permission == "explicit":
                    consent.opt_in_ms = now
                if consent.sms_consent_permission == "unsubscribed":
                    consent.opt_out_ms = now
            consents.append(consent)
        if old is not None:
            if [c.sms_consent_permission for c in consents] != [c.sms_consent_permission for c in old.consents]:
                old.update_source = source
            old.consents = consents
            return old
        return SmsRecord(_new_id(), number, dial, country, source, source, consents)

    # ---- email permission ----------------------------------------------------------------------------

    @staticmethod
    def _unsubscribe(rec: ContactRecord, source: str, reason: str | None, now: int) -> None:
        """Opted out and taken off every list (help centre: unsubscribed contacts "are taken from your
        active lists"). An email-status change: the contact-level updated_at does not move."""
        e = rec.email
        assert e is not None
        e.permission = "unsubscribed"
        e.opt_out_ms, e.opt_out_source, e.opt_out_reason = now, source, _blank_to_none(reason)
        e.updated_ms = now
        rec.list_ids = []

    @staticmethod
    def _opt_in_by_contact(rec: ContactRecord, now: int) -> None:
        """The contact's own consent (their PUT, a sign-up form, a confirmed resubscribe email)."""
        e = rec.email
        assert e is not None
        e.permission, e.opt_in_source, e.opt_in_ms = "explicit", "Contact", now
        e.opt_out_ms = e.opt_out_source = e.opt_out_reason = None
        e.updated_ms = now
        if rec.resubscribe is not None:
            e.confirm_status = "confirmed"
            rec.resubscribe = None

    def _change_permission(self, rec: ContactRecord, new: str, source: str, reason: str | None, now: int) -> None:
        e = rec.email
        assert e is not None
        current = e.permission
        if new == "unsubscribed":
            self._unsubscribe(rec, source, reason, now)
        elif new in MAILABLE and (current == "unsubscribed" or rec.resubscribe is not None):
            if source != "Contact":
                if not account_may_readd(rec, self.config):
                    raise errors.REOPT_IN_REFUSED
                readd_by_account(rec, new, now)
                return
            self._opt_in_by_contact(rec, now)
            e.permission = new
        elif new in MAILABLE and current in ("pending_confirmation", "temp_hold") and source != "Contact":
            raise errors.validation(f"permission_to_send {current} cannot be changed by the account.")
        elif new in MAILABLE:
            e.permission = new
            if e.opt_in_ms is None:
                e.opt_in_ms, e.opt_in_source = now, source
            e.updated_ms = now
        else:
            raise errors.validation(f"permission_to_send cannot be set to {new}.")

    # ---- operations --------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> ContactRecord:
        has_name = any(_blank_to_none(body.get(k)) for k in ("first_name", "last_name"))
        if not (has_name or "email_address" in body or "sms_channel" in body):
            raise errors.validation(
                "At least one of first_name, last_name, email_address or sms_channel is required.")
        now, source = self.now(), body["create_source"]
        rec = ContactRecord(seq=-1, created_ms=now, updated_ms=now, create_source=source, update_source=source)
        if "email_address" in body:
            address = body["email_address"]["address"].strip()
            self._email_free(address, None)
            permission = body["email_address"].get("permission_to_send") or (
                "explicit" if source == "Contact" else "implicit")
            if permission not in (*MAILABLE, "not_set"):
                raise errors.validation(f"permission_to_send cannot be {permission} on a new contact.")
            rec.email = EmailRecord(address, permission, now, now)
            if permission in MAILABLE:
                rec.email.opt_in_source, rec.email.opt_in_ms = source, now
        self._apply_core(rec, body)
        self._apply_sub_resources(rec, body, source, now)
        rec.seq = self.records.new_seq()
        self.records.commit(rec)
        return rec

    def put(self, seq: int, body: dict[str, Any]) -> ContactRecord:
        rec = self.records.get(seq)
        now, source = self.now(), body["update_source"]
        changed = False
        if rec.deleted:
            if source != "Account":
                raise errors.validation("A deleted contact can be restored only with update_source Account.")
            rec.deleted_ms, changed = None, True
        core = rec.core()
        # Lists on a PUT that does not itself say "unsubscribed" are the account adding back its own opt-out,
        # when the reading allows it (checked before the PUT's own email change can make one).
        asked = (body.get("email_address") or {}).get("permission_to_send")
        readd = source == "Account" and asked in (None, *MAILABLE) and account_may_readd(rec, self.config)
        changed |= self._put_email(rec, body.get("email_address"), source, now)
        subs = rec.sub_resources()  # after the email: an unsubscribe's own list removal is not a PUT change
        refused_adds: list[str] = []
        if readd and rec.permission == "unsubscribed" and "list_memberships" in body and any(
                x not in rec.list_ids for x in self._check_lists(body["list_memberships"], "list_memberships")):
            readd_by_account(rec, "implicit", now)
        if rec.permission == "unsubscribed" and "list_memberships" in body:
            # An unsubscribed contact is on no list: lists a PUT would add are not added, and when the account
            # tries, the service emails the contact a confirmation (the unsubscribe/resubscribe guide).
            wanted = self._check_lists(body["list_memberships"], "list_memberships")
            refused_adds = [x for x in wanted if x not in rec.list_ids]
            body = {**body, "list_memberships": [x for x in wanted if x in rec.list_ids]}
        self._apply_core(rec, body)
        self._apply_sub_resources(rec, body, source, now)
        if changed or rec.core() != core or rec.sub_resources() != subs:
            rec.updated_ms, rec.update_source = now, source
        self.records.commit(rec)
        if refused_adds and source == "Account":  # only once the PUT is accepted
            self._send_email(rec, emails.LIST_ADD, refused_adds, now)
        return rec

    def _put_email(self, rec: ContactRecord, body: dict[str, Any] | None, source: str, now: int) -> bool:
        """Apply `email_address` of a PUT; True if the address itself changed (a contact-level change)."""
        if body is None:
            if rec.email is not None:
                # Unconfirmed: whether the service drops or keeps the address when a PUT omits it. Refusing
                # makes clients send it, which is right either way.
                raise errors.validation("email_address is required: the contact has an email address.")
            return False
        address = body["address"].strip()
        if rec.email is None:
            self._email_free(address, rec.seq)
            rec.email = EmailRecord(address, "implicit" if source == "Account" else "explicit", now, now,
                                    opt_in_source=source, opt_in_ms=now)
            return True
        e = rec.email
        changed: bool = address != e.address
        if address.lower() != e.address.lower():
            self._email_free(address, rec.seq)
        e.address = address
        new = body.get("permission_to_send")
        if new is not None and new != e.permission:
            self._change_permission(rec, new, source, body.get("opt_out_reason"), now)
        elif (new == "unsubscribed" and source == "Contact" and e.opt_out_source == "Account"
              and self.config.contact_optout_overrides_account):
            # Reading (switch): the contact's own request replaces the team's opt-out as the source; the
            # first opt-out date stands.
            e.opt_out_source, e.updated_ms = "Contact", now
            e.opt_out_reason = _blank_to_none(body.get("opt_out_reason")) or e.opt_out_reason
        if changed:
            e.updated_ms = now
        return changed

    def delete(self, seq: int) -> None:
        rec = self.records.get(seq)
        if rec.deleted:
            raise errors.not_found("Contact not found (already deleted).")
        self._soft_delete(rec, self.now())
        self.records.commit(rec)

    def _soft_delete(self, rec: ContactRecord, now: int) -> None:
        """deleted_at set, list memberships removed, everything else (the opt-out too) kept; `updated_at` moves
        too unless the reading `delete_moves_updated_at` is off (docs/sandbox.md)."""
        rec.deleted_ms = now
        if self.config.delete_moves_updated_at:
            rec.updated_ms = now
        rec.list_ids = []

    def resubscribe(self, seq: int, body: dict[str, Any]) -> None:
        list_ids = self._check_lists(body["list_ids"], "list_ids")
        rec = self.records.get(seq)
        if rec.resubscribe_used:
            raise errors.RESUBSCRIBE_ALREADY_SENT
        if rec.permission != "unsubscribed" or rec.email is None or rec.deleted:
            raise errors.RESUBSCRIBE_NOT_UNSUBSCRIBED
        now = self.now()
        rec.resubscribe = ResubscribeRecord(now, list_ids)
        rec.resubscribe_used = True
        rec.email.confirm_status = "pending"
        if self.config.resubscribe_state == "pending_confirmation":
            # Default reading: a second request is 400 "the contact is not unsubscribed (pending
            # confirmation)" (the guide). The opt-out fields stay until the contact confirms.
            rec.email.permission = "pending_confirmation"
            rec.email.updated_ms = now
        self.records.commit(rec)
        self._send_email(rec, emails.RESUBSCRIBE, list_ids, now)

    def confirm_resubscribe(self, seq: int) -> ContactRecord:
        """The contact clicked the link in the resubscribe email: explicit again, added to the lists.
        An email-status change: the contact-level updated_at does not move."""
        rec = self.records.get(seq)
        if rec.resubscribe is None:
            raise errors.validation("No resubscribe request is pending for this contact.")
        list_ids = rec.resubscribe.list_ids
        self._opt_in_by_contact(rec, self.now())
        rec.deleted_ms = None
        rec.list_ids = list(dict.fromkeys([*rec.list_ids, *list_ids]))[:MAX_LISTS_PER_CONTACT]
        self.records.commit(rec)
        return rec

    def contact_unsubscribes(self, seq: int, reason: str | None = None) -> ContactRecord:
        """The contact used the unsubscribe link in an email: an email-status change only."""
        rec = self.records.get(seq)
        if rec.email is None or rec.permission == "unsubscribed":
            raise errors.validation("Contact is already unsubscribed or has no email address.")
        self._unsubscribe(rec, "Contact", reason, self.now())
        self.records.commit(rec)
        return rec

    def sign_up(self, body: dict[str, Any]) -> tuple[ContactRecord, bool]:
        """Create-or-update from the contact's own consent; (record, created)."""
        if "email_address" not in body and "sms_channel" not in body:
            raise errors.validation("email_address or sms_channel is required.")
        list_ids = self._check_lists(body["list_memberships"], "list_memberships")
        now = self.now()
        sms_body = body.get("sms_channel")
        seq = self.records.seq_by_email(body["email_address"]) if "email_address" in body else None
        if seq is None and sms_body is not None:
            seq = self.records.seq_by_sms(sms_body["sms_address"])
        created = seq is None
        if seq is None:
            rec = ContactRecord(seq=-1, created_ms=now, updated_ms=now, create_source="Contact",
                                update_source="Contact")
        else:
            rec = self.records.get(seq)
        core, subs, was_deleted = rec.core(), rec.sub_resources(), rec.deleted
        rec.deleted_ms = None
        if "email_address" in body:
            if rec.email is None:
                rec.email = EmailRecord(body["email_address"].strip(), "explicit", now, now, "Contact", now)
            elif rec.email.permission != "explicit":
                self._opt_in_by_contact(rec, now)
        if any(k in body for k in CORE_FIELDS):  # partial update: only supplied fields change
            self._apply_core(rec, {k: body[k] if k in body else getattr(rec, k) for k in CORE_FIELDS})
        if len(set(rec.list_ids) | set(list_ids)) > MAX_LISTS_PER_CONTACT:
            raise errors.validation(f"A contact can be a member of at most {MAX_LISTS_PER_CONTACT} lists.")
        rec.list_ids = list(dict.fromkeys([*rec.list_ids, *list_ids]))
        sign_up_sub_resources(self, rec, body, now)
        if created or was_deleted or rec.core() != core or rec.sub_resources() != subs:
            rec.updated_ms, rec.update_source = now, "Contact"
        if created:
            rec.seq = self.records.new_seq()
        self.records.commit(rec)
        return rec, created

    # ---- bulk activity effects ---------------------------------------------------------------------

    def add_to_lists(self, seq: int, list_ids: list[str]) -> str | None:
        """Add as the account; None on success, else why not ("unsubscribed" or an error message)."""
        rec = self.records.get(seq)
        if rec.permission == "unsubscribed":
            if not account_may_readd(rec, self.config):
                return "unsubscribed"  # the account cannot put an opted-out contact back on a list
            readd_by_account(rec, "implicit", self.now())
        merged = list(dict.fromkeys([*rec.list_ids, *list_ids]))
        if len(merged) > MAX_LISTS_PER_CONTACT:
            return f"Contact {self.records.contact_id(seq)} would be on more than {MAX_LISTS_PER_CONTACT} lists."
        if merged != rec.list_ids or rec.deleted:
            rec.list_ids, rec.deleted_ms = merged, None  # adding a deleted contact to a list revives it
            rec.updated_ms, rec.update_source = self.now(), "Account"
            self.records.commit(rec)
        return None

    def remove_from_lists(self, seq: int, list_ids: list[str]) -> None:
        rec = self.records.get(seq)
        kept = [x for x in rec.list_ids if x not in set(list_ids)]
        if kept != rec.list_ids:
            rec.list_ids = kept
            rec.updated_ms, rec.update_source = self.now(), "Account"
            self.records.commit(rec)

    def delete_quietly(self, seq: int) -> None:
        rec = self.records.get(seq)
        if not rec.deleted:
            self._soft_delete(rec, self.now())
            self.records.commit(rec)
