"""Plain words for technical facts shown to marketing staff (no library names, no exception classes)."""

from __future__ import annotations


def where_sign_in_is_kept(backend: str) -> str:
    """ "keyring.backends.SecretService.Keyring" or "memory (this session only)" said for a person."""
    if not backend or "memory" in backend or "fail" in backend.lower() or "null" in backend.lower():
        return "The sign-in is kept for this session only; you will sign in again next time."
    return "The sign-in is kept in this computer's password store."
