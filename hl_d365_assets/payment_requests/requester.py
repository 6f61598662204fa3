"""Confirmed D365 card orders into Heartland payment requests, each exactly once.

Which orders (sql/ops/stage_new_payment_requests.sql): Confirmed, not Canceled, whose method of
payment maps to ``link`` or ``stored_card`` in mappings/order_payment_methods.csv, and that
ops.payment_requests does not hold yet. A cancelled order gets none.

Exactly once, as the customer sync sends its creates (hl_d365_assets/mdm/sync.py) and the journals
are posted (hl_d365_assets/ledger/exactly_once.py), in short writer sessions (nothing holds the
warehouse across an HTTP call):

1. every new request is recorded (``recorded``) before anything is sent;
2. each one is stamped ``sent`` (attempts + 1) just before its call leaves;
3. GP's answer is recorded: ``created`` (the link, or a captured/authorised charge), ``declined``,
   ``failed`` (GP refused it as invalid), ``unknown`` (no answer after it may have reached GP),
   ``waiting`` (GP-API unavailable: it and every request after it wait for the next run).

A request found ``sent`` or ``unknown`` at the start of a run (a run killed mid-request, an answer
lost) is first looked up in GP by the order number: ``GET /links?reference=`` for a link,
``GET /transactions?reference=`` for a charge (amount, currency and stored method must match). What the
look-up finds is adopted; only a request GP does not hold is sent again. Every attempt carries the
same ``x-gp-idempotency`` key (the request id), so even a re-send that races a slow look-up is
answered ``40039`` with the id of what the first attempt made, which is then adopted: a crash or
a retry never makes a second link or a second charge. A declined charge is final for this
requester; a second charge of the order is a new decision (pay-status raises the exception).

The customer's e-mail comes from the golden record of the order's invoice account at sending time
and goes only into the GP request: the table, the log and the metadata hold it masked.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from hl_d365_assets.heartland.client import HeartlandApi
from hl_d365_assets.heartland.errors import (
    HeartlandApiError,
    HeartlandAuthenticationError,
    HeartlandDuplicateRequest,
    HeartlandOutcomeUnknown,
    HeartlandUnavailable,
)
from hl_d365_assets.payment_requests.gp_bodies import (
    NotMinorUnits,
    charge_body,
    link_body,
    minor_units,
)
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
Clock = Callable[[], datetime]

STATUSES = ("recorded", "sent", "created", "declined", "failed", "unknown", "waiting")
CHARGED = frozenset({"CAPTURED", "PREAUTHORIZED"})
"""Transaction statuses of a charge that took the money (or holds it)."""
LOOK_BACK = timedelta(days=1)
"""A charge is searched from the day before it was recorded (GP lists by UTC creation day)."""


@dataclass
class RequestReport:
    """Counts and order numbers only (what the asset's metadata and the CLI show)."""

    recorded: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """Status after this run -> requests handled."""
    adopted: int = 0
    """Requests whose result a look-up found (an earlier attempt had reached GP)."""
    planned: list[dict] = field(default_factory=list)
    """Dry run: what would be recorded or sent (order, kind, amount, masked e-mail)."""
    gp_unavailable: bool = False
    dry_run: bool = False
    held_for_risk: list[str] = field(default_factory=list)
    """Requests an unreviewed risk alert on the order's customer or card keeps back."""

    def metadata(self) -> dict[str, object]:
        return {
            "recorded": self.recorded,
            **{f"now_{status}": self.outcomes[status] for status in STATUSES[2:]},
            "adopted_after_look_up": self.adopted,
            "held_for_risk_review": len(self.held_for_risk),
            "gp_unavailable": self.gp_unavailable,
        }

    def lines(self) -> list[str]:
        if self.dry_run and not self.planned:
            return ["nothing to record or send"]
        if self.dry_run:
            return [
                f"would {p['action']} {p['legal_entity']}/{p['sales_order_number']}: {p['kind']} "
                f"{p['amount']} {p['currency']}"
                + (f" to {p['payer_email_masked']}" if p.get("payer_email_masked") else "")
                for p in self.planned
            ]
        return [f"{name}: {value}" for name, value in self.metadata().items()]


class _GpDown(Exception):
    """GP-API did not answer: stop sending this run."""


def request_payments(
    writer: Writer,
    api: HeartlandApi,
    mappings_dir: str,
    *,
    status_url: str | None,
    now: Clock = lambda: datetime.now(UTC),
    dry_run: bool = False,
) -> RequestReport:
    """Record the new requests, then send (or look up) every one without a result; see the
    module doc. ``dry_run``: record and send nothing, report what would be."""
    report = RequestReport(dry_run=dry_run)
    with writer() as conn:
        conn.execute("BEGIN TRANSACTION").fetchall()
        try:
            for name in ("order_payment_methods", "currencies"):
                run_script(conn, sql_file(f"ref/load_{name}.sql"), {"dir": str(mappings_dir)})
            run_script(conn, sql_file("ops/stage_new_payment_requests.sql"), {"now": now()})
            new = _rows(conn, "SELECT * FROM new_payment_requests")
            if dry_run:
                _stage_risk_holds(conn, report)
                pending = _rows(conn, sql_file("ops/select_payment_requests_to_send.sql"))
                report.planned = [{**r, "action": "record and send"} for r in new] + [
                    {**_public(r), "action": f"send ({r['status']})"} for r in pending
                ]
                conn.execute("ROLLBACK").fetchall()
                return report
            run_script(conn, sql_file("ops/record_payment_requests.sql"))
            _stage_risk_holds(conn, report)
            run_script(conn, sql_file("ops/hold_payment_requests_at_risk.sql"))
            pending = _rows(conn, sql_file("ops/select_payment_requests_to_send.sql"))
        except BaseException:
            conn.execute("ROLLBACK").fetchall()
            raise
        conn.execute("COMMIT").fetchall()
    report.recorded = len(new)
    for position, request in enumerate(pending):
        try:
            status = _send_once(writer, api, request, status_url, report, now)
        except _GpDown as down:
            report.gp_unavailable = True
            waiting = [r["request_id"] for r in pending[position:]]
            with writer() as conn, transaction(conn):
                conn.execute(
                    sql_file("ops/wait_payment_requests.sql"), {"ids": waiting, "error": str(down)}
                ).fetchall()
            report.outcomes["waiting"] += len(waiting)  # or still unknown, looked up next run
            logger.warning("GP-API unavailable; %d payment requests wait: %s", len(waiting), down)
            break
        report.outcomes[status] += 1
    return report


def _stage_risk_holds(conn: duckdb.DuckDBPyConnection, report: RequestReport) -> None:
    """Find the requests an unreviewed risk alert on the customer or card keeps back
    (docs/risk.md, "Prevention"): they are not sent this run and say why in last_error."""
    run_script(conn, sql_file("ops/stage_risk_held_payment_requests.sql"))
    report.held_for_risk = sorted(
        r["request_id"] for r in _rows(conn, "SELECT request_id FROM risk_held_payment_requests")
    )


def _send_once(
    writer: Writer,
    api: HeartlandApi,
    request: dict,
    status_url: str | None,
    report: RequestReport,
    now: Clock,
) -> str:
    """Settle one request; its status. Raises :class:`_GpDown` when GP-API is unavailable."""
    request_id = request["request_id"]
    if request["status"] in ("sent", "unknown"):
        found = _look_up(api, request)
        if found is not None:
            report.adopted += 1
            logger.info("%s: GP already holds %s; adopted", request_id, found["gp_id"])
            return _finish(writer, request_id, now, **found)
    if request["kind"] == "link" and not request["email"]:
        return _finish(
            writer,
            request_id,
            now,
            status="waiting",
            last_error="no e-mail in the golden customer record of "
            f"{request['legal_entity']}/{request['customer_account']} yet",
            answered=False,
        )
    try:
        payment_method_id = request["payment_method_id"]
        if request["kind"] == "stored_card" and payment_method_id is None:
            payment_method_id = _stored_method(api, request)
            if payment_method_id is None:
                return _finish(
                    writer,
                    request_id,
                    now,
                    status="failed",
                    last_error="no ACTIVE stored payment method in GP with reference "
                    f"{request['legal_entity']}/{request['customer_account']}",
                )
        if request["kind"] == "link":
            body = link_body(request, request["email"], status_url)
        else:
            body = charge_body(request, payment_method_id)
    except NotMinorUnits as bad:
        return _finish(writer, request_id, now, status="failed", last_error=str(bad))
    except HeartlandUnavailable as down:
        raise _GpDown(str(down)) from None
    _mark_sent(writer, request, payment_method_id, now)
    try:
        if request["kind"] == "link":
            answer = api.create_link(body, idempotency_key=request_id)
        else:
            answer = api.charge_stored_payment_method(body, idempotency_key=request_id)
    except HeartlandDuplicateRequest as seen:
        found = _look_up(api, {**request, "payment_method_id": payment_method_id}, seen.resource_id)
        if found is None:
            return _finish(writer, request_id, now, status="unknown", last_error=str(seen))
        report.adopted += 1
        return _finish(writer, request_id, now, **found)
    except HeartlandOutcomeUnknown as unknown:
        _finish(writer, request_id, now, status="unknown", last_error=str(unknown), answered=False)
        found = _look_up_quietly(api, {**request, "payment_method_id": payment_method_id})
        if found is None:
            return "unknown"
        report.adopted += 1
        return _finish(writer, request_id, now, **found)
    except HeartlandUnavailable as down:
        _finish(writer, request_id, now, status="waiting", last_error=str(down), answered=False)
        raise _GpDown(str(down)) from None
    except HeartlandAuthenticationError as refused:
        # Our credentials, not this request: it waits, and the run fails for someone to look.
        _finish(writer, request_id, now, status="waiting", last_error=str(refused), answered=False)
        raise
    except HeartlandApiError as refused:
        logger.warning("%s refused by GP: %s", request_id, refused)
        return _finish(writer, request_id, now, status="failed", last_error=str(refused))
    return _finish(writer, request_id, now, **_result(request["kind"], answer))


def _look_up(api: HeartlandApi, request: dict, resource_id: str | None = None) -> dict | None:
    """What an earlier attempt of ``request`` made in GP, as finish fields; ``None`` if nothing."""
    order = request["sales_order_number"]
    try:
        amount = minor_units(request["amount"], request["minor_unit_exponent"])
    except NotMinorUnits:
        return None  # such a request never left (it failed before its body was made)
    try:
        if request["kind"] == "link":
            if resource_id and resource_id.startswith("LNK_"):
                return _result("link", api.get_link(resource_id))
            links = [
                link
                for link in api.list_links(reference=order)
                if (link.get("transactions") or {}).get("currency") == request["currency"]
                and (link.get("transactions") or {}).get("amount") == amount
            ]
            return _result("link", _newest(links, order)) if links else None
        if resource_id and resource_id.startswith("TRN_"):
            return _result("stored_card", api.get_transaction(resource_id))
        if request["payment_method_id"] is None:
            return None  # the charge never left: the stored method was not even looked up
        recorded = request["recorded_at"].astimezone(UTC).date()
        today = datetime.now(UTC).date()
        charges = [
            row
            for row in api.find_transactions(order, recorded - LOOK_BACK, today + LOOK_BACK)
            if (row.get("payment_method") or {}).get("id") == request["payment_method_id"]
            and row.get("currency") == request["currency"]
            and row.get("amount") == amount
        ]
        return _result("stored_card", _newest(charges, order)) if charges else None
    except HeartlandUnavailable as down:
        raise _GpDown(str(down)) from None


def _look_up_quietly(api: HeartlandApi, request: dict) -> dict | None:
    """The look-up right after an unknown outcome: if it fails too, the next run looks again."""
    try:
        return _look_up(api, request)
    except (_GpDown, HeartlandApiError) as failed:
        logger.warning(
            "%s: look-up after an unknown outcome failed: %s", request["request_id"], failed
        )
        return None


def _newest(resources: list[dict], order: str) -> dict:
    if len(resources) > 1:
        logger.warning(
            "%d GP resources carry reference %s; adopting the newest", len(resources), order
        )
    return max(resources, key=lambda resource: (resource.get("time_created") or "", resource["id"]))


def _stored_method(api: HeartlandApi, request: dict) -> str | None:
    """The customer's ACTIVE stored card: its GP reference is the D365 customer key (we set it
    when the card is saved on the hosted page; docs/order-payments.md)."""
    methods = api.list_payment_methods(
        reference=f"{request['legal_entity']}/{request['customer_account']}", status="ACTIVE"
    )
    if not methods:
        return None
    return _newest(methods, request["customer_account"])["id"]


def _result(kind: str, resource: dict) -> dict:
    """Finish fields of what GP answered (or a look-up found)."""
    if kind == "link":
        return {
            "status": "created",
            "gp_id": resource["id"],
            "link_url": resource.get("url"),
            "last_error": None,
        }
    status = resource.get("status")
    declined = status not in CHARGED
    return {
        "status": "declined" if declined else "created",
        "gp_id": resource["id"],
        "payment_method_id": (resource.get("payment_method") or {}).get("id"),
        "last_error": f"GP answered {status}" if declined else None,
    }


def _mark_sent(writer: Writer, request: dict, payment_method_id: str | None, now: Clock) -> None:
    with writer() as conn, transaction(conn):
        conn.execute(
            sql_file("ops/mark_payment_request_sent.sql"),
            {
                "request_id": request["request_id"],
                "now": now(),
                "sending": 1,
                "payment_method_id": payment_method_id,
                "payer_email_masked": request["payer_email_masked"],
            },
        ).fetchall()


def _finish(
    writer: Writer,
    request_id: str,
    now: Clock,
    *,
    status: str,
    gp_id: str | None = None,
    link_url: str | None = None,
    payment_method_id: str | None = None,
    last_error: str | None = None,
    answered: bool = True,
) -> str:
    with writer() as conn, transaction(conn):
        conn.execute(
            sql_file("ops/finish_payment_request.sql"),
            {
                "request_id": request_id,
                "status": status,
                "gp_id": gp_id,
                "link_url": link_url,
                "payment_method_id": payment_method_id,
                "last_error": last_error,
                "answered": answered,
                "now": now(),
            },
        ).fetchall()
    return status


def _public(request: dict) -> dict:
    """A pending request without its clear e-mail."""
    return {name: value for name, value in request.items() if name != "email"}


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = conn.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
