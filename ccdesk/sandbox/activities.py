"""Bulk activities: queued on POST (201, `initialized`), `processing` while time passes, `completed` after
`activity_seconds`, when their effect is applied all at once. Time is the sandbox clock, so tests move it
instead of sleeping; `advance()` runs before every API request and every Python-API call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from . import counts, errors
from .bodies import LIST_ACTIVITY_SOURCE
from .contacts import ContactRules
from .export import build_csv
from .filters import ContactFilter, predicate
from .records import ContactRecords
from .timefmt import iso_z
from .validation import without_defaults

LIST_KINDS = ("add_list_memberships", "remove_list_memberships")


@dataclass
class ActivityJob:
    activity_id: str
    kind: str  # add_list_memberships | remove_list_memberships | contact_delete | contact_exports
    created_ms: int
    duration_ms: int
    targets: list[int]
    list_ids: list[str] = field(default_factory=list)
    fields: tuple[str, ...] | None = None
    errors: list[str] = field(default_factory=list)
    completed_ms: int | None = None
    cannot_add_to_list: int = 0
    csv: str | None = None
    failed: bool = False  # the `activity_fail_next` fault: ends "failed", nothing applied

    @property
    def href(self) -> str:
        return f"/v3/activities/{self.activity_id}"

    @property
    def results_href(self) -> str:
        return f"/v3/contact_exports/{self.activity_id}"


class ActivityQueue:
    def __init__(self, records: ContactRecords, rules: ContactRules, duration_ms: int, max_queued: int) -> None:
        self.records = records
        self.rules = rules
        self.duration_ms = duration_ms
        self.max_queued = max_queued
        self.activities: dict[str, ActivityJob] = {}
        self._pending: list[ActivityJob] = []
        self.fail_next = 0  # fault: the next K activities queued end in state "failed" (docs/sandbox.md)

    # ---- queueing ----------------------------------------------------------------------------------

    def _queue(self, kind: str, now: int, targets: list[int], **extra: Any) -> ActivityJob:
        if len(self._pending) >= self.max_queued:
            raise errors.ServiceError.one(429, errors.ACTIVITY_LIMIT,
                                      f"The account has more than {self.max_queued} queued activities.")
        act = ActivityJob(str(uuid.uuid4()), kind, now, self.duration_ms, list(dict.fromkeys(targets)), **extra)
        if self.fail_next > 0:
            self.fail_next -= 1
            act.failed = True
        self.activities[act.activity_id] = act
        self._pending.append(act)
        return act

    def _seqs(self, contact_ids: list[str], errs: list[str]) -> list[int]:
        seqs = []
        for contact_id in dict.fromkeys(contact_ids):
            seq = self.records.seq_of(contact_id)
            if seq is None:
                errs.append(f"Contact {contact_id} not found.")
            else:
                seqs.append(seq)
        return seqs

    def _lists(self, list_ids: list[str], status: int, field_name: str) -> list[str]:
        for list_id in list_ids:
            d = self.records.catalog.list_by_id.get(list_id)
            if d is None or d.deleted_ms is not None:
                raise errors.ServiceError.one(status, errors.NOT_FOUND if status == 404 else errors.VALIDATION,
                                          f"{field_name}: list {list_id} does not exist.")
        return list(dict.fromkeys(list_ids))

    def list_activity(self, kind: str, body: dict[str, Any], now: int) -> ActivityJob:
        # A key at the spec's declared default (`all_active_contacts: false`, which the official SDK's models
        # always send) chooses nothing: only keys given a value of their own count as the source.
        source = without_defaults(LIST_ACTIVITY_SOURCE, body["source"])
        given = [k for k in ("contact_ids", "list_ids", "all_active_contacts", "engagement_level", "segment_id",
                             "tag_ids") if k in source]
        if len(given) != 1:
            raise errors.validation("source must name exactly one of contact_ids, list_ids, all_active_contacts, "
                                    "engagement_level, segment_id, tag_ids.")
        (kind_of_source,) = given
        if kind == "remove_list_memberships" and kind_of_source == "segment_id":
            raise errors.validation("segment_id is not a source for removing list memberships.")
        if "exclude" in body and kind_of_source not in ("all_active_contacts", "list_ids"):
            raise errors.validation("exclude is allowed only with the all_active_contacts or list_ids source.")
        # Unknown target lists: the remove operation documents 404, the add operation only 400.
        targets_lists = self._lists(body["list_ids"], 404 if kind == "remove_list_memberships" else 400, "list_ids")
        errs: list[str] = []
        if kind_of_source == "contact_ids":
            seqs = self._seqs(source["contact_ids"], errs)
        elif kind_of_source == "list_ids":
            lists = self._lists(source["list_ids"], 400, "source.list_ids")
            seqs = counts.members(self.records, self.records.catalog.list_mask(lists))
        elif kind_of_source == "all_active_contacts":
            seqs = counts.active_contacts(self.records)
        elif kind_of_source == "tag_ids":
            for tag_id in source["tag_ids"]:
                if tag_id not in self.records.catalog.tag_by_id:
                    raise errors.validation(f"source.tag_ids: tag {tag_id} does not exist.")
            seqs = counts.tagged(self.records, self.records.catalog.tag_mask(source["tag_ids"]))
        else:
            raise errors.validation(f"source.{kind_of_source} is not emulated by the sandbox.")
        excluded = {self.records.seq_of(c) for c in body.get("exclude", {}).get("contact_ids", [])}
        seqs = [s for s in seqs if s not in excluded]
        return self._queue(kind, now, seqs, list_ids=targets_lists, errors=errs)

    def delete_activity(self, body: dict[str, Any], now: int) -> ActivityJob:
        if ("contact_ids" in body) == ("list_ids" in body):
            raise errors.validation("Give exactly one of contact_ids or list_ids.")
        errs: list[str] = []
        if "contact_ids" in body:
            seqs = self._seqs(body["contact_ids"], errs)
        else:
            lists = self._lists(body["list_ids"], 400, "list_ids")
            seqs = counts.members(self.records, self.records.catalog.list_mask(lists))
        return self._queue("contact_delete", now, seqs, errors=errs)

    def export_activity(self, body: dict[str, Any], now: int) -> ActivityJob:
        keys = set(body) - {"fields"}
        if "contact_ids" in keys and keys - {"contact_ids", "status"}:
            raise errors.validation("contact_ids can be combined only with status.")
        if "list_ids" in keys and keys - {"list_ids", "status", "exclude"}:
            raise errors.validation("list_ids can be combined only with status or exclude.")
        if "segment_id" in body:
            raise errors.not_found("Segment not found.")  # the sandbox account has no segments
        fields = tuple(dict.fromkeys(body["fields"])) if "fields" in body else None
        if fields and any(f.startswith("email_") for f in fields) and "email_address" not in fields:
            raise errors.validation("The email_* fields can be exported only together with email_address.")
        errs: list[str] = []
        cat = self.records.catalog
        status = body.get("status")
        q = ContactFilter.for_status(status)
        if "contact_ids" in body:
            seqs = self._seqs(body["contact_ids"], errs)
        elif "list_ids" in body:
            seqs = counts.members(self.records, cat.list_mask(self._lists(body["list_ids"], 400, "list_ids")))
        else:
            seqs = list(range(len(self.records)))
        if "tag_ids" in body:
            mask = cat.tag_mask(body["tag_ids"])
            seqs = [s for s in seqs if self.records.index.tags[s] & mask]
        if body.get("new_subscriber"):
            fresh = set(counts.new_subscribers(self.records, now))
            seqs = [s for s in seqs if s in fresh]
        match = predicate(self.records, q)
        excluded = {self.records.seq_of(c) for c in body.get("exclude", {}).get("contact_ids", [])}
        seqs = [s for s in seqs if match(s) and s not in excluded]
        return self._queue("contact_exports", now, seqs, fields=fields, errors=errs)

    # ---- progress ----------------------------------------------------------------------------------

    def advance(self, now: int) -> None:
        """Complete (and apply) every activity whose time has come, in the order they were queued."""
        while self._pending and self._pending[0].created_ms + self._pending[0].duration_ms <= now:
            act = self._pending.pop(0)
            if act.failed:
                act.errors = ["The activity failed because of an internal error (sandbox fault)."]
            else:
                self._apply(act)
            act.completed_ms = act.created_ms + act.duration_ms

    def _apply(self, act: ActivityJob) -> None:
        rules = self.rules
        if act.kind == "add_list_memberships":
            for seq in act.targets:
                why = rules.add_to_lists(seq, act.list_ids)
                if why == "unsubscribed":
                    act.cannot_add_to_list += 1
                elif why:
                    act.errors.append(why)
        elif act.kind == "remove_list_memberships":
            for seq in act.targets:
                rules.remove_from_lists(seq, act.list_ids)
        elif act.kind == "contact_delete":
            for seq in act.targets:
                rules.delete_quietly(seq)
        else:
            rows = ((self.records.view(s), self.records.contact_id(s)) for s in act.targets)
            act.csv, _ = build_csv(rows, act.fields, self.records.catalog)

    # ---- JSON --------------------------------------------------------------------------------------

    def as_json(self, act: ActivityJob, now: int, detailed: bool) -> dict[str, Any]:
        """The activity-status body: the POST answer (`detailed=False`) or GET /activities/{id}."""
        total = len(act.targets)
        if act.completed_ms is not None:
            state, percent, updated = ("failed" if act.failed else "completed"), 100, act.completed_ms
        elif now > act.created_ms:
            state, updated = "processing", now
            percent = min(99, (now - act.created_ms) * 100 // max(act.duration_ms, 1))
        else:
            state, percent, updated = "initialized", 0, act.created_ms
        done = total if state == "completed" else 0 if state == "failed" else total * percent // 100
        out: dict[str, Any] = {
            "activity_id": act.activity_id,
            "state": state,
            "created_at": iso_z(act.created_ms),
            "updated_at": iso_z(updated),
            "percent_done": percent,
            "activity_errors": list(act.errors) if state in ("completed", "failed") else [],
        }
        if state != "initialized":
            out["started_at"] = iso_z(act.created_ms)
        if act.completed_ms is not None:
            out["completed_at"] = iso_z(act.completed_ms)
        status: dict[str, int] = {"items_total_count": total, "items_completed_count": done}
        if act.kind != "contact_exports":
            status["list_count"] = len(act.list_ids)
        if detailed:
            status.update(person_count=total, error_count=len(out["activity_errors"]), correctable_count=0)
            if act.kind == "add_list_memberships":
                status["cannot_add_to_list_count"] = act.cannot_add_to_list
        out["status"] = status
        links: dict[str, Any] = {"self": {"href": act.href}}
        if act.kind == "contact_exports" and act.completed_ms is not None:
            links["results"] = {"href": act.results_href}
        out["_links"] = links
        return out

