"""A local emulator of the Constant Contact v3 API (and its OAuth server), for demo mode and tests.

It imports nothing from the rest of ccdesk, so a bug shared by the client and the emulator cannot hide.
"""

from __future__ import annotations

from .config import SandboxConfig

__all__ = ["SandboxConfig"]
