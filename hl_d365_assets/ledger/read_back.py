"""The day's journals read back from D365 and compared per account with what we meant to post.

Two looks, merged by journal batch number: every header under the day's key prefix (D365's
``eq '<prefix>*'`` wildcard, shared/reference/d365-odata.md section 4), so a journal D365 holds
twice, or one a run sent but never recorded, shows too; and every key gl.postings recorded for
the day, by exact ``eq``, so a service without the wildcard (which answers the prefix with
nothing, or refuses it) still reads back everything we sent, and says that it could not list.
General journals compare by account display value with gl.journal_lines; customer payment
journals per customer ("Cust US-024") with gl.customer_payments. Differences become
recon.exceptions. A kind of journal whose entity set the service lacks (404) is reported as
unreadable and the other kinds are still read; what we posted of it shows as missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from hl_d365_assets.d365.client import D365Api, odata_literal
from hl_d365_assets.d365.errors import D365NotFoundError, D365ValidationError
from hl_d365_assets.ledger.d365_journals import (
    CUSTOMER_PAYMENT_JOURNAL,
    GENERAL_JOURNAL,
    JournalKind,
    headers_with_key,
    journal_lines,
)
from hl_d365_assets.ledger.exactly_once import Writer
from hl_d365_assets.ledger.journal_key import (
    CUSTOMER_PAYMENTS_TAG,
    IdempotencyKey,
    day_prefix,
)
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
        sent = conn.execute(sql_file("gl/list_sent_keys_of_day.sql"), {"day": day}).fetchall()
    lines: list[tuple] = []
    duplicates: list[tuple] = []
    headers_read = 0
    not_ours = 0
    unreadable: list[str] = []
    prefix_not_honoured = 0
    for entity in sorted(set(entities) | {entity for entity, _ in sent}):
        for kind, account_of in ACCOUNT_OF.items():
            keys = [k for e, k in sent if e == entity and _kind_of(k) is kind]
            try:
                listed = _listed_by_prefix(api, kind, entity, day)
                exact = [
                    h
                    for key in keys
                    for h in headers_with_key(api, kind, entity, "Description", key)
                ]
            except D365NotFoundError as missing:
                logger.warning("cannot read back %s of %s: %s", kind.header_set, entity, missing)
                unreadable.append(f"{entity} {kind.header_set}")
                continue
            listed_numbers = {str(h["JournalBatchNumber"]) for h in listed or []}
            if listed is None or any(
                str(h["JournalBatchNumber"]) not in listed_numbers for h in exact
            ):
                logger.warning(
                    "%s of %s: the service does not list headers by the prefix %r (D365's "
                    "'*' wildcard); read back by the %d keys gl.postings recorded only",
                    kind.header_set,
                    entity,
                    day_prefix(entity, day),
                    len(keys),
                )
                prefix_not_honoured += 1
            headers = {str(h["JournalBatchNumber"]): h for h in [*(listed or []), *exact]}
            headers_read += len(headers)
            by_key: dict[str, list[str]] = {}
            for number, header in headers.items():
                try:
                    key = IdempotencyKey.parse(str(header["Description"]))
                except ValueError as foreign:
                    logger.warning("D365 journal %s (%s) is not ours: %s", number, entity, foreign)
                    not_ours += 1
                    continue
                if key.journal.business_date != day or key.journal.legal_entity != entity:
                    # A service that ignores the filter answers other days' headers too.
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
        **({"unreadable_entity_sets": len(unreadable)} if unreadable else {}),
        **({"prefix_listing_not_honoured": prefix_not_honoured} if prefix_not_honoured else {}),
        **statuses,
    }


def _listed_by_prefix(api: D365Api, kind: JournalKind, entity: str, day: date) -> list[dict] | None:
    """The headers whose Description starts with the day's prefix, by D365's ``eq '…*'``
    wildcard; ``None`` when the service refuses the filter. A service that compares the text
    literally answers nothing, which the caller notices against the exact look-ups."""
    prefix = day_prefix(entity, day)
    try:
        rows = api.read_all(
            kind.header_set,
            filter=f"Description eq {odata_literal(prefix + '*')}",
            legal_entity=entity,
        )
    except D365ValidationError as refused:
        logger.warning("%s refused the prefix filter: %s", kind.header_set, refused)
        return None
    return [
        row for row in rows if str(row.get("Description", "")).lower().startswith(prefix.lower())
    ]


def _kind_of(key: str) -> JournalKind:
    try:
        tag = IdempotencyKey.parse(key).tag
    except ValueError:
        return GENERAL_JOURNAL
    return CUSTOMER_PAYMENT_JOURNAL if tag == CUSTOMER_PAYMENTS_TAG else GENERAL_JOURNAL
