"""What a webhook receiver is configured with, and the names its landed files carry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hl_d365_assets.landing import DEFAULT_MAX_SEGMENT_BYTES

SOURCE = "heartland"
D365_SOURCE = "d365"
"""D365 business events land under ``landing/d365/business_events/`` (``d365_events.py``)."""
PRODUCER = "webhook"
"""Recovery and the seen-id scan touch only segments of this producer, never another's."""
REFUSALS_ENTITY = "receiver_refusals"
"""Where the receiver lands its counts of refused requests (reason codes only, never a body)."""
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_EVENT_AGE = timedelta(hours=72)
DEFAULT_MAX_CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_SEGMENT_AGE_SECONDS = 2.0
DEFAULT_READ_TIMEOUT_SECONDS = 5.0
"""How long a request may take to deliver its headers and its whole body. A sender that declares
more bytes than it sends, or trickles them, would otherwise hold a connection (and a slot of the
server) forever; real notifications are a few kilobytes, sent at once."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReceiverConfig:
    landing_dir: Path
    state_dir: Path
    """Where the seen-id journal and the lock live (``<data_dir>/webhook``)."""
    mappings_dir: Path
    merchant_timezone: str
    app_key: str = field(repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_event_age: timedelta = DEFAULT_MAX_EVENT_AGE
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES
    max_segment_age_seconds: float = DEFAULT_SEGMENT_AGE_SECONDS
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS
    first_business_day: date | None = None
    """The first partition (``HL_D365_FIRST_BUSINESS_DAY``): an event of an earlier day lands under
    the receipt day, quarantined, rather than in a folder no partition reads (``event_window.py``).
    """
    d365_events_token: str = field(default="", repr=False)
    """The secret path segment of the D365 business-events endpoint (``D365_EVENTS_TOKEN``);
    empty: that endpoint refuses everything (``d365_events.py``)."""
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False, compare=False)
    """Receipt time (aware, UTC); tests pin it to put sandbox days inside or outside the window."""

    @classmethod
    def from_settings(cls, settings, app_key: str, **options) -> ReceiverConfig:
        return cls(
            landing_dir=settings.landing_dir,
            state_dir=settings.data_dir / "webhook",
            mappings_dir=settings.mappings_dir,
            merchant_timezone=settings.merchant_timezone,
            app_key=app_key,
            first_business_day=settings.first_business_day,
            **options,
        )

    @property
    def id_retention(self) -> timedelta:
        """A redelivery later than this is stale anyway (it lands quarantined), so its id can go."""
        return self.max_event_age + self.max_clock_skew
