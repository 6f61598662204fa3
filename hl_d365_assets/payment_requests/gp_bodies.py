"""What GP-API is sent for an order: the body of a payment link or of a stored-card charge.

Both carry the D365 order number as ``reference`` (and a charge as ``order.reference``), so the
notification (``link_data.reference`` / ``reference``), a look-up (``GET /links?reference=``,
``GET /transactions?reference=``) and the daily pull's customer payment journal all lead back to
the order (shared/reference/gp-api-orders-customers.md, section 6). A body is a function of the
recorded request only, so every attempt of a request sends the same body under the same
``x-gp-idempotency`` key. Amounts are integer minor units written as strings, from the exact
decimal total; never a float, never a card number.

Left out on purpose, UNCONFIRMED whether real GP requires them: ``account_name`` (the SDK sends
the ``TRA_`` account of the token's scope), ``country``, ``return_url`` and ``cancel_url``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

NAME_LIMIT = 50
"""GP's hosted pages reject longer names and references (WooCommerce plugin keeps them <= 50)."""


class NotMinorUnits(ValueError):
    """An amount with more decimals than its currency has, or of a currency we do not know."""


def minor_units(amount: Decimal, exponent: int | None) -> str:
    """``Decimal("1227.12")`` with exponent 2 -> ``"122712"``; ``None``: a currency missing from
    mappings/currencies.csv."""
    if exponent is None:
        raise NotMinorUnits("the order's currency is not in mappings/currencies.csv")
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value() or scaled <= 0:
        raise NotMinorUnits(f"{amount} is not a positive amount of whole minor units")
    return str(int(scaled))


def link_body(request: dict, email: str, status_url: str | None) -> dict:
    """A single-use ``PAYMENT`` link for the order total, e-mailed to ``email``.

    ``payer.email`` is the hosted-page variant's field; which field makes GP e-mail a
    ``PAYMENT`` link is UNCONFIRMED (docs/order-payments.md)."""
    order = request["sales_order_number"]
    expires: datetime = request["expires_at"]
    body: dict = {
        "type": "PAYMENT",
        "usage_mode": "SINGLE",
        "usage_limit": "1",
        "reference": order,
        "name": f"Order {order}"[:NAME_LIMIT],
        "description": f"{request['legal_entity']} sales order {order}",
        "shippable": "NO",
        "expiration_date": expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "ACTIVE",
        "images": [],
        "transactions": {
            "amount": minor_units(request["amount"], request["minor_unit_exponent"]),
            "channel": "CNP",
            "currency": request["currency"],
            "allowed_payment_methods": ["CARD"],
        },
        "payer": {"email": email},
    }
    if status_url:
        body["notifications"] = {"status_url": status_url}
    return body


def charge_body(request: dict, payment_method_id: str) -> dict:
    """A merchant-initiated sale on the customer's stored card, captured at once."""
    order = request["sales_order_number"]
    return {
        "channel": "CNP",
        "type": "SALE",
        "capture_mode": "AUTO",
        "amount": minor_units(request["amount"], request["minor_unit_exponent"]),
        "currency": request["currency"],
        "reference": order,
        "description": f"{request['legal_entity']} sales order {order}",
        "order": {"reference": order},
        "payment_method": {"id": payment_method_id, "entry_mode": "ECOM"},
        "initiator": request["initiator"],
        "stored_credential": {
            "model": request["stored_credential_model"],
            "sequence": request["stored_credential_sequence"],
        },
    }
