"""The ``status_url`` of our payment links: where GP posts the outcome of an order's payment.

``POST /webhooks/heartland/payments`` goes through the receiver's one request path
(``receiver.py``): size, ``X-GP-Signature`` before anything of the body is read (401 for a missing
or wrong one, and the answer never quotes the body), JSON, shape, replay window, redelivery journal,
group-committed landing. Only the event differs: the body is one GP-API transaction resource,
landed as ``heartland/payment_notifications`` under ``NTF_<id>_<status>``
(``order_payments/notifications.py``), with nothing decided about the order yet. A notification
for an order we do not know is landed like any other: the warehouse turns it into a
``payment_for_unknown_order`` exception (docs/orders.md), it never posts.
"""

from __future__ import annotations

from hl_d365_assets.order_payments.notifications import NOTIFIED
from hl_d365_assets.order_payments.notifications import payment_event as _payment_event

PAYMENTS_PATH = "/webhooks/heartland/payments"


def payment_event(document: object):
    """A status_url body as its landing event (raises EventShapeError when it is not one)."""
    return _payment_event(document, NOTIFIED)
