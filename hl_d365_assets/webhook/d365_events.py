"""D365 business events at ``POST /webhooks/d365/<token>``: checked, landed once, answered fast.

**Authentication.** D365's HTTPS endpoint is a URL and nothing more: the endpoint's Key Vault
secret holds the target URL, and no signature or custom header is documented
(shared/reference/d365-entities-wave2.md §7, UNCONFIRMED). So the secret is in the URL: the last
path segment is a long random token, compared in constant time with ``D365_EVENTS_TOKEN``
(an environment variable, read by ``server.py``), and the whole URL is what goes into D365's Key
Vault secret. A wrong or missing token, or a receiver started without one, is refused with 401
before the body is read, nothing of it echoed, landed or counted in the landing zone (nothing
says it came from D365; ``/stats`` counts it). Keep the URL out of logs and serve it over TLS
(a reverse proxy): anyone holding it can post events, which at worst make us pull an order from
D365 early (the pull, not the event, decides what the warehouse holds).

**What lands.** Every business event (flat JSON, the envelope fields and the event's own at one
level) as one line under ``landing/d365/business_events/business_date=<merchant's date of
EventTime>/``, its ``event_id`` the event's ``EventId`` — through the receiver's one landing
writer and group commit, fsynced before the 200. The payload is landed as received, so the raw
layer keeps the 64-bit ``ControlNumber`` exact (``raw.d365_business_events``).

**At-least-once.** D365 retries and resends (same EventId), so a redelivered EventId is
acknowledged as ``duplicate`` and not landed again (the receiver's seen ids); a copy that slips
past (a restart beyond the id retention) is counted by the raw layer, as Heartland's are.
``ControlNumber`` (increasing, with gaps) orders events; it is never used to refuse one, since
an older event arriving late is normal, and the targeted pull reads D365's current state anyway.

**Ignored.** The activation test message (``BusinessEventId`` =
``BusinessEventsTestEndpointContract``) is answered 200 ``ignored`` and counted, not landed.
Malformed bodies are 400 with a reason code (counted per day in the landing zone like the
Heartland refusals); an event time that no partition loads lands under the receipt day,
quarantined as ``outside_partitions``.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hl_d365_assets.landing import envelope
from hl_d365_assets.time_zones import zone
from hl_d365_assets.webhook.config import ReceiverConfig
from hl_d365_assets.webhook.event_window import iso_ms

D365_EVENTS_PREFIX = "/webhooks/d365/"
D365_EVENTS_PATH = D365_EVENTS_PREFIX + "{token}"
TOKEN_ENV = "D365_EVENTS_TOKEN"
ENTITY = "business_events"
EVENT_TYPE = "d365.business_event"
TEST_EVENT = "BusinessEventsTestEndpointContract"
REQUIRED_TEXT = ("BusinessEventId", "BusinessEventLegalEntity", "EventId")
_WCF_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_GUID = re.compile(
    r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$"
)
LATEST_PLAUSIBLE_AHEAD = timedelta(days=1)


class D365EventRefused(ValueError):
    """A body that is no business event; ``reason`` is the receiver's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class D365Event:
    event_id: str
    business_event_id: str
    business_date: date
    line: str
    """The landing line, or "" for the test message (not landed)."""
    receiver_problem: str | None = None

    @property
    def is_test(self) -> bool:
        return self.business_event_id == TEST_EVENT


def token_matches(presented: str, config: ReceiverConfig) -> bool:
    """Constant time on the bytes; an unconfigured token matches nothing."""
    expected = config.d365_events_token
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def read_event(body: bytes, config: ReceiverConfig, now: datetime) -> D365Event:
    """The event in ``body`` and where it lands; raises :class:`D365EventRefused`."""
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise D365EventRefused("not_json", "body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise D365EventRefused("not_json", "body is not JSON") from None
    if not isinstance(document, dict):
        raise D365EventRefused("not_an_object", "body is not a JSON object")
    for name in REQUIRED_TEXT:
        if not isinstance(document.get(name), str) or not document[name]:
            raise D365EventRefused("bad_shape", f"{name} is missing or not a string")
    if not _GUID.match(document["EventId"]):
        raise D365EventRefused("bad_shape", "EventId is not a GUID")
    control = document.get("ControlNumber")
    if isinstance(control, bool) or not isinstance(control, int):
        raise D365EventRefused("bad_shape", "ControlNumber is missing or not an integer")
    moment = event_time(document)
    if moment is None:
        raise D365EventRefused("bad_shape", "EventTime is missing or not a date")
    merchant = zone(config.merchant_timezone)
    receipt_day = now.astimezone(merchant).date()
    business_date = moment.astimezone(merchant).date()
    problem = None
    first = config.first_business_day
    if (first is not None and business_date < first) or moment > now + LATEST_PLAUSIBLE_AHEAD:
        problem = f"outside_partitions: EventTime {iso_ms(moment)} is on no loaded business day"
        business_date = max(receipt_day, first or receipt_day)
    event = D365Event(document["EventId"], document["BusinessEventId"], business_date, "", problem)
    if event.is_test:
        return event
    line = envelope(
        document["EventId"],
        EVENT_TYPE,
        document,
        received_at=iso_ms(now),
        receiver_problem=problem,
    )
    try:
        line.encode()
    except UnicodeEncodeError:
        raise D365EventRefused("not_json", "body holds an unpaired UTF-16 surrogate") from None
    return D365Event(event.event_id, event.business_event_id, business_date, line, problem)


def event_time(document: dict) -> datetime | None:
    """``EventTime`` as D365 sends it (``/Date(ms)/``), else as consumers also see it (an ISO
    string, or epoch milliseconds), else ``EventTimeIso8601``."""
    for value in (document.get("EventTime"), document.get("EventTimeIso8601")):
        moment = _moment(value)
        if moment is not None:
            return moment
    return None


def _moment(value: object) -> datetime | None:
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        if not isinstance(value, str):
            return None
        if match := _WCF_DATE.match(value):
            return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        text = value.strip().replace("Z", "+00:00")
        # D365 writes seven fractional digits; Python reads at most six.
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")
