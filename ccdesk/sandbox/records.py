"""All contacts of the account: seeded ones generated on demand, touched or created ones kept in memory.

A record read here is a private copy; changes become visible only through `commit`, which also keeps the
index columns and the email/SMS lookups in step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import data
from .ids import ContactIds
from .index import DELETED, ContactIndex
from .model import PERM_CODE, SMS_CODE, ContactRecord


class ContactRecords:
    def __init__(self, n: int, seed: int, anchor_ms: int) -> None:
        self.seed = seed
        self.anchor_ms = anchor_ms
        self.n_seeded = n
        self.ids = ContactIds(seed)
        self.catalog = data.build_catalog(seed, anchor_ms)
        self.index = ContactIndex()
        data.seed_index(self.index, n, seed, anchor_ms)
        self._records: dict[int, ContactRecord] = {}  # touched or created contacts
        self._email_of: dict[int, str] = {}  # seq → lowercased address, for records in _records
        self._by_email: dict[str, int] = {}
        self._sms_of: dict[int, str] = {}
        self._by_sms: dict[str, int] = {}
        self.version = 0  # bumps on every commit; caches of counts key on it

    def __len__(self) -> int:
        return len(self.index)

    # ---- reading ------------------------------------------------------------------------------------

    def get(self, seq: int) -> ContactRecord:
        """A private copy of the contact's current record."""
        rec = self._records.get(seq)
        if rec is not None:
            return copy.deepcopy(rec)
        return data.generate(seq, self.seed, self.anchor_ms, self.index, self.catalog)

    def view(self, seq: int) -> ContactRecord:
        """The current record for reading only (no copy for touched contacts): do not modify."""
        rec = self._records.get(seq)
        return rec if rec is not None else data.generate(seq, self.seed, self.anchor_ms, self.index, self.catalog)

    def touched(self, seq: int) -> bool:
        """True once the contact differs from its seeded state (or was created here)."""
        return seq in self._records

    def seq_of(self, contact_id: str) -> int | None:
        seq = self.ids.decode(contact_id)
        return seq if seq is not None and seq < len(self.index) else None

    def contact_id(self, seq: int) -> str:
        return self.ids.encode(seq)

    def seq_by_email(self, address: str) -> int | None:
        key = address.strip().lower()
        return self._seq_by(key, self._by_email, data.seq_from_email,
                            lambda rec: rec.email is not None and rec.email.address.lower() == key)

    def seq_by_sms(self, sms_address: str) -> int | None:
        return self._seq_by(sms_address, self._by_sms, data.seq_from_sms,
                            lambda rec: rec.sms is not None and rec.sms.sms_address == sms_address)

    def _seq_by(self, key: str, index: dict[str, int], seq_from: Callable[[str], int | None],
                matches: Callable[[ContactRecord], bool]) -> int | None:
        """A record by a unique key: one written since the seed is in `index`; a seeded one that was never
        changed is found from the key itself (the seed derives the key from the record number)."""
        if key in index:
            return index[key]
        seq = seq_from(key)
        if seq is None or seq >= self.n_seeded or seq in self._records:
            return None
        return seq if matches(self.view(seq)) else None

    # ---- writing ------------------------------------------------------------------------------------

    def new_seq(self) -> int:
        """Reserve the next creation sequence number (paging order is by seq, which never changes)."""
        return self.index.append()

    def commit(self, rec: ContactRecord) -> None:
        seq = rec.seq
        self._records[seq] = copy.deepcopy(rec)
        self._relink(seq, self._email_of, self._by_email, rec.email.address.lower() if rec.email else None)
        self._relink(seq, self._sms_of, self._by_sms, rec.sms.sms_address if rec.sms else None)
        ix = self.index
        ix.perm[seq] = PERM_CODE[rec.permission]
        ix.flags[seq] = DELETED if rec.deleted else 0
        ix.sms[seq] = SMS_CODE[rec.sms.permission] if rec.sms else 0
        ix.lists[seq] = self.catalog.list_mask(rec.list_ids)
        ix.tags[seq] = self.catalog.tag_mask(rec.tag_ids)
        ix.created[seq] = rec.created_ms
        ix.updated[seq] = rec.updated_ms
        ix.set_optout(seq, (rec.email.opt_out_ms or 0) if rec.email else 0)
        self.version += 1

    @staticmethod
    def _relink(seq: int, of: dict[int, str], by: dict[str, int], key: str | None) -> None:
        old = of.pop(seq, None)
        if old is not None and by.get(old) == seq:
            del by[old]
        if key is not None:
            of[seq] = key
            by[key] = seq
