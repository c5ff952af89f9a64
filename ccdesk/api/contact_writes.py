"""The three writes staff make to one contact, mixed into `CCClient`.

Each sends as little as the service needs, because Constant Contact acts on what a request contains:
- an unsubscribe PUTs the core fields, the address and `update_source` only. The service nulls core fields
  a PUT omits (so they go back as read) but keeps omitted sub-resources, and echoing the lists read a moment
  ago would undo a change made meanwhile (a lost update) and, once the contact is unsubscribed, make the
  service email them a confirmation (the unsubscribe/resubscribe guide);
- a removal from lists is a `remove_list_memberships` activity for that one contact (no read-modify-write);
- a resubscribe request is never repeated by the HTTP layer: it sends an email, once per contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import ServerError, ValidationError
from .models import JSON, MAX_REASON_LENGTH, Activity, Contact, UpdateSource, build_put_body

DELETED_CONTACT_REFUSED = ("This contact was deleted in Constant Contact. Unsubscribing it from here would restore "
                           "it, so nothing was changed; restore it in Constant Contact first if it must be "
                           "unsubscribed.")


class DeletedContactRefused(ValidationError):
    """Nothing was sent: the contact read just before is deleted. `contact` is that read, for the cache (which
    may still show the contact as it was before someone deleted it)."""

    def __init__(self, contact: Contact) -> None:
        super().__init__(DELETED_CONTACT_REFUSED)
        self.contact = contact


def check_reason(reason: str | None) -> None:
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"The reason is {len(reason)} characters long; Constant Contact accepts at "
                              f"most {MAX_REASON_LENGTH}.")


class ContactWrites:
    """Mixin for CCClient (which provides the methods declared below)."""

    if TYPE_CHECKING:
        async def _send(self, method: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None,
                        parse: bool = True, idempotent: bool | None = None) -> Any: ...
        async def get_contact(self, contact_id: str, include: Sequence[str] = ...) -> Contact: ...
        async def put_contact(self, contact_id: str, body: JSON, *, still_valid: Callable[[], bool] | None = ...
                              ) -> Contact: ...
        async def remove_list_memberships(self, contact_ids: Sequence[str], list_ids: Sequence[str]) -> Activity: ...
        async def wait_for_activity(self, activity: Activity, *, poll_s: float = ..., max_poll_s: float = ...,
                                    timeout_s: float = ...,
                                    on_progress: Callable[[Activity], None] | None = ...) -> Activity: ...

    async def unsubscribe(self, contact_id: str, reason: str | None, source: UpdateSource) -> Contact:
        """Opt a contact out, changing nothing else (see the module docstring for the body).

        A contact already unsubscribed is returned as it is (sending again could overwrite the reason the
        contact gave), except when the contact asks and the opt-out on record is the team's (`Account`): then
        the contact's request is sent with `update_source: Contact`, and the answer says whether the service
        recorded it (`opt_out_source`). A deleted contact is refused (ValidationError, nothing sent): any PUT
        restores a deleted contact (or, with update_source Contact, is refused by the service).
        """
        check_reason(reason)
        # Read with its lists (same request): what is read may go to the cache as it is (already unsubscribed,
        # deleted), and a cached contact without its lists keeps the old ones.
        read = await self.get_contact(contact_id, include=("list_memberships",))
        return await self.unsubscribe_as_read(read, reason, source)

    async def unsubscribe_as_read(self, contact: Contact, reason: str | None, source: UpdateSource, *,
                                  still_valid: Callable[[], bool] | None = None) -> Contact:
        """`unsubscribe` for a contact already read (a bulk run builds it from a freshly synced cache): one
        PUT, or none when there is nothing to do. The PUT carries the core fields as `contact` has them;
        `still_valid` (see `_send`) refuses to send it once that read is too old."""
        check_reason(reason)
        contact_id = contact.contact_id
        email = contact.email_address
        if contact.is_unsubscribed and not (source == "Contact" and email and email.opt_out_source == "Account"):
            return contact
        if contact.is_deleted:
            raise DeletedContactRefused(contact)
        # opt_out_reason is sent as null when there is none (the guide's wording: "may be null").
        changes: JSON = {"permission_to_send": "unsubscribed", "opt_out_reason": reason or None}
        body = build_put_body(contact, source, email_changes=changes, sub_resources=False)
        answer = await self.put_contact(contact_id, body, still_valid=still_valid)
        if answer.is_unsubscribed and "list_memberships" not in answer.raw:
            # The answer need not carry sub-resources (they come only when asked for with `include`, and a PUT
            # takes none), but unsubscribing takes a contact off every list (reference §9): without this the
            # cache would keep the lists it had, since an answer without them means "not read", not "none".
            return Contact({**answer.raw, "list_memberships": []})
        return answer

    async def remove_from_lists(self, contact_ids: str | Sequence[str], list_ids: Iterable[str],
                                **wait: Any) -> Activity:
        """Take contacts off some lists (reversible; not an opt-out) with one `remove_list_memberships`
        activity, waited for. Removing a membership twice is harmless, so a lost answer can be re-sent."""
        ids = [contact_ids] if isinstance(contact_ids, str) else list(contact_ids)
        activity = await self.remove_list_memberships(ids, list(list_ids))
        activity = await self.wait_for_activity(activity, **wait)
        if not activity.succeeded:  # per-contact errors (e.g. an id no longer in the account) do not undo the rest
            detail = "; ".join(activity.errors) or activity.state
            if activity.state in ("failed", "timed_out"):  # the service's trouble: removing again is harmless
                raise ServerError(f"Constant Contact's removal from the lists {activity.state.replace('_', ' ')} "
                                  f"({detail}); ccdesk tries again shortly. Nothing was lost.")
            raise ValidationError(f"Constant Contact could not finish removing the contacts from the lists "
                                  f"({detail}).")
        return activity

    async def request_resubscribe(self, contact_id: str, list_ids: Sequence[str]) -> JSON | None:
        """Ask Constant Contact to email the contact a confirmation; allowed once per contact. Not retried
        here (only a `throttled` 429, refused before anything was done, is): the caller checks the contact's
        state before ever sending it again."""
        if not list_ids:
            raise ValidationError("Choose at least one list the contact will rejoin when they confirm.")
        data = await self._send("PUT", f"contacts/resubscribe/{contact_id}", body={"list_ids": list(list_ids)},
                                idempotent=False)
        return data if isinstance(data, dict) else None
