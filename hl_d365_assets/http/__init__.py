"""The one HTTP seam: every outbound request (Heartland GP-API, D365 OData, Entra ID through msal,
alert webhooks) goes through :class:`RetryingTransport`, which applies the one
:class:`RetryPolicy` — the single place that decides whether and when a request is retried."""

from hl_d365_assets.http.config_values import resolved
from hl_d365_assets.http.json_bodies import json_object
from hl_d365_assets.http.retry_policy import RENEW, RETRYABLE, RetryPolicy
from hl_d365_assets.http.retrying_transport import (
    NoAnswer,
    OutcomeUnknown,
    RetryingTransport,
    RetryRecord,
    request_name,
    retry_record,
)

__all__ = [
    "RENEW",
    "RETRYABLE",
    "NoAnswer",
    "OutcomeUnknown",
    "RetryPolicy",
    "RetryRecord",
    "RetryingTransport",
    "json_object",
    "request_name",
    "resolved",
    "retry_record",
]
