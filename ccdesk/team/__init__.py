"""Team mode: several desks share one copy of the account, one outbox, one journal and one request budget in the
organisation's PostgreSQL (docs/team.md). The local SQLite store stays each desk's replica, so search is local and
a desk cut off from the database keeps working. Nothing here imports Qt; no Constant Contact token ever goes to
the database."""
