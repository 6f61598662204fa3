"""The demo's week ends with the last business day that is over in every store's zone."""

from datetime import UTC, date, datetime

from hl_d365_assets.demo.week import last_business_days
from hl_d365_assets.settings import load_settings


def test_just_after_midnight_in_new_york_the_live_day_is_one_vancouver_has_closed() -> None:
    # 00:30 in New York, 21:30 the evening before in Vancouver: Vancouver's stores still trade.
    settings = load_settings({"HL_D365_TIMEZONE": "America/New_York"})
    days = last_business_days(settings, 3, now=datetime(2026, 12, 3, 5, 30, tzinfo=UTC))
    assert days == [date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1)]


def test_once_every_store_has_passed_midnight_yesterday_is_the_live_day() -> None:
    settings = load_settings({"HL_D365_TIMEZONE": "America/New_York"})
    days = last_business_days(settings, 2, now=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert days == [date(2026, 12, 1), date(2026, 12, 2)]
