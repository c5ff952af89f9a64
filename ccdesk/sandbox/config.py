"""How a sandbox instance is set up (sizes, limits, tokens, timing, readings)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SandboxConfig:
    """Every knob of one sandbox instance; `python -m ccdesk.sandbox` maps its flags onto these fields.

    `clock` drives everything time-dependent (dates written, token expiry, rate limits, activity progress)
    so tests can move time without sleeping. `rate_limit=0` or `daily_quota=0` switch that limit off.
    `anchor` is the instant the seeded history ends (epoch seconds); None means midnight UTC of the
    clock's current day, so seeded data is identical all day and recent opt-outs stay recent.
    """

    contacts: int = 200
    seed: int = 1
    rate_limit: float = 4.0
    daily_quota: int = 10_000
    tokens: list[str] = field(default_factory=list)
    activity_seconds: float = 1.0
    auto_approve: bool = False
    refresh_tokens: str = "rotating"
    token_lifetime_s: float = 86400
    clock: Callable[[], float] = time.time
    anchor: float | None = None
    max_queued_activities: int = 1000
    # Readings of behaviour the sources leave open (docs/sandbox.md, "Readings behind switches"):
    # after a resubscribe request the contact is "pending_confirmation" (default) or stays "unsubscribed"
    # with confirm_status pending.
    resubscribe_state: str = "pending_confirmation"
    # Stored `_links.next` cursors older than this many seconds answer 400 (0 = they never expire).
    link_ttl_s: float = 0.0
    # A contact's own unsubscribe (PUT, update_source Contact) on an Account opt-out records the contact
    # as the source (True) or keeps the first opt-out as it was (False, the default).
    contact_optout_overrides_account: bool = False
    # OAuth server (oauth.py, oauth_apps.py): registered apps ("ID=pkce:URI[,URI]" / "ID=device"; none = any
    # client id), a new sign-in expiring earlier refresh tokens, the token endpoint's per-app limit and faults.
    apps: list[str] = field(default_factory=list)
    new_sign_in_expires_old: bool = False
    # A rotated refresh token used again ends its whole chain (every refresh and access token of that sign-in),
    # as Okta's rotation does (True), or is only refused (False, the default).
    refresh_reuse_revokes: bool = False
    token_rate_limit: float = 0.0
    token_fault_next: int = 0
    token_fault: str = "429"
    # The account may add back a contact it opted out itself (opt_out_source Account: PUT it mailable or onto
    # lists, or add it in an add_list_memberships activity), as the spec's opt_out_source text says (True, the
    # default); False refuses it as for the contact's own opt-out.
    account_optout_readd: bool = True
    # PUT and POST /contacts answer with every sub-resource (True, the default) or with none (False): the spec
    # types both answers as the full ContactResource, while the reference says sub-resources come "only when
    # requested via include", which neither write takes.
    write_answers_with_subresources: bool = True
    # A delete moves the contact's `updated_at` (True, the default), so `updated_after` finds it, or leaves it
    # (False): the reference says `updated_after` covers "personal info/lists changes" and nothing of deletes.
    delete_moves_updated_at: bool = True
    # The signed-in user may change contacts (True), or only read them (False: every PUT, POST and DELETE under
    # /v3 is 403, as the reference says for a missing privilege).
    user_may_write: bool = True
