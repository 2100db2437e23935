"""The city's clock: its time zone, and moments as the city's calendar reads them.

A day given without a time is that day's midnight on the city's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

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


def show_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A moment as a clerk reads it: the city's local date and time; ``…`` for open-ended."""
    if value is None:
        return "…"
    local = value.astimezone(zone)
    return (
        local.strftime("%Y-%m-%d") if local.time() == time(0) else local.strftime("%Y-%m-%d %H:%M")
    )
