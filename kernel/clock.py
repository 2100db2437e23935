"""The service's clock: real UTC time, or a clock a test can set and move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from kernel.settings import AppSettings


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SetClock:
    """A clock that stays where it is put, for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)


async def request_now(request: Request) -> datetime:
    """The app clock's now (async: it only reads memory, so no thread)."""
    clock: Clock = request.app.state.runtime.clock
    return clock.now()


Now = Annotated[datetime, Depends(request_now)]


async def request_today(now: Now, settings: AppSettings) -> date:
    """The date in the city now (ages, months and days of the city's calendar use it)."""
    return now.astimezone(ZoneInfo(settings.city_time_zone)).date()


Today = Annotated[date, Depends(request_today)]
