"""The city's calendar, as parking counts it: a permit runs through the same date next year, and
ends at the midnight that follows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.settings import Settings


def city_time_zone(settings: Settings) -> ZoneInfo:
    """The city's time zone: its dates are the days permits and months are counted in."""
    return ZoneInfo(settings.city_time_zone)


def one_year_on(now: datetime, settings: Settings) -> datetime:
    """The end of a permit granted now: it runs through the same date next year (on the city's
    calendar), so it ends at the midnight that follows that day."""
    zone = city_time_zone(settings)
    today = now.astimezone(zone).date()
    try:
        day = today.replace(year=today.year + 1)
    except ValueError:  # 29 February: through 28 February
        day = date(today.year + 1, 2, 28)
    following = day + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(
        now.tzinfo
    )


def last_valid_day(valid_to: datetime, settings: Settings) -> date:
    """The last day (on the city's calendar) of a permit or pass that ends at ``valid_to``: the day
    before the midnight it ends at. Every page, pass, answer and command says this day."""
    return (valid_to.astimezone(city_time_zone(settings)) - timedelta(microseconds=1)).date()
