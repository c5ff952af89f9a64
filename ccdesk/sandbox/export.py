"""The CSV of a contact export activity. Column names beyond the documented email_* and sms_* ones, the
default column set and the cell formats are unconfirmed guesses (docs/sandbox.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .model import Catalog, ContactRecord
from .timefmt import iso_z

DEFAULT_FIELDS = (
    "email_address", "first_name", "last_name", "job_title", "company_name", "email_status",
    "email_optin_source", "email_optin_date", "email_optout_source", "email_optout_date",
    "email_optout_reason", "created_at", "updated_at", "list_memberships",
)


def _date(ms: int | None) -> str:
    return iso_z(ms) if ms is not None else ""


def _values(rec: ContactRecord, contact_id: str, catalog: Catalog) -> dict[str, object]:
    """Every exportable column of one contact."""
    e, s = rec.email, rec.sms
    street = rec.street_addresses[0] if rec.street_addresses else None
    return {
        "contact_id": contact_id,
        "email_address": e.address if e else None,
        "first_name": rec.first_name,
        "last_name": rec.last_name,
        "job_title": rec.job_title,
        "company_name": rec.company_name,
        "birthday_month": rec.birthday_month,
        "birthday_day": rec.birthday_day,
        "anniversary": rec.anniversary,
        "phone_number": rec.phone_numbers[0].phone_number if rec.phone_numbers else None,
        "street_address": ", ".join(
            x for x in (street.street, street.city, street.state, street.postal_code, street.country) if x
        ) if street else None,
        "created_at": _date(rec.created_ms),
        "updated_at": _date(rec.updated_ms),
        "email_status": e.permission if e else None,
        "email_optin_source": e.opt_in_source if e else None,
        "email_optin_date": _date(e.opt_in_ms) if e else None,
        "email_optout_source": e.opt_out_source if e else None,
        "email_optout_date": _date(e.opt_out_ms) if e else None,
        "email_optout_reason": e.opt_out_reason if e else None,
        "sms_number": s.full_address if s else None,
        "sms_consent_date": _date(s.consents[0].opt_in_ms) if s and s.consents else None,
        "sms_status": s.permission if s else None,
        "tags": "; ".join(catalog.tag_by_id[t].name for t in rec.tag_ids if t in catalog.tag_by_id),
    }


def build_csv(
    rows: Iterable[tuple[ContactRecord, str]], fields: tuple[str, ...] | None, catalog: Catalog
) -> tuple[str, int]:
    """(CSV text, number of rows). `list_memberships` expands to one column per active list (header = the
    list's name, cell `x` for members)."""
    chosen = fields or DEFAULT_FIELDS
    lists = [d for d in catalog.lists if d.deleted_ms is None]
    header: list[str] = []
    for f in chosen:
        header.extend(d.name for d in lists) if f == "list_memberships" else header.append(f)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for rec, contact_id in rows:
        values = _values(rec, contact_id, catalog)
        line: list[str] = []
        for f in chosen:
            if f == "list_memberships":
                line.extend("x" if d.list_id in rec.list_ids else "" for d in lists)
            else:
                line.append("" if values[f] is None else str(values[f]))
        writer.writerow(line)
        count += 1
    return buf.getvalue(), count
