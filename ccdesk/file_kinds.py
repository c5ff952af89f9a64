"""What a file that should have been text (an address list) or ccdesk's database looks like, from its first
bytes: said in the refusal so the person knows which file they picked."""

from __future__ import annotations

# Leading bytes of the files people pick by mistake most often, and what to call them.
SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook or another ZIP file (LibreOffice, perhaps)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"%PDF", "a PDF"),
)


def known_kind(head: bytes) -> str | None:
    """The kind of file `head` starts like, or None when it matches none of SIGNATURES."""
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)
