"""The reading behind `account_optout_readd`: may the account add back a contact it opted out itself?

The spec's `EmailAddress.opt_out_source`: "If the Account, then the account can add the contact back to any
lists". On (the default), a PUT by the account that makes such a contact mailable or puts it on a list, or an
add_list_memberships activity, re-adds it; off, an Account opt-out is as final for the account as the contact's
own (the stricter reading). The contact's own opt-out is final for the account under both.
"""

from __future__ import annotations

from .config import SandboxConfig
from .model import ContactRecord


def account_may_readd(rec: ContactRecord, config: SandboxConfig) -> bool:
    e = rec.email
    return (config.account_optout_readd and e is not None and e.permission == "unsubscribed"
            and e.opt_out_source == "Account" and rec.resubscribe is None and not rec.deleted)


def readd_by_account(rec: ContactRecord, permission: str, now: int) -> None:
    """The account takes back its own opt-out: mailable again, the opt-out fields cleared."""
    e = rec.email
    assert e is not None
    e.permission, e.opt_in_source, e.opt_in_ms = permission, "Account", now
    e.opt_out_ms = e.opt_out_source = e.opt_out_reason = None
    e.updated_ms = now
