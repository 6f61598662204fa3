"""The warehouse steps of order payments: recon.order_payments and its exceptions, in the
caller's transaction (canonical.order_payments is built like every canonical table, by
``sql/canonical/insert_order_payments.sql`` through the canonical asset factory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

KINDS = (
    "payment_for_unknown_order",
    "order_payment_over",
    "order_payment_under",
    "order_payment_declined",
    "order_payment_link_expired",
)
"""The recon.exceptions kinds ``sql/recon/record_order_payment_exceptions.sql`` owns (and
``sql/recon/record_exceptions.sql`` leaves alone)."""


@dataclass(frozen=True)
class OrderPaymentCounts:
    by_status: dict[str, int]
    open_exceptions_by_kind: dict[str, int]
    misaligned: int
    """Orders in recon.order_status_alignment now."""


def reconcile_order_payments(
    conn: duckdb.DuckDBPyConnection, first: date, last: date, run_id: str
) -> OrderPaymentCounts:
    window = {"first": first, "last": last}
    run_script(conn, sql_file("recon/reconcile_order_payments.sql"), window)
    run_script(
        conn,
        sql_file("recon/record_order_payment_exceptions.sql"),
        {"last": last, "run_id": run_id, "kinds": list(KINDS)},
    )
    by_status = dict(
        conn.execute(sql_file("recon/count_order_payments_by_status.sql"), window).fetchall()
    )
    open_by_kind = dict(
        conn.execute(
            sql_file("recon/count_open_order_payment_exceptions.sql"), {"kinds": list(KINDS)}
        ).fetchall()
    )
    [(misaligned,)] = conn.execute(
        sql_file("recon/count_order_status_misalignments.sql")
    ).fetchall()
    return OrderPaymentCounts(by_status, open_by_kind, misaligned)
