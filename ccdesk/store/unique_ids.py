"""The contact-id index built at the end of a first full read that ran without it (store/full_read.py).

Pages were inserted without looking their contacts up, so a contact may be stored more than once: a page that
repeats one of an earlier page (the service's paging can, when contacts change during the read), a group stored
again after the process storing it died, a contact an action's answer stored before its page came. The index is
built as is when no contact repeats (the usual case: one sorted pass); otherwise the newest copy of each repeated
contact is kept, as a page-by-page read would have (an older snapshot never replaces a newer one: the later
`updated_at`, then the later `email_updated_at`, then the copy stored last), with the latest fetch time of its
copies, and the others are deleted with their memberships, JSON and search rows (the delete triggers and foreign
keys keep the facet counts and the search index right).
"""

from __future__ import annotations

import sqlite3

from ccdesk.store.contact_id_key import CONTACT_ID_INDEX

_REPEATS = """
CREATE TEMP TABLE repeated_contacts AS
SELECT id, keep, fetched FROM (
    SELECT id,
           row_number() OVER (PARTITION BY contact_id
                              ORDER BY updated_at DESC, email_updated_at DESC, id DESC) = 1 AS keep,
           max(fetched_at) OVER (PARTITION BY contact_id) AS fetched,
           count(*) OVER (PARTITION BY contact_id) AS copies
    FROM contacts
) WHERE copies > 1"""


def build(conn: sqlite3.Connection) -> int:
    """Build the index, dropping repeated copies first if there are any; returns how many copies were dropped.
    Call inside a transaction."""
    try:
        conn.execute(CONTACT_ID_INDEX)
        return 0
    except sqlite3.IntegrityError:  # a contact is stored twice (the statement alone was rolled back)
        pass
    conn.execute(_REPEATS)
    try:
        conn.execute("UPDATE contacts SET fetched_at = (SELECT fetched FROM temp.repeated_contacts r "
                     "WHERE r.id = contacts.id) WHERE id IN (SELECT id FROM temp.repeated_contacts WHERE keep)")
        dropped = conn.execute("DELETE FROM contacts WHERE id IN "
                               "(SELECT id FROM temp.repeated_contacts WHERE NOT keep)").rowcount
    finally:
        conn.execute("DROP TABLE temp.repeated_contacts")
    conn.execute(CONTACT_ID_INDEX)
    return dropped
