"""The sandbox's internal records (times in epoch ms). Rendering to the API's JSON lives in render.py."""

from __future__ import annotations

from dataclasses import dataclass, field

PERMISSIONS = ("explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", "unsubscribed")
# Compact codes for the index arrays (bytearray per contact).
PERM_CODE = {p: i for i, p in enumerate(PERMISSIONS)}
UNSUBSCRIBED = PERM_CODE["unsubscribed"]
SOURCES = ("Contact", "Account")
SMS_PERMISSIONS = ("none", "explicit", "unsubscribed", "pending_confirmation", "not_set")
SMS_CODE = {p: i for i, p in enumerate(SMS_PERMISSIONS)}
PHONE_KINDS = ("home", "work", "mobile", "other")
ADDRESS_KINDS = ("home", "work", "other")


@dataclass
class EmailRecord:
    address: str
    permission: str
    created_ms: int
    updated_ms: int
    opt_in_source: str | None = None
    opt_in_ms: int | None = None
    opt_out_source: str | None = None
    opt_out_ms: int | None = None
    opt_out_reason: str | None = None
    confirm_status: str = "off"


@dataclass
class PhoneRecord:
    phone_number_id: str
    phone_number: str
    kind: str
    created_ms: int
    updated_ms: int
    create_source: str
    update_source: str

    def content(self) -> tuple[str, str]:
        return (self.phone_number, self.kind)


@dataclass
class StreetRecord:
    street_address_id: str
    kind: str
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    created_ms: int
    updated_ms: int

    def content(self) -> tuple[str | None, ...]:
        return (self.kind, self.street, self.city, self.state, self.postal_code, self.country)


@dataclass
class NoteRecord:
    note_id: str
    created_ms: int
    content: str


@dataclass
class CustomFieldValue:
    custom_field_id: str
    value: str


@dataclass
class SmsConsent:
    sms_consent_permission: str
    consent_type: str
    created_ms: int
    updated_ms: int
    opt_in_ms: int | None = None
    opt_out_ms: int | None = None


@dataclass
class SmsRecord:
    sms_channel_id: str
    sms_address: str
    dial_code: str
    country_code: str
    create_source: str
    update_source: str
    consents: list[SmsConsent] = field(default_factory=list)

    @property
    def full_address(self) -> str:
        return f"+{self.dial_code}{self.sms_address}"

    @property
    def permission(self) -> str:
        return self.consents[0].sms_consent_permission if self.consents else "not_set"


@dataclass
class ResubscribeRecord:
    requested_ms: int
    list_ids: list[str]


@dataclass
class ContactRecord:
    seq: int
    created_ms: int
    updated_ms: int
    create_source: str
    update_source: str
    email: EmailRecord | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    anniversary: str | None = None
    deleted_ms: int | None = None
    custom_fields: list[CustomFieldValue] = field(default_factory=list)
    phone_numbers: list[PhoneRecord] = field(default_factory=list)
    street_addresses: list[StreetRecord] = field(default_factory=list)
    list_ids: list[str] = field(default_factory=list)
    tag_ids: list[str] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)
    sms: SmsRecord | None = None
    resubscribe: ResubscribeRecord | None = None
    # A resubscribe email may be sent to a contact once, ever (reference §2).
    resubscribe_used: bool = False

    @property
    def permission(self) -> str:
        return self.email.permission if self.email else "not_set"

    @property
    def deleted(self) -> bool:
        return self.deleted_ms is not None

    def core(self) -> tuple[object, ...]:
        """The fields a PUT replaces wholesale (a change here moves the contact's updated_at)."""
        return (
            self.first_name, self.last_name, self.job_title, self.company_name,
            self.birthday_month, self.birthday_day, self.anniversary,
        )

    def sub_resources(self) -> tuple[object, ...]:
        return (
            [(c.custom_field_id, c.value) for c in self.custom_fields],
            [p.content() for p in self.phone_numbers],
            [s.content() for s in self.street_addresses],
            sorted(self.list_ids),
            sorted(self.tag_ids),
            [(n.note_id, n.content) for n in self.notes],
            self.sms.full_address if self.sms else None,
            [(c.sms_consent_permission, c.consent_type) for c in self.sms.consents] if self.sms else None,
        )


@dataclass
class ListDef:
    list_id: str
    name: str
    created_ms: int
    updated_ms: int
    favorite: bool = False
    deleted_ms: int | None = None
    bit: int = 0  # position in the per-contact membership bitmask


@dataclass
class TagDef:
    tag_id: str
    name: str
    bit: int = 0


@dataclass
class CustomFieldDef:
    custom_field_id: str
    label: str
    created_ms: int = 0
    updated_ms: int = 0


@dataclass
class Catalog:
    """The account's lists, tags and custom fields (fixed at startup; the sandbox emulates no endpoint that
    creates them)."""

    lists: list[ListDef]
    tags: list[TagDef]
    custom_fields: list[CustomFieldDef]

    def __post_init__(self) -> None:
        self.list_by_id = {d.list_id: d for d in self.lists}
        self.tag_by_id = {t.tag_id: t for t in self.tags}
        self.field_by_id = {f.custom_field_id: f for f in self.custom_fields}

    def list_mask(self, list_ids: list[str]) -> int:
        return sum(1 << self.list_by_id[i].bit for i in set(list_ids) if i in self.list_by_id)

    def tag_mask(self, tag_ids: list[str]) -> int:
        return sum(1 << self.tag_by_id[i].bit for i in set(tag_ids) if i in self.tag_by_id)

    def lists_of(self, mask: int) -> list[str]:
        return [d.list_id for d in self.lists if mask >> d.bit & 1]

    def tags_of(self, mask: int) -> list[str]:
        return [t.tag_id for t in self.tags if mask >> t.bit & 1]
