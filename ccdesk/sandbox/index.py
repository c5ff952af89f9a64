"""Compact per-contact columns the filters read (one entry per contact sequence number).

A million contacts cost about 30 MB here; full records exist only for contacts that were touched.
"""

from __future__ import annotations

import bisect
from array import array

DELETED = 1  # flags bit


class ContactIndex:
    def __init__(self) -> None:
        self.perm = bytearray()  # model.PERM_CODE
        self.flags = bytearray()  # DELETED
        self.sms = bytearray()  # model.SMS_CODE
        self.lists = bytearray()  # bitmask of ListDef.bit
        self.tags = bytearray()  # bitmask of TagDef.bit
        self.created = array("q")
        self.updated = array("q")  # contact-level updated_at
        self.optout = array("q")  # email opt_out_date, 0 = none
        self.optout_seqs: list[int] = []  # sorted seqs with optout != 0, for opt-out queries

    def __len__(self) -> int:
        return len(self.perm)

    def append(self) -> int:
        for col in (self.perm, self.flags, self.sms, self.lists, self.tags):
            col.append(0)
        for arr in (self.created, self.updated, self.optout):
            arr.append(0)
        return len(self.perm) - 1

    def set_optout(self, seq: int, ms: int) -> None:
        old = self.optout[seq]
        if (old != 0) != (ms != 0):
            if ms:
                bisect.insort(self.optout_seqs, seq)
            else:
                del self.optout_seqs[bisect.bisect_left(self.optout_seqs, seq)]
        self.optout[seq] = ms

