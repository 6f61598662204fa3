"""The day's journals read back from D365 and compared per account with what we meant to post.

Every header under the day's key prefix is read (not only the keys we recorded), so a journal
D365 holds twice, or one a run sent but never recorded, shows too. General journals compare by
account display value with gl.journal_lines; customer payment journals per customer
("Cust US-024") with gl.customer_payments. Differences become recon.exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from hl_d365_assets.d365.client import D365Api, odata_literal
from hl_d365_assets.ledger.d365_journals import (
    CUSTOMER_PAYMENT_JOURNAL,
    GENERAL_JOURNAL,
    JournalKind,
    journal_lines,
)
from hl_d365_assets.ledger.exactly_once import Writer
from hl_d365_assets.ledger.journal_key import IdempotencyKey, day_prefix
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

ACCOUNT_OF: dict[JournalKind, Callable[[dict], str]] = {
    GENERAL_JOURNAL: lambda line: str(line["AccountDisplayValue"]),
    CUSTOMER_PAYMENT_JOURNAL: lambda line: (
        "Cust " + str(line["AccountDisplayValue"]).replace("\\-", "-")
    ),
}
"""How a D365 line names what gl.journal_lines / gl.customer_payments call its account."""


def read_back_day(writer: Writer, api: D365Api, day: date) -> dict[str, int]:
    """Compare D365's journals of ``day`` into recon.gl_vs_d365 and recon.exceptions; returns
    the counts read and the comparison's rows per status."""
    with writer() as conn:
        entities = [
            entity
            for (entity,) in conn.execute(
                sql_file("gl/list_legal_entities_of_day.sql"), {"day": day}
            ).fetchall()
        ]
    lines: list[tuple] = []
    duplicates: list[tuple] = []
    headers_read = 0
    not_ours = 0
    for entity in entities:
        for kind, account_of in ACCOUNT_OF.items():
            headers = api.read_all(
                kind.header_set,
                filter=f"Description eq {odata_literal(day_prefix(entity, day) + '*')}",
                legal_entity=entity,
            )
            headers_read += len(headers)
            by_key: dict[str, list[str]] = {}
            for header in headers:
                number = str(header["JournalBatchNumber"])
                try:
                    key = IdempotencyKey.parse(str(header["Description"]))
                except ValueError as foreign:
                    logger.warning("D365 journal %s (%s) is not ours: %s", number, entity, foreign)
                    not_ours += 1
                    continue
                by_key.setdefault(str(key).lower(), []).append(number)
                for line in journal_lines(api, kind, entity, number):
                    lines.append(
                        (
                            str(key.journal),
                            key.journal.currency,
                            number,
                            int(line["LineNumber"]),
                            account_of(line),
                            str(line["CurrencyCode"]),
                            Decimal(str(line.get("DebitAmount") or 0)),
                            Decimal(str(line.get("CreditAmount") or 0)),
                        )
                    )
            duplicates += [
                (key, len(numbers), ", ".join(sorted(numbers)))
                for key, numbers in by_key.items()
                if len(numbers) > 1
            ]
    with writer() as conn, transaction(conn):
        conn.execute(sql_file("recon/create_d365_read_lines.sql")).fetchall()
        if lines:
            conn.executemany("INSERT INTO d365_read_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
        conn.execute(sql_file("recon/create_d365_duplicate_keys.sql")).fetchall()
        if duplicates:
            conn.executemany("INSERT INTO d365_duplicate_keys VALUES (?, ?, ?)", duplicates)
        run_script(conn, sql_file("recon/compare_gl_vs_d365.sql"), {"day": day})
        run_script(conn, sql_file("recon/record_gl_exceptions.sql"), {"day": day})
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM recon.gl_vs_d365 WHERE business_date = $day GROUP BY 1",
                {"day": day},
            ).fetchall()
        )
        conn.execute("DROP TABLE d365_read_lines").fetchall()
        conn.execute("DROP TABLE d365_duplicate_keys").fetchall()
    return {
        "journals_read": headers_read,
        "lines_read": len(lines),
        "duplicate_keys": len(duplicates),
        **({"headers_not_ours": not_ours} if not_ours else {}),
        **statuses,
    }
