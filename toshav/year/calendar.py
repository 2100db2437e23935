"""The year's calendar: the city months it covers, how busy each is, and moments within them.

The year is the twelve whole city months before the current one, less any month before the
programmes it uses began (a programme's rules do not reach back before its start).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from benefits.eligibility.service.allowances import Period, parse_period

MONTHS = 12

# How busy the city's shops are by calendar month (the autumn holidays, Passover, the summer).
SHOPPING_SEASON = {
    1: 0.85,
    2: 0.85,
    3: 1.0,
    4: 1.15,
    5: 1.0,
    6: 1.05,
    7: 1.15,
    8: 1.2,
    9: 1.15,
    10: 1.0,
    11: 0.95,
    12: 1.1,
}
# Visitors park more in the summer and the holidays.
PARKING_SEASON = {
    1: 0.8,
    2: 0.8,
    3: 0.95,
    4: 1.1,
    5: 1.0,
    6: 1.1,
    7: 1.3,
    8: 1.3,
    9: 1.1,
    10: 1.0,
    11: 0.9,
    12: 1.0,
}
SATURDAY = 5


@dataclass(frozen=True)
class Year:
    """The months of the year, oldest first, in the city's time zone."""

    months: tuple[Period, ...]
    zone: ZoneInfo
    now: datetime

    @property
    def start(self) -> datetime:
        return self.months[0].start

    @property
    def end(self) -> datetime:
        return self.months[-1].end

    def index_of(self, moment: datetime) -> int:
        """Which month of the year a moment falls in (0 is the oldest)."""
        for index, month in enumerate(self.months):
            if month.start <= moment < month.end:
                return index
        raise ValueError("a moment outside the year")

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def the_year(now: datetime, zone: ZoneInfo, *, not_before: datetime) -> Year:
    """The twelve whole city months before ``now``'s month, from ``not_before`` on."""
    this_month = now.astimezone(zone).replace(day=1)
    months: list[Period] = []
    year, month = this_month.year, this_month.month
    for _ in range(MONTHS):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        period = parse_period(f"{year:04d}-{month:02d}", zone)
        if period.start < not_before:
            break
        months.append(period)
    if not months:
        raise ValueError("no whole month since the programmes began")
    return Year(tuple(reversed(months)), zone, now)


def moment_in(
    rng: random.Random,
    year: Year,
    start: datetime,
    end: datetime,
    *,
    hours: tuple[int, int] = (8, 21),
    open_on_saturday: float = 0.3,
) -> datetime | None:
    """A moment between ``start`` and ``end`` during opening hours (city time), or None when the
    span holds none. Saturdays are quieter: most shops are closed."""
    if end <= start:
        return None
    for _ in range(8):
        moment = start + timedelta(seconds=rng.random() * (end - start).total_seconds())
        local = moment.astimezone(year.zone)
        if local.weekday() == SATURDAY and rng.random() > open_on_saturday:
            continue
        hour = hours[0] + int(rng.triangular(0, hours[1] - hours[0], (hours[1] - hours[0]) * 0.6))
        local = local.replace(
            hour=min(hour, 23), minute=rng.randrange(60), second=rng.randrange(60)
        )
        shifted = local.astimezone(UTC)
        if start <= shifted < end:
            return shifted
    return None


def poisson(rng: random.Random, mean: float) -> int:
    """How many times something happens that happens ``mean`` times on average (Knuth's draw;
    the means here are small)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
