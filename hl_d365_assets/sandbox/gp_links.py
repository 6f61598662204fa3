"""The GP-API simulator's payment side: payment links, stored payment methods and charges.

:class:`PaymentDesk` answers, for :class:`~hl_d365_assets.sandbox.heartland_simulator.
HeartlandSimulator`, the requests a D365 order needs to collect its money through Heartland
(shared/reference/gp-api-orders-customers.md):

- ``POST /ucp/links`` (type ``PAYMENT``), ``GET /ucp/links/{id}``, ``GET /ucp/links`` (filters
  ``reference``, ``status``, ``usage_mode``, ``name``, ``amount``, ``currency``, time range,
  paging; array key ``links``), ``PATCH /ucp/links/{id}`` (``usage_mode``, ``type`` and
  ``usage_limit`` required, as the PHP tests ``testEditPayByLink_Missing*`` expect);
- ``GET /ucp/payment-methods/{id}`` and ``GET /ucp/payment-methods`` (array key
  ``payment_methods``), seeded with :data:`SEEDED_PAYMENT_METHODS` for a few sandbox D365
  customers. A stored card shows ``card.number_last4`` as ``xxxxxxxxxxxx1111``, never a number;
- ``POST /ucp/transactions`` charging a stored method (``payment_method.id``, ``channel CNP``,
  ``initiator``, ``stored_credential``) or paying a link (``link.id`` with a stored method).
  A body with card data is refused: the project never sends a card number, so the simulator takes
  none;
- ``x-gp-idempotency`` on every POST and PATCH: a key seen before answers ``409
  DUPLICATE_ACTION`` / ``40039`` "Idempotency Key seen before: id=<resource>, status=<status>",
  never the first answer again. The code and text are the PHP ``CreditCardNotPresentTest``'s;
  the 409, ``DUPLICATE_ACTION`` and the ``id=…, status=…`` tail are what the Java and .NET SDK
  tests assert (``Status Code: 409 - Idempotency Key seen before: id=TRN_…``). A request GP
  refuses as invalid does not use up its key (guess: no source shows it either way).

Every transaction created here is also added to the simulator's ``GET /ucp/transactions``
listing of its UTC day (report-row shape, as the landed ones), so the daily pull lands it and the
customer payment journal (gl.customer_payments) sees it. It carries the merchant id and
``site_reference`` of the first store of mappings/stores.csv trading in its currency, as the
sandbox's phone orders do (order_payments.py).

The simulator's own control paths, which GP does not have (under ``/sandbox/``, no token):

- ``POST /sandbox/links/{id}/pay`` acts as the customer paying the link on the hosted page: it
  creates a ``CAPTURED`` sale (or ``DECLINED`` with ``{"decline": true}``; ``{"amount": "…"}``
  pays another amount, for partial and over-payments) whose ``reference`` and
  ``link_data.reference`` carry the link's reference, and POSTs it, signed with ``X-GP-Signature``
  (SHA-512 of the compact body + app key), to the link's ``notifications.status_url``;
- ``POST /sandbox/payment-methods/{id}/decline`` makes the next ``{"times": n}`` charges of a
  stored method decline (``null``: every one);
- ``POST /sandbox/clock`` with ``{"advance_seconds": n}`` moves the links' clock on (expiry);
- ``POST /sandbox/batches/close`` is the end of the trading day: GP closes every open batch the
  captures above joined (most merchants are on auto-close; GP-API's own close is
  ``POST /batches/{id}``, gp-api.md §3) with its brand breakdown, the fees of the sandbox's price
  list (card_brands.py) and the deposit, and the batch listing serves it from then on.

Guesses, UNCONFIRMED by any source (docs/sandbox-departures.md lists them):

- a link whose ``usage_count`` reaches its ``usage_limit`` becomes ``PAID`` (not ``CLOSED``);
- a link is ``EXPIRED`` once its ``expiration_date`` has passed on the simulator's clock, seen on
  the next read; GP's expire endpoint (permission ``LNK_POST_Expire``) has no known path, so none
  is served, and ``PATCH`` with ``status`` ``INACTIVE`` or ``CLOSED`` is accepted;
- the ``status_url`` notification body is the transaction resource as ``GET /transactions/{id}``
  gives it, plus ``link_data {id, reference}``; sent once, not retried;
- a ``PAYMENT`` link takes ``payer.email`` (the hosted-page variant's field) and GP e-mails the
  link to it; the simulator keeps the address only to count the e-mails it "sent" and never
  echoes it;
- a declined sale answers 200 with ``status DECLINED`` and ``payment_method.result`` ``101``;
- a captured sale joins its merchant's open batch of the UTC day (``batch_id``); the batch is
  closed only when asked (``/sandbox/batches/close``), the closed batch shaped as the generator's
  (amounts in minor units, ``deposit`` ``FUNDED`` at close), and the sales keep their ``CAPTURED``
  status (GP's ``BATCHED`` is not reported by any listing we pull).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import string
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS_BY_NAME
from hl_d365_assets.sandbox.gp_answers import (
    Refused,
    compact,
    in_range,
    invalid,
    json_body,
    missing,
    page,
    refuse_unexpected,
)
from hl_d365_assets.sandbox.stored_cards import SEEDED_PAYMENT_METHODS, SeededCard
from hl_d365_assets.sandbox.stores import load_stores

LINKS_PATH = "/ucp/links"
PAYMENT_METHODS_PATH = "/ucp/payment-methods"
TRANSACTIONS_PATH = "/ucp/transactions"
CONTROL_PREFIX = "/sandbox/"

LINK_TYPES = frozenset({"PAYMENT"})
"""Only payment links are simulated (not HOSTED_PAYMENT_PAGE, THIRD_PARTY_PAGE, ...)."""
USAGE_MODES = frozenset({"SINGLE", "MULTIPLE"})
LINK_STATUSES = frozenset({"ACTIVE", "INACTIVE", "CLOSED", "EXPIRED", "PAID"})
CAPTURE_MODES = {"AUTO": "CAPTURED", "LATER": "PREAUTHORIZED", "MULTIPLE": "PREAUTHORIZED"}
INITIATORS = frozenset({"MERCHANT", "PAYER"})
STORED_CREDENTIAL = {
    "model": frozenset({"ONEOFF", "INSTALLMENT", "RECURRING", "UNSCHEDULED", "SUBSCRIPTION",
                        "MAINTAIN_PAYMENT_METHOD", "ADD_PAYMENT_METHOD",
                        "SPLIT_OR_DELAYED_SHIPMENT", "TOP_UP", "MAIL_ORDER", "TELEPHONE_ORDER",
                        "BILLING_AGREEMENT"}),
    "reason": frozenset({"", "INCREMENTAL", "RESUBMISSION", "REAUTHORIZATION", "DELAYED",
                         "NO_SHOW"}),
    "sequence": frozenset({"FIRST", "SUBSEQUENT", "LAST"}),
}  # fmt: skip
"""The PHP SDK's stored-credential enums (reference, section 3)."""
EXPIRATION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MINOR_UNITS = re.compile(r"^[1-9][0-9]{0,14}$")
LIST_PAGING = frozenset(
    {"page", "page_size", "order", "order_by", "from_time_created", "to_time_created"}
)
LINK_FILTERS = frozenset(
    {"status", "usage_mode", "name", "amount", "description", "reference", "country", "currency",
     "expiration_date"}
)  # fmt: skip
PAYMENT_METHOD_FILTERS = frozenset({"number_last4", "reference", "status", "id"})
DECLINE_RESULT = "101"
_ALPHANUMERIC = string.ascii_letters + string.digits


Notify = Callable[[str, bytes, dict[str, str]], int]


def post_notification(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Deliver one notification over HTTP; the receiver's status code."""
    return httpx.post(url, content=body, headers=headers, timeout=10.0).status_code


@dataclass
class Notification:
    """One ``status_url`` delivery: what tests and the demo look at (never the body)."""

    url: str
    transaction_id: str
    status: int | None
    error: str | None = None


@dataclass
class _Site:
    merchant_id: str
    merchant_name: str
    store_id: str


@dataclass
class PaymentDesk:
    """Links, stored methods and charges of one simulated GP account."""

    app_id: str
    app_name: str
    app_key: str
    account_id: str
    account_name: str
    clock: Callable[[], float]
    on_transaction: Callable[[dict, dict], None]
    """Called with (create-response object, report row) of every transaction created."""
    on_batch: Callable[[dict], None] = lambda batch: None
    """Called with every batch the end-of-day close closes."""
    notify: Notify = post_notification
    state_path: Path | None = None
    """Where the desk keeps its state across restarts (JSON, rewritten after every change);
    ``None``: in memory only. Payers' e-mails are never written."""
    clock_offset_seconds: float = 0.0
    links: dict[str, dict] = field(default_factory=dict)
    payment_methods: dict[str, dict] = field(default_factory=dict)
    transactions: dict[str, dict] = field(default_factory=dict)
    batches: dict[str, dict] = field(default_factory=dict)
    """Closed batches by id."""
    notifications: list[Notification] = field(default_factory=list)
    emails_sent: int = 0
    _keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    _declining: dict[str, int | None] = field(default_factory=dict)
    _cards: dict[str, SeededCard] = field(default_factory=dict)
    _sites: dict[str, _Site] = field(default_factory=dict)
    _payers: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        for store in sorted(load_stores(), key=lambda store: store.store_id):
            self._sites.setdefault(
                store.currency, _Site(store.merchant_id, store.store_name, store.store_id)
            )
        for card in SEEDED_PAYMENT_METHODS:
            self.seed(card)
        if self.state_path is not None and self.state_path.exists():
            self._restore(json.loads(self.state_path.read_text(encoding="utf-8")))

    def _restore(self, state: dict) -> None:
        self.links = state["links"]
        self.payment_methods.update(state["payment_methods"])
        self.transactions = state["transactions"]
        self._keys = {key: tuple(value) for key, value in state["keys"].items()}
        self._declining = state["declining"]
        self.clock_offset_seconds = state["clock_offset_seconds"]
        self.emails_sent = state["emails_sent"]
        self.batches = state.get("batches", {})
        for batch in self.batches.values():
            self.on_batch(batch)
        for transaction in self.transactions.values():
            row = {**transaction, "action_create_id": transaction["action"]["id"]}
            del row["action"]
            self.on_transaction(transaction, row)

    def _save(self) -> None:
        """Write the state (under the lock) to a temporary file renamed into place."""
        if self.state_path is None:
            return
        state = {
            "links": self.links,
            "payment_methods": self.payment_methods,
            "transactions": self.transactions,
            "batches": self.batches,
            "keys": self._keys,
            "declining": self._declining,
            "clock_offset_seconds": self.clock_offset_seconds,
            "emails_sent": self.emails_sent,
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_name(f".{self.state_path.name}.tmp")
        temporary.write_bytes(compact(state))
        os.replace(temporary, self.state_path)

    @property
    def seen_keys(self) -> frozenset[str]:
        """The ``x-gp-idempotency`` keys of the writes applied so far."""
        with self._lock:
            return frozenset(self._keys)

    # -- set-up and control -----------------------------------------------------------------

    def seed(self, card: SeededCard) -> str:
        """Store ``card`` as an ACTIVE payment method; its ``PMT_`` id (stable per reference)."""
        pmt = "PMT_" + hashlib.sha256(f"{self.app_id}:{card.reference}".encode()).hexdigest()[:32]
        with self._lock:
            self.payment_methods[pmt] = {
                "id": pmt,
                "time_created": self._time_text(),
                "status": "ACTIVE",
                "reference": card.reference,
                "name": card.name,
                "card": {
                    "brand": card.brand,
                    "number_last4": "x" * 12 + card.last4,
                    "expiry_month": card.expiry_month,
                    "expiry_year": card.expiry_year,
                },
            }
            self._cards[pmt] = card
            if card.declines:
                self._declining[pmt] = None
        return pmt

    def payment_method_of(self, reference: str) -> str:
        """The stored method whose reference is ``reference`` (tests, the demo)."""
        with self._lock:
            return next(p for p, m in self.payment_methods.items() if m["reference"] == reference)

    def decline(self, payment_method_id: str, times: int | None = 1) -> None:
        """The next ``times`` charges of the method are declined (``None``: every one)."""
        with self._lock:
            if payment_method_id not in self.payment_methods:
                raise KeyError(payment_method_id)
            self._declining[payment_method_id] = times
            self._save()

    def advance_clock(self, seconds: float) -> None:
        """Move the links' clock on (``expiration_date`` passes); tokens keep the simulator's."""
        with self._lock:
            self.clock_offset_seconds += seconds
            self._save()

    def close_batches(self) -> list[dict]:
        """The end of the trading day: every open batch of a captured sale closed, as GP's
        auto-close does; the closed batches (already closed ones are not closed again)."""
        with self._lock:
            members: dict[str, list[dict]] = {}
            for transaction in self.transactions.values():
                batch_id = transaction["batch_id"]
                if (
                    transaction["status"] == "CAPTURED"
                    and batch_id
                    and batch_id not in self.batches
                ):
                    members.setdefault(batch_id, []).append(transaction)
            closed = [
                _closed_batch(batch_id, sales, self._time_text())
                for batch_id, sales in sorted(members.items())
            ]
            for batch in closed:
                self.batches[batch["id"]] = batch
            self._save()
        for batch in closed:
            self.on_batch(batch)
        return closed

    def pay_link(
        self, link_id: str, *, amount: str | None = None, decline: bool = False
    ) -> tuple[dict, Notification | None]:
        """The customer pays ``link_id`` on the hosted page: see the module doc."""
        with self._lock:
            link = self._link(link_id, f"/sandbox/links/{link_id}/pay")
            if link["status"] != "ACTIVE":
                raise Refused(
                    400, "INVALID_REQUEST_DATA", "40213", f"Link {link_id} is {link['status']}"
                )
            paid = amount or link["transactions"]["amount"]
            if not MINOR_UNITS.match(paid):
                raise invalid("amount")
            transaction = self._transaction(
                amount=paid,
                currency=link["transactions"]["currency"],
                reference=link["reference"] or "",
                description=link.get("description") or "",
                card_id=None,  # a card typed on the hosted page: no token
                declined=decline,
                capture_mode="AUTO",
                entry_mode="ECOM",
                extra={"link_data": {"id": link_id, "reference": link["reference"]}},
            )
            self._link_paid(link, transaction)
            self._save()
            status_url = (link.get("notifications") or {}).get("status_url")
        notification = self._notify(status_url, transaction) if status_url else None
        return transaction, notification

    # -- the GP-API requests ----------------------------------------------------------------

    def serves(self, method: str, path: str) -> bool:
        resource = path.split("/")[2] if path.count("/") >= 2 else ""
        if path.startswith("/ucp/") and resource in ("links", "payment-methods"):
            return True
        return path == TRANSACTIONS_PATH and method == "POST"

    def answer(
        self, method: str, path: str, query: str, body: bytes, environ: dict
    ) -> tuple[int, bytes]:
        """Status and body of a GP-API request this desk serves (``serves`` said so)."""
        try:
            key = environ.get("HTTP_X_GP_IDEMPOTENCY") or None
            params = {name: values[-1] for name, values in parse_qs(query).items()}
            with self._lock:
                if method in ("POST", "PATCH") and key is not None and key in self._keys:
                    kind, resource_id = self._keys[key]
                    raise Refused(
                        409,
                        "DUPLICATE_ACTION",
                        "40039",
                        f"Idempotency Key seen before: id={resource_id}, "
                        f"status={self._status_of(kind, resource_id)}",
                    )
                status, resource, created = self._route(method, path, params, body, environ)
                if created is not None and key is not None:
                    self._keys[key] = created
                if method in ("POST", "PATCH"):
                    self._save()
            return status, compact(resource)
        except Refused as refused:
            return refused.status, compact(refused.body)

    def control(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """The simulator's own paths (module doc)."""
        try:
            request = json_body(body, required=False)
            parts = path[len(CONTROL_PREFIX) :].strip("/").split("/")
            if method == "POST" and parts == ["batches", "close"]:
                return 200, compact({"batches": self.close_batches()})
            if method == "POST" and parts == ["clock"]:
                self.advance_clock(float(request.get("advance_seconds", 0)))
                return 200, compact({"clock_offset_seconds": self.clock_offset_seconds})
            if method == "POST" and len(parts) == 3 and parts[0] == "links" and parts[2] == "pay":
                transaction, notification = self.pay_link(
                    parts[1], amount=request.get("amount"), decline=bool(request.get("decline"))
                )
                delivered = None
                if notification is not None:
                    delivered = {
                        "status_url": notification.url,
                        "status": notification.status,
                        "error": notification.error,
                    }
                return 200, compact({"transaction": transaction, "notification": delivered})
            if (
                method == "POST"
                and len(parts) == 3
                and parts[0] == "payment-methods"
                and parts[2] == "decline"
            ):
                try:
                    self.decline(parts[1], request.get("times", 1))
                except KeyError:
                    raise _payment_method_not_found(parts[1]) from None
                return 200, compact({"id": parts[1], "declining": request.get("times", 1)})
            raise Refused(404, "RESOURCE_NOT_FOUND", "40118", f"Resource not found at this {path}")
        except Refused as refused:
            return refused.status, compact(refused.body)

    # -- routing ----------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, params: dict[str, str], body: bytes, environ: dict
    ) -> tuple[int, dict, tuple[str, str] | None]:
        if path == LINKS_PATH and method == "POST":
            link = self._create_link(json_body(body), environ)
            return 200, link, ("link", link["id"])
        if path == LINKS_PATH and method == "GET":
            return 200, self._list_links(params), None
        if path.startswith(LINKS_PATH + "/") and path.count("/") == 3:
            link_id = path.rsplit("/", 1)[1]
            if method == "GET":
                return 200, self._link_answer(self._link(link_id, path), None), None
            if method == "PATCH":
                link = self._edit_link(self._link(link_id, path), json_body(body))
                return 200, link, ("link", link_id)
        if path == PAYMENT_METHODS_PATH and method == "GET":
            return 200, self._list_payment_methods(params), None
        if path.startswith(PAYMENT_METHODS_PATH + "/") and path.count("/") == 3 and method == "GET":
            pmt = path.rsplit("/", 1)[1]
            if pmt not in self.payment_methods:
                raise _payment_method_not_found(pmt)
            return 200, self.payment_methods[pmt], None
        if path == TRANSACTIONS_PATH and method == "POST":
            transaction = self._charge(json_body(body))
            return 200, transaction, ("transaction", transaction["id"])
        raise Refused(404, "RESOURCE_NOT_FOUND", "40118", f"Resource not found at this {path}")

    def _status_of(self, kind: str, resource_id: str) -> str:
        if kind == "link":
            return self._refreshed(self.links[resource_id])["status"]
        return self.transactions[resource_id]["status"]

    # -- links ------------------------------------------------------------------------------

    def _create_link(self, request: dict, environ: dict) -> dict:
        for name in ("type", "usage_mode", "usage_limit", "reference", "transactions"):
            if request.get(name) in (None, ""):
                raise missing(name)
        if request["type"] not in LINK_TYPES:
            raise invalid("type")
        usage = self._usage(request)
        transactions = request["transactions"]
        if not isinstance(transactions, dict):
            raise invalid("transactions")
        for name in ("amount", "currency"):
            if transactions.get(name) in (None, ""):
                raise missing(f"transactions.{name}")
        if not isinstance(transactions["amount"], str) or not MINOR_UNITS.match(
            transactions["amount"]
        ):
            raise invalid("transactions.amount")
        if not re.fullmatch(r"[A-Z]{3}", str(transactions["currency"])):
            raise invalid("transactions.currency")
        expiration = request.get("expiration_date")
        if expiration is not None and not (
            isinstance(expiration, str) and EXPIRATION.match(expiration)
        ):
            raise invalid("expiration_date")
        reference = request["reference"]
        if not isinstance(reference, str) or len(reference) > 50:
            raise invalid("reference")
        link_id = "LNK_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(30))
        host = environ.get("HTTP_HOST") or "apis.sandbox.globalpay.com"
        scheme = environ.get("wsgi.url_scheme", "https")
        payer = request.get("payer") if isinstance(request.get("payer"), dict) else {}
        link = {
            "id": link_id,
            "account_name": self.account_name,
            "account_id": self.account_id,
            "url": f"{scheme}://{host}/ucp/hpp/redirect/{uuid.uuid4()}",
            "status": "ACTIVE",
            "type": request["type"],
            **usage,
            "usage_count": "0",
            "viewed_count": "0",
            "reference": reference,
            "name": str(request.get("name") or ""),
            "description": str(request.get("description") or ""),
            "shippable": request.get("shippable") or "NO",
            "shipping_amount": str(request.get("shipping_amount") or "0"),
            "expiration_date": expiration or "",
            "images": request.get("images") or [],
            "time_created": self._time_text(),
            "transactions": {
                "amount": transactions["amount"],
                "currency": transactions["currency"],
                "allowed_payment_methods": transactions.get("allowed_payment_methods") or ["CARD"],
                "transaction_list": [],
            },
            "notifications": {
                name: value
                for name, value in (request.get("notifications") or {}).items()
                if name in ("return_url", "status_url", "cancel_url") and isinstance(value, str)
            },
        }
        self.links[link_id] = link
        if isinstance(payer.get("email"), str) and payer["email"]:
            self._payers[link_id] = payer["email"]
            self.emails_sent += 1
        return self._link_answer(link, "LINK_CREATE")

    def _usage(self, request: dict) -> dict:
        if request["usage_mode"] not in USAGE_MODES:
            raise invalid("usage_mode")
        limit = request["usage_limit"]
        if not isinstance(limit, str) or not limit.isdigit() or int(limit) < 1:
            raise invalid("usage_limit")
        return {"usage_mode": request["usage_mode"], "usage_limit": limit}

    def _edit_link(self, link: dict, request: dict) -> dict:
        for name in ("usage_mode", "type", "usage_limit"):
            if request.get(name) in (None, ""):
                raise missing(name)
        if request["type"] not in LINK_TYPES:
            raise invalid("type")
        link.update(self._usage(request))
        for name in ("name", "description", "shippable", "shipping_amount", "images"):
            if name in request:
                link[name] = request[name]
        if "expiration_date" in request:
            expiration = request["expiration_date"]
            if not (isinstance(expiration, str) and EXPIRATION.match(expiration)):
                raise invalid("expiration_date")
            link["expiration_date"] = expiration
            if link["status"] == "EXPIRED" and not self._expired(link):
                link["status"] = "ACTIVE"
        amount = (request.get("transactions") or {}).get("amount")
        if amount is not None:
            if not isinstance(amount, str) or not MINOR_UNITS.match(amount):
                raise invalid("transactions.amount")
            link["transactions"]["amount"] = amount
        if "status" in request:
            if request["status"] not in LINK_STATUSES - {"PAID", "EXPIRED"}:
                raise invalid("status")
            link["status"] = request["status"]
        return self._link_answer(link, "LINK_EDIT")

    def _link(self, link_id: str, path: str) -> dict:
        link = self.links.get(link_id)
        if link is None:
            raise Refused(
                404, "RESOURCE_NOT_FOUND", "40118", f"Links {link_id} not found at this {path}"
            )
        return self._refreshed(link)

    def _refreshed(self, link: dict) -> dict:
        if link["status"] == "ACTIVE" and self._expired(link):
            link["status"] = "EXPIRED"
        return link

    def _expired(self, link: dict) -> bool:
        expiration = link.get("expiration_date")
        if not expiration:
            return False
        ends = datetime.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return self._now() >= ends.timestamp()

    def _link_answer(self, link: dict, action: str | None) -> dict:
        answer = json.loads(json.dumps(link))
        answer["merchant_id"], answer["merchant_name"] = self._site(
            link["transactions"]["currency"]
        )[:2]
        if action is not None:
            answer["action"] = {
                "id": "ACT_" + secrets.token_hex(15),
                "type": action,
                "time_created": self._time_text(),
                "result_code": "SUCCESS",
                "app_id": self.app_id,
                "app_name": self.app_name,
            }
        return answer

    def _list_links(self, params: dict[str, str]) -> dict:
        refuse_unexpected(params, LIST_PAGING | LINK_FILTERS)
        rows = []
        for link in self.links.values():
            self._refreshed(link)
            values = {
                "status": link["status"],
                "usage_mode": link["usage_mode"],
                "name": link["name"],
                "amount": link["transactions"]["amount"],
                "description": link["description"],
                "reference": link["reference"],
                "currency": link["transactions"]["currency"],
                "expiration_date": link["expiration_date"][:10],
            }
            matches = all(params[n] == value for n, value in values.items() if n in params)
            if matches and in_range(link["time_created"], params):
                rows.append(self._link_answer(link, None))
        return page(rows, params, "links")

    def _link_paid(self, link: dict, transaction: dict) -> None:
        summary = ("id", "time_created", "status", "type", "amount", "currency", "reference")
        link["transactions"]["transaction_list"].append(
            {name: transaction[name] for name in summary}
        )
        if transaction["status"] in ("CAPTURED", "PREAUTHORIZED"):
            link["usage_count"] = str(int(link["usage_count"]) + 1)
            if int(link["usage_count"]) >= int(link["usage_limit"]):
                link["status"] = "PAID"  # UNCONFIRMED: PAID or CLOSED

    # -- stored payment methods -------------------------------------------------------------

    def _list_payment_methods(self, params: dict[str, str]) -> dict:
        refuse_unexpected(params, LIST_PAGING | PAYMENT_METHOD_FILTERS)
        rows = [
            method
            for method in self.payment_methods.values()
            if all(
                params[name] == (method["card"]["number_last4"][-4:] if name == "number_last4"
                                 else method[name])
                for name in PAYMENT_METHOD_FILTERS
                if name in params
            )
            and in_range(method["time_created"], params)
        ]  # fmt: skip
        return page(rows, params, "payment_methods")

    # -- charges ----------------------------------------------------------------------------

    def _charge(self, request: dict) -> dict:
        for name in ("channel", "type", "amount", "currency", "payment_method"):
            if request.get(name) in (None, ""):
                raise missing(name)
        if request["channel"] != "CNP":
            raise invalid("channel")
        if request["type"] != "SALE":
            raise invalid("type")
        if not isinstance(request["amount"], str) or not MINOR_UNITS.match(request["amount"]):
            raise invalid("amount")
        method = request["payment_method"]
        if not isinstance(method, dict):
            raise invalid("payment_method")
        if "card" in method:
            raise invalid("payment_method.card (this simulator takes stored methods only)")
        pmt = method.get("id")
        if not pmt:
            raise missing("payment_method.id")
        stored = self.payment_methods.get(pmt)
        if stored is None or stored["status"] != "ACTIVE":
            raise _payment_method_not_found(pmt)
        capture_mode = request.get("capture_mode") or "AUTO"
        if capture_mode not in CAPTURE_MODES:
            raise invalid("capture_mode")
        initiator = request.get("initiator")
        if initiator is not None and initiator not in INITIATORS:
            raise invalid("initiator")
        credential = request.get("stored_credential")
        if credential is not None:
            if not isinstance(credential, dict):
                raise invalid("stored_credential")
            for name, allowed in STORED_CREDENTIAL.items():
                if credential.get(name) is not None and credential[name] not in allowed:
                    raise invalid(f"stored_credential.{name}")
        link = None
        if isinstance(request.get("link"), dict) and request["link"].get("id"):
            link = self._link(request["link"]["id"], f"{LINKS_PATH}/{request['link']['id']}")
            if link["status"] != "ACTIVE":
                raise invalid(f"link.id ({link['status']})")
        order = request.get("order") if isinstance(request.get("order"), dict) else {}
        extra: dict = {"initiator": initiator or ""}
        if credential is not None:
            extra["stored_credential"] = credential
        if order.get("reference"):
            extra["order"] = {"reference": order["reference"]}
        if link is not None:
            extra["link_data"] = {"id": link["id"], "reference": link["reference"]}
        transaction = self._transaction(
            amount=request["amount"],
            currency=request["currency"],
            reference=str(request.get("reference") or uuid.uuid4()),
            description=str(request.get("description") or ""),
            card_id=pmt,
            declined=self._declines(pmt),
            capture_mode=capture_mode,
            entry_mode=str(method.get("entry_mode") or "ECOM"),
            extra=extra,
        )
        if link is not None:
            self._link_paid(link, transaction)
        return transaction

    def _declines(self, pmt: str) -> bool:
        if pmt not in self._declining:
            return False
        remaining = self._declining[pmt]
        if remaining is not None:
            if remaining <= 1:
                del self._declining[pmt]
            else:
                self._declining[pmt] = remaining - 1
        return True

    def _transaction(
        self,
        *,
        amount: str,
        currency: str,
        reference: str,
        description: str,
        card_id: str | None,
        declined: bool,
        capture_mode: str,
        entry_mode: str,
        extra: dict,
    ) -> dict:
        card = self._cards.get(card_id) if card_id else None
        merchant_id, merchant_name, store_id = self._site(currency)
        transaction_id = "TRN_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(30))
        created = self._time_text()
        status = "DECLINED" if declined else CAPTURE_MODES[capture_mode]
        brand, bin_, last4 = (
            (card.brand, card.bin, card.last4) if card else ("VISA", "424242", "4242")
        )
        action = {
            "id": "ACT_" + secrets.token_hex(15),
            "type": "AUTHORIZE",
            "time_created": created,
            "result_code": "DECLINED" if declined else "SUCCESS",
            "app_id": self.app_id,
            "app_name": self.app_name,
        }
        transaction = {
            "id": transaction_id,
            "time_created": created,
            "time_last_updated": created,
            "status": status,
            "type": "SALE",
            "channel": "CNP",
            "capture_mode": capture_mode,
            "merchant_id": merchant_id,
            "merchant_name": merchant_name,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "site_reference": store_id,
            "amount": amount,
            "currency": currency,
            "reference": reference,
            "description": description,
            "gratuity_amount": "0",
            "batch_id": _open_batch(merchant_id, created) if status == "CAPTURED" else "",
            "parent_resource_id": transaction_id,
            "country": "US" if currency == "USD" else "CA",
            **extra,
            "payment_method": {
                "result": DECLINE_RESULT if declined else "00",
                "message": "DECLINED" if declined else "SUCCESS",
                "entry_mode": entry_mode,
                **({"id": card_id} if card_id else {}),
                "card": {
                    "brand": brand,
                    "masked_number_first6last4": bin_ + "X" * 6 + last4,
                    "authcode": "" if declined else f"{secrets.randbelow(10**6):06d}",
                    "brand_reference": secrets.token_hex(7),
                    "funding": "CREDIT",
                },
            },
            "action": action,
        }
        self.transactions[transaction_id] = transaction
        row = {**transaction, "action_create_id": action["id"]}
        del row["action"]
        self.on_transaction(transaction, row)
        return transaction

    def _notify(self, url: str, transaction: dict) -> Notification:
        body = compact(transaction)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.app_key)}
        try:
            notification = Notification(url, transaction["id"], self.notify(url, body, headers))
        except httpx.HTTPError as error:
            notification = Notification(url, transaction["id"], None, type(error).__name__)
        with self._lock:
            self.notifications.append(notification)
        return notification

    # -- helpers ----------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock() + self.clock_offset_seconds

    def _time_text(self) -> str:
        moment = datetime.fromtimestamp(self._now(), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _site(self, currency: str) -> tuple[str, str, str]:
        site = self._sites.get(currency) or next(iter(self._sites.values()))
        return site.merchant_id, site.merchant_name, site.store_id


def _open_batch(merchant_id: str, time_created: str) -> str:
    """The merchant's open batch of the UTC day a capture joins (GP puts a captured sale in the
    open batch at once; the simulator never closes these batches: a departure)."""
    digest = hashlib.sha256(f"{merchant_id}:{time_created[:10]}".encode()).hexdigest()
    return f"BAT_{int(digest[:8], 16) % 1_000_000:06d}-{int(digest[8:12], 16) % 1000:03d}"


def _closed_batch(batch_id: str, sales: list[dict], closed_at: str) -> dict:
    """A closed batch of ``sales`` (captured, one merchant and currency), in the shape the sandbox
    generator lands batches: minor-unit amounts, a brand breakdown with fees, the deposit."""
    first = min(sales, key=lambda sale: sale["time_created"])
    by_brand: dict[str, list[int]] = {}
    for sale in sales:
        by_brand.setdefault(sale["payment_method"]["card"]["brand"], []).append(int(sale["amount"]))
    breakdown = []
    for brand, amounts in sorted(by_brand.items()):
        fees = CARD_BRANDS_BY_NAME[brand].fees(len(amounts), sum(amounts))
        breakdown.append(
            {
                "brand": brand,
                "count": len(amounts),
                "amount": str(sum(amounts)),
                "sales": {"count": len(amounts), "amount": str(sum(amounts))},
                "refunds": {"count": 0, "amount": "0"},
                "fees_amount": str(fees),
            }
        )
    total = sum(int(sale["amount"]) for sale in sales)
    fees = sum(int(brand["fees_amount"]) for brand in breakdown)
    gratuity = sum(int(sale.get("gratuity_amount") or 0) for sale in sales)
    return {
        "id": batch_id,
        "status": "CLOSED",
        "time_created": first["time_created"],
        "time_closed": closed_at,
        "merchant_id": first["merchant_id"],
        "merchant_name": first["merchant_name"],
        "site_reference": first["site_reference"],
        "currency": first["currency"],
        "amount": str(total),
        "transaction_count": len(sales),
        "sales": {"count": len(sales), "amount": str(total)},
        "refunds": {"count": 0, "amount": "0"},
        "gratuity_amount": str(gratuity),
        "brand_breakdown": breakdown,
        "deposit": {
            "id": "DEP_" + batch_id.removeprefix("BAT_").replace("-", ""),
            "time_created": closed_at[:10],
            "status": "FUNDED",
            "amount": str(total - fees),
            "fees": {"amount": str(fees)},
        },
    }


def _payment_method_not_found(pmt: str) -> Refused:
    return Refused(
        404, "RESOURCE_NOT_FOUND", "40116", f"payment_method {pmt} not found at this location"
    )
