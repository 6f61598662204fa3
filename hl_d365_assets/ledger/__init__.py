"""The ledger: the day's journals built, planned and posted to D365 exactly once, then read back.

- ``journals``: building gl.journal_lines and evaluating the blocking checks (SQL in sql/gl/).
- ``journal_key``: the journal's warehouse key and its D365 idempotency key, as value types.
- ``plan``: what to send for a day (journals, adjustments, customer payments) and what is held.
- ``d365_journals``: a journal's header and lines in D365, created once, read back by number.
- ``exactly_once``: look up by key, adopt / add lines / create, and the attempt bookkeeping.
- ``dead_letters``: a journal D365 rejects, parked in ops.quarantine with an alert.
- ``read_back``: the day's journals read back from D365 and compared (recon.gl_vs_d365).
"""
