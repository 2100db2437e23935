"""The city's clock: its time zone, and moments as the city's calendar reads them.

A day given without a time is that day's midnight on the city's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from kernel.i18n import Text, day_text
from kernel.settings import Settings


@lru_cache(maxsize=1)
def _environment_zone() -> ZoneInfo:
    return ZoneInfo(Settings().city_time_zone)


def city_zone(zone: ZoneInfo | None = None) -> ZoneInfo:
    """The city's time zone: the one given, else the one of this process's environment
    (``TOSHAV_CITY_TIME_ZONE``)."""
    return zone if zone is not None else _environment_zone()


def to_moment(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A UTC moment: a day is its midnight on the city's clock, and so is a time without an offset."""
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def show_moment(value: datetime | None, zone: ZoneInfo) -> Text:
    """A moment as a clerk reads it in each language: the city's local day (and time, unless it
    is midnight), as the language writes a day; ``…`` for open-ended."""
    if value is None:
        return {"he": "…", "ar": "…", "en": "…"}
    local = value.astimezone(zone)
    day = day_text(local.date())
    if local.time() == time(0):
        return day
    clock = local.strftime("%H:%M")
    return {
        "he": f"{day['he']} {clock}",
        "ar": f"{day['ar']} {clock}",
        "en": f"{day['en']} {clock}",
    }
