"""A journal D365 rejects as invalid is a dead letter: parked in ops.quarantine with D365's own
error body (what a person fixing the mapping needs to read), an ops.alerts row, and nothing
else of the day stops. Fixed and re-materialised, the day posts again; only what is missing
goes.

A journal whose entity set the service answers 404 for (it has no such set, or not at that
address) is parked the same way, with the service's answer: no data fix helps there, but the
day's record of it must not be lost, and posting it again once the service has the set sends
only what is missing."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import duckdb

from hl_d365_assets.d365.errors import D365Error, D365NotFoundError
from hl_d365_assets.pci import mask_card_numbers
from hl_d365_assets.warehouse import sql_file

if TYPE_CHECKING:
    from hl_d365_assets.ledger.plan import PlannedJournal

BODY_LIMIT = 4096
"""Characters of D365's error body kept in ops.quarantine."""


def dead_letter(
    conn: duckdb.DuckDBPyConnection, journal: PlannedJournal, rejected: D365Error
) -> None:
    key = str(journal.idempotency_key)
    kind = journal.journal_type
    # D365 may quote what it refused; mask the whole body before cutting it (a number straddling
    # the cut would otherwise keep digits in clear), then again after (the cut can shape one).
    body = mask_card_numbers(mask_card_numbers(rejected.body or str(rejected))[:BODY_LIMIT])
    conn.execute(
        sql_file("ops/quarantine_rejected_journal.sql"),
        {
            "day": journal.business_date,
            "entity": kind.line_set,
            # The journal's address in D365 stands where a landed record has its segment path.
            "path": f"d365://{journal.legal_entity}/{kind.header_set}/{key}",
            "line": int(getattr(rejected, "line_number", None) or 0),
            "detail": f"{_what(rejected)} journal {journal.journal_key} (key {key}, "
            f"{journal.line_count} lines): {mask_card_numbers(str(rejected))}",
            "body": body,
            "bytes": len(body.encode()),
        },
    ).fetchall()
    conn.execute(
        sql_file("ops/alert_rejected_journal.sql"),
        {
            "id": "ALR_D365_" + hashlib.sha256(key.encode()).hexdigest()[:16].upper(),
            "day": journal.business_date,
            "message": f"{_what(rejected)} journal {journal.journal_key}: {rejected}. "
            + (
                f"Check that the service offers {kind.header_set} and {kind.line_set}, then post "
                "the day again"
                if isinstance(rejected, D365NotFoundError)
                else "Fix the mapping, re-materialise the day and post again"
            )
            + "; only what is missing is posted.",
        },
    ).fetchall()


def _what(failure: D365Error) -> str:
    if isinstance(failure, D365NotFoundError):
        return f"D365 answered 404 for {failure.entity_set or 'an entity set'} of"
    return "D365 rejected"
