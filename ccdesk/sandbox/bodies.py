"""Request body specs, from the contract's schemas and the reference's documented limits.

Deliberately stricter than the schemas where a field makes no sense without another (a phone without a
number, a note without content): a client that passes here sends what the service documents.
"""

from __future__ import annotations

from .model import ADDRESS_KINDS, PERMISSIONS, PHONE_KINDS, SOURCES
from .validation import Arr, Bool, Int, Obj, Str

SOURCE = Str(enum=SOURCES)
UUID = Str(fmt="uuid")
NAME = Str(max_len=50)
SMS_CONSENT_PERMISSIONS = ("explicit", "unsubscribed", "pending_confirmation", "not_set")

CUSTOM_FIELD = Obj(
    {"custom_field_id": UUID, "value": Str(max_len=255), "choice_ids": Arr(Str())}, required=("custom_field_id",)
)
PHONE = Obj({"phone_number": Str(max_len=25, min_len=1), "kind": Str(enum=PHONE_KINDS)},
            required=("phone_number", "kind"))
STREET = Obj(
    {
        "kind": Str(enum=ADDRESS_KINDS),
        "street": Str(max_len=255),
        "city": NAME,
        "state": NAME,
        "postal_code": NAME,
        "country": NAME,
    },
    required=("kind",),
)
NOTE = Obj(
    {"note_id": UUID, "created_at": Str(fmt="date-time"), "content": Str(max_len=2000, min_len=1)},
    required=("content",),
)
# One SMS consent: the contact resource's fields; the sign-up form asks for more of them.
_SMS_CONSENT = {
    "sms_consent_permission": Str(enum=SMS_CONSENT_PERMISSIONS),
    "consent_type": Str(min_len=1),
    "consent_medium_details": Str(),
}
SMS_CHANNEL = Obj(
    {
        "full_sms_address": Str(min_len=1, max_len=25),
        "sms_channel_consents": Arr(Obj(_SMS_CONSENT, required=("sms_consent_permission", "consent_type")),
                                    min_items=1),
    },
    required=("full_sms_address", "sms_channel_consents"),
)

_CONTACT_FIELDS = {
    "first_name": NAME,
    "last_name": NAME,
    "job_title": NAME,
    "company_name": NAME,
    "birthday_month": Int(1, 12),
    "birthday_day": Int(1, 31),
    "anniversary": Str(max_len=10),
    "custom_fields": Arr(CUSTOM_FIELD, max_items=25),
    "phone_numbers": Arr(PHONE, max_items=3),
    "street_addresses": Arr(STREET, max_items=3),
    "list_memberships": Arr(UUID, max_items=50),
    "taggings": Arr(UUID, max_items=50),
    "notes": Arr(NOTE, max_items=150),
    "sms_channel": SMS_CHANNEL,
}

EMAIL_PUT = Obj(
    {
        "address": Str(max_len=80, min_len=1, fmt="email"),
        "permission_to_send": Str(enum=PERMISSIONS),
        "opt_out_reason": Str(max_len=255, nullable=True),
    },
    required=("address",),
)
EMAIL_POST = Obj(
    {"address": Str(max_len=80, min_len=1, fmt="email"), "permission_to_send": Str(enum=PERMISSIONS)},
    required=("address",),
)
CONTACT_PUT = Obj({**_CONTACT_FIELDS, "email_address": EMAIL_PUT, "update_source": SOURCE},
                  required=("update_source",))
CONTACT_POST = Obj({**_CONTACT_FIELDS, "email_address": EMAIL_POST, "create_source": SOURCE},
                   required=("create_source",))

JMML_SMS = Obj(
    {
        "sms_address": Str(min_len=1, max_len=25),
        "dial_code": Str(min_len=1, max_len=4),
        "country_code": Str(min_len=2, max_len=2),
        "sms_channel_consents": Arr(
            Obj(
                {**_SMS_CONSENT, "consent_medium_type": Str(), "consent_medium_url": Str(),
                 "advertised_frequency": Int(), "advertised_interval": Str()},
                required=("consent_medium_details", "consent_medium_type", "consent_medium_url", "consent_type",
                          "sms_consent_permission"),
            ),
            min_items=1,
        ),
    },
    required=("country_code", "dial_code", "sms_address", "sms_channel_consents"),
)
SIGN_UP = Obj(
    {
        "email_address": Str(max_len=50, min_len=1, fmt="email"),
        "first_name": NAME,
        "last_name": NAME,
        "job_title": NAME,
        "company_name": NAME,
        "phone_number": Str(max_len=25, min_len=1),
        "anniversary": Str(max_len=10),
        "birthday_month": Int(1, 12),
        "birthday_day": Int(1, 31),
        "custom_fields": Arr(Obj({"custom_field_id": UUID, "value": Str(max_len=255)},
                                 required=("custom_field_id",)), max_items=50),
        "list_memberships": Arr(UUID, min_items=1, max_items=50),
        "street_address": STREET,
        "sms_channel": JMML_SMS,
    },
    required=("list_memberships",),
)
RESUBSCRIBE = Obj({"list_ids": Arr(UUID, min_items=1, max_items=50)}, required=("list_ids",))

_EXCLUDE = Obj({"contact_ids": Arr(UUID, max_items=500)})
LIST_ACTIVITY_SOURCE = Obj(
    {
        "contact_ids": Arr(UUID, min_items=1, max_items=500),
        "list_ids": Arr(UUID, min_items=1, max_items=50),
        "all_active_contacts": Bool(default=False),  # spec: `default: false`; the SDK always sends it
        "engagement_level": Str(),
        "segment_id": Int(),
        "tag_ids": Arr(UUID, min_items=1, max_items=50),
    }
)
LIST_ACTIVITY = Obj(
    {
        "source": LIST_ACTIVITY_SOURCE,
        "list_ids": Arr(UUID, min_items=1, max_items=50),
        "exclude": _EXCLUDE,
    },
    required=("source", "list_ids"),
)
CONTACT_DELETE = Obj(
    {"contact_ids": Arr(UUID, min_items=1, max_items=500), "list_ids": Arr(UUID, min_items=1, max_items=50)}
)
# Export column names (unconfirmed beyond the email_* and sms_* ones; see docs/sandbox.md).
EXPORT_FIELDS = (
    "contact_id", "email_address", "first_name", "last_name", "job_title", "company_name", "birthday_month",
    "birthday_day", "anniversary", "phone_number", "street_address", "created_at", "updated_at",
    "email_status", "email_optin_source", "email_optin_date", "email_optout_source", "email_optout_date",
    "email_optout_reason", "sms_number", "sms_consent_date", "sms_status", "list_memberships", "tags",
)
EXPORT_STATUSES = ("all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold", "unsubscribed")
CONTACT_EXPORT = Obj(
    {
        "contact_ids": Arr(UUID, min_items=1, max_items=500),
        "list_ids": Arr(UUID, min_items=1, max_items=50),
        "tag_ids": Arr(UUID, min_items=1, max_items=50),
        "segment_id": Int(),
        "new_subscriber": Bool(),
        "status": Str(enum=EXPORT_STATUSES),
        "fields": Arr(Str(enum=EXPORT_FIELDS), min_items=1),
        "exclude": Obj({"contact_ids": Arr(UUID, max_items=50)}),
    }
)
