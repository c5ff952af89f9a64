"""Identifiers: contact ids that encode their sequence number, so a million contacts need no id table.

A contact id is a version-4-shaped UUID: the high 64 bits are a keyed hash of (seed, seq), the low 62 bits
an invertible mix of seq. Decoding recovers seq and checks the hash, so ids of another seed, random UUIDs
and edited ids are all unknown.
"""

from __future__ import annotations

import hashlib
import re

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_M62 = (1 << 62) - 1
_MUL = 0x2545F4914F6CDD1D & _M62 | 1
_MUL_INV = pow(_MUL, -1, 1 << 62)


def is_uuid(text: str) -> bool:
    """Canonical lowercase 8-4-4-4-12 form (what the service writes)."""
    return bool(UUID_RE.match(text))


def _hash64(*parts: object) -> int:
    data = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _as_uuid4(hi: int, lo62: int) -> str:
    hi = (hi & ~(0xF << 12)) | (0x4 << 12)  # version nibble
    h = f"{(hi << 64) | (0b10 << 62) | lo62:032x}"  # variant bits 10
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stable_uuid(seed: int, *label: object) -> str:
    """A deterministic random-looking UUID for (seed, label...): lists, tags, sub-resource ids."""
    return _as_uuid4(_hash64("u", seed, *label), _hash64("l", seed, *label) & _M62)


class ContactIds:
    """The bijection between contact sequence numbers and contact ids for one seed."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._key = _hash64("key", seed) & _M62

    def encode(self, seq: int) -> str:
        x = ((seq + self._key) & _M62) * _MUL & _M62
        x ^= x >> 31
        return _as_uuid4(_hash64("c", self._seed, seq), x)

    def decode(self, contact_id: str) -> int | None:
        """The seq an id stands for, or None if it is malformed or was never issued by this seed."""
        if not is_uuid(contact_id):
            return None
        value = int(contact_id.replace("-", ""), 16)
        x = value & _M62
        x ^= x >> 31
        seq = ((x * _MUL_INV) & _M62) - self._key & _M62
        return seq if self.encode(seq) == contact_id else None
