"""Deterministic seeded accounts: the index columns for all N contacts at startup (C-speed byte tricks),
and each contact's full record generated on demand from (seed, seq).

The same (N, seed, anchor) always gives the same account. Seeded email addresses end in seq + 1 and SMS
numbers in seq, so both can be looked up by parsing them, without a table of a million strings.
"""

from __future__ import annotations

import random
import re
import unicodedata
from array import array
from collections.abc import Sequence

from . import names
from .ids import stable_uuid
from .index import DELETED, ContactIndex
from .model import (
    PERM_CODE,
    PERMISSIONS,
    SMS_CODE,
    SMS_PERMISSIONS,
    UNSUBSCRIBED,
    Catalog,
    ContactRecord,
    CustomFieldDef,
    CustomFieldValue,
    EmailRecord,
    ListDef,
    NoteRecord,
    PhoneRecord,
    SmsConsent,
    SmsRecord,
    StreetRecord,
    TagDef,
)
from .timefmt import DAY_MS

YEAR_MS = 365 * DAY_MS
HISTORY_MS = 6 * YEAR_MS  # seeded contacts were created over the six years before the anchor
OPTOUT_SPAN_MS = 2 * YEAR_MS  # and opted out during the last two
FULL_EVERY = 25  # every 25th contact (seq % 25 == 7) carries every sub-resource
SMS_PREFIX = "555"

# Byte → value tables: a random byte per contact through bytes.translate gives the distribution at C speed.
_PERM_SHARES = (  # out of 256
    ("explicit", 130), ("implicit", 85), ("unsubscribed", 31),
    ("not_set", 5), ("pending_confirmation", 4), ("temp_hold", 1),
)
_SMS_SHARES = (("none", 235), ("explicit", 13), ("unsubscribed", 3), ("pending_confirmation", 3), ("not_set", 2))
_DELETED_OUT_OF_256 = 5  # ~2 %


def _table(shares: Sequence[tuple[int, int]]) -> bytes:
    out = bytearray()
    for value, count in shares:
        out += bytes([value]) * count
    assert len(out) == 256
    return bytes(out)


PERM_TABLE = _table([(PERM_CODE[p], c) for p, c in _PERM_SHARES])
SMS_TABLE = _table([(SMS_CODE[p], c) for p, c in _SMS_SHARES])
DELETED_TABLE = _table([(DELETED, _DELETED_OUT_OF_256), (0, 256 - _DELETED_OUT_OF_256)])
KEEP_TABLE = bytes([0xFF, 0x00]) + bytes(254)  # flags → 0xFF if not deleted
# perm → 0xFF unless unsubscribed: an unsubscribed contact is on no list (docs/sandbox.md, rule 1).
SUBSCRIBED_TABLE = bytes(0x00 if i == PERM_CODE["unsubscribed"] else 0xFF for i in range(256))


def _bit_table(share: float, bit: int) -> bytes:
    cut = round(share * 256)
    return bytes([1 << bit]) * cut + bytes(256 - cut)


def build_catalog(seed: int, anchor_ms: int) -> Catalog:
    lists = [
        ListDef(
            list_id=stable_uuid(seed, "list", k),
            name=name,
            created_ms=anchor_ms - HISTORY_MS + k * 97 * DAY_MS + 36_000_000,
            updated_ms=anchor_ms - (k + 2) * 31 * DAY_MS,
            favorite=favorite,
            bit=k,
        )
        for k, (name, _share, favorite) in enumerate(names.LISTS)
    ]
    k = len(lists)
    lists.append(
        ListDef(
            list_id=stable_uuid(seed, "list", k),
            name=names.DELETED_LIST,
            created_ms=anchor_ms - 3 * YEAR_MS,
            updated_ms=anchor_ms - 400 * DAY_MS,
            deleted_ms=anchor_ms - 400 * DAY_MS,
            bit=k,
        )
    )
    tags = [TagDef(stable_uuid(seed, "tag", k), name, k) for k, (name, _share) in enumerate(names.TAGS)]
    fields = [
        CustomFieldDef(stable_uuid(seed, "cf", k), label, created_ms=anchor_ms - 3 * YEAR_MS + k * DAY_MS,
                       updated_ms=anchor_ms - (k + 5) * 29 * DAY_MS)
        for k, label in enumerate(names.CUSTOM_FIELDS)
    ]
    return Catalog(lists, tags, fields)


def _or_masks(rng: random.Random, n: int, shares: Sequence[tuple[float, int]], keep: int) -> bytearray:
    acc = 0
    for share, bit in shares:
        acc |= int.from_bytes(rng.randbytes(n).translate(_bit_table(share, bit)), "little")
    return bytearray((acc & keep).to_bytes(n, "little"))


def seed_index(index: ContactIndex, n: int, seed: int, anchor_ms: int) -> None:
    """Fill `index` (which must be empty) with the columns of N seeded contacts."""
    rng = random.Random(f"ccdesk-sandbox:{seed}")
    index.perm = bytearray(rng.randbytes(n).translate(PERM_TABLE))
    index.flags = bytearray(rng.randbytes(n).translate(DELETED_TABLE))
    keep = (int.from_bytes(index.flags.translate(KEEP_TABLE), "little")
            & int.from_bytes(index.perm.translate(SUBSCRIBED_TABLE), "little"))
    index.lists = _or_masks(rng, n, [(share, k) for k, (_n, share, _f) in enumerate(names.LISTS)], keep)
    index.tags = _or_masks(rng, n, [(share, k) for k, (_n, share) in enumerate(names.TAGS)], -1)
    index.sms = bytearray(rng.randbytes(n).translate(SMS_TABLE))

    start = anchor_ms - HISTORY_MS
    step = HISTORY_MS // max(n, 1)
    index.created = array("q", [start + i * step + (j * step >> 8) for i, j in enumerate(rng.randbytes(n))])
    index.updated = array(
        "q",
        [
            c if u < 100 else c + max(anchor_ms - DAY_MS - c, 0) * (u - 100) * (u - 100) // (156 * 156)
            for c, u in zip(index.created, rng.randbytes(n), strict=True)
        ],
    )
    for seq in range(7, n, FULL_EVERY):  # the "every sub-resource" contacts: a tag and an SMS channel too
        index.tags[seq] |= 1 << (seq // FULL_EVERY % len(names.TAGS))
        if index.sms[seq] == 0:
            index.sms[seq] = SMS_CODE["explicit"]

    index.optout = array("q", bytes(8 * n))
    seqs: list[int] = []
    pos = index.perm.find(UNSUBSCRIBED)
    while pos != -1:
        first = max(index.created[pos] + 60_000, anchor_ms - OPTOUT_SPAN_MS)
        index.optout[pos] = first + int(rng.random() * (anchor_ms - 60_000 - first))
        seqs.append(pos)
        pos = index.perm.find(UNSUBSCRIBED, pos + 1)
    index.optout_seqs = seqs


def _slug(text: str) -> str:
    """ASCII letters only: "Renée" → "renee", "O'Brien" → "obrien", "Łukasz" → "ukasz"."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain) or "contact"


def seeded_email(seq: int, first: str, last: str, company_first: str | None, rng: random.Random) -> str:
    f, la, n = _slug(first), _slug(last), seq + 1
    local = rng.choice((f"{f}.{la}{n}", f"{f[0]}{la}{n}", f"{f}{n}", f"{f}_{la}{n}", f"{la}.{f}{n}"))
    if company_first and rng.random() < 0.45:
        domain = _slug(company_first) + rng.choice(("", "co", "hq")) + ".com"
    else:
        domain = rng.choice(names.FREE_MAIL)
    return f"{local}@{domain}"


def seq_from_email(address: str) -> int | None:
    """The seq a seeded address would belong to (to be confirmed by regenerating it)."""
    m = re.match(r"^[a-z._]*?[a-z](\d+)@", address)
    return int(m.group(1)) - 1 if m and not m.group(1).startswith("0") else None


def seeded_sms(seq: int) -> str:
    return f"{SMS_PREFIX}{seq:07d}"


def seq_from_sms(sms_address: str) -> int | None:
    m = re.fullmatch(SMS_PREFIX + r"(\d{7,})", sms_address)
    return int(m.group(1)) if m and seeded_sms(int(m.group(1))) == sms_address else None


def generate(seq: int, seed: int, anchor_ms: int, index: ContactIndex, catalog: Catalog) -> ContactRecord:
    """The full record of seeded contact `seq` in its seeded state (index columns supply filtered fields)."""
    rng = random.Random(f"ccdesk-contact:{seed}:{seq}")
    full = seq % FULL_EVERY == 7
    created, updated = index.created[seq], index.updated[seq]
    first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
    company_first = rng.choice(names.COMPANY_FIRST) if full or rng.random() < 0.7 else None
    company = (
        company_first + " " + rng.choice(names.COMPANY_SECOND) + rng.choice(names.COMPANY_SUFFIX)
        if company_first else None
    )
    permission = PERMISSIONS[index.perm[seq]]
    email = EmailRecord(
        address=seeded_email(seq, first, last, company_first, rng),
        permission=permission,
        created_ms=created,
        updated_ms=created,
        confirm_status="pending" if permission == "pending_confirmation" else "off",
    )
    if permission in ("explicit", "unsubscribed"):
        email.opt_in_source = "Contact" if rng.random() < 0.65 else "Account"
        email.opt_in_ms = created
    elif permission in ("implicit", "temp_hold"):
        email.opt_in_source, email.opt_in_ms = "Account", created
    elif permission == "pending_confirmation":
        email.opt_in_source = "Contact"
    if permission == "unsubscribed":
        email.opt_out_ms = email.updated_ms = index.optout[seq]
        by_contact = rng.random() < 0.75
        email.opt_out_source = "Contact" if by_contact else "Account"
        reason = rng.choice(names.REASONS_CONTACT if by_contact else names.REASONS_ACCOUNT)
        email.opt_out_reason = reason or None
    rec = ContactRecord(
        seq=seq,
        created_ms=created,
        updated_ms=updated,
        create_source="Contact" if email.opt_in_source == "Contact" else "Account",
        update_source="Account" if rng.random() < 0.8 else "Contact",
        email=email,
        first_name=first,
        last_name=last,
        job_title=rng.choice(names.JOB_TITLES) if full or rng.random() < 0.5 else None,
        company_name=company,
        list_ids=catalog.lists_of(index.lists[seq]),
        tag_ids=catalog.tags_of(index.tags[seq]),
    )
    if index.flags[seq] & DELETED:
        rec.deleted_ms = max(updated, index.optout[seq])
    if full or rng.random() < 0.25:
        rec.birthday_month, rec.birthday_day = rng.randint(1, 12), rng.randint(1, 28)
    if full or rng.random() < 0.1:
        rec.anniversary = f"{rng.randint(1975, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    _sub_resources(rec, seed, anchor_ms, rng, full, catalog, index.sms[seq])
    return rec


def _between(rng: random.Random, lo: int, hi: int) -> int:
    return lo + int(rng.random() * max(hi - lo, 0))


def _sub_resources(
    rec: ContactRecord, seed: int, anchor_ms: int, rng: random.Random, full: bool, catalog: Catalog, sms: int
) -> None:
    seq, created = rec.seq, rec.created_ms
    if full or rng.random() < 0.2:
        chosen = catalog.custom_fields if full else rng.sample(catalog.custom_fields, rng.randint(1, 2))
        values = {
            "Member since": str(rng.randint(2008, 2024)),
            "Membership tier": rng.choice(("Gold", "Silver", "Bronze")),
            "Favorite product": rng.choice(("Cold brew", "Gift cards", "Annual pass", "Workshops")),
            "Preferred store": rng.choice(names.CITIES)[0],
        }
        rec.custom_fields = [CustomFieldValue(f.custom_field_id, values[f.label]) for f in chosen]
    if full or rng.random() < 0.35:
        count = 3 if full else rng.randint(1, 2)
        kinds = rng.sample(("home", "work", "mobile", "other"), count)
        rec.phone_numbers = [
            PhoneRecord(
                phone_number_id=stable_uuid(seed, "phone", seq, k),
                phone_number=f"({rng.randint(201, 989)}) 555-{rng.randint(100, 9999):04d}",
                kind=kind,
                created_ms=created,
                updated_ms=created,
                create_source=rec.create_source,
                update_source=rec.create_source,
            )
            for k, kind in enumerate(kinds)
        ]
    if full or rng.random() < 0.25:
        kinds = ["home", "work"] if full else [rng.choice(("home", "work", "other"))]
        addresses = []
        for k, kind in enumerate(kinds):
            city, state, zip_prefix = rng.choice(names.CITIES)
            addresses.append(
                StreetRecord(
                    street_address_id=stable_uuid(seed, "street", seq, k),
                    kind=kind,
                    street=f"{rng.randint(1, 9899)} {rng.choice(names.STREETS)}",
                    city=city,
                    state=state,
                    postal_code=f"{zip_prefix}{rng.randint(100, 999)}",
                    country="United States",
                    created_ms=created,
                    updated_ms=created,
                )
            )
        rec.street_addresses = addresses
    if full or rng.random() < 0.1:
        rec.notes = [
            NoteRecord(
                stable_uuid(seed, "note", seq, k), _between(rng, created, rec.updated_ms), rng.choice(names.NOTES)
            )
            for k in range(rng.randint(1, 3))
        ]
    if sms:
        permission = SMS_PERMISSIONS[sms]
        consent = SmsConsent(permission, "promotional_sms", created, created)
        if permission in ("explicit", "unsubscribed"):
            consent.opt_in_ms = created
        if permission == "unsubscribed":
            consent.opt_out_ms = consent.updated_ms = _between(rng, created, anchor_ms)
        rec.sms = SmsRecord(
            sms_channel_id=stable_uuid(seed, "sms", seq),
            sms_address=seeded_sms(seq),
            dial_code="1",
            country_code="US",
            create_source=rec.create_source,
            update_source=rec.create_source,
            consents=[consent],
        )
