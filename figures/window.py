"""The window a figure covers: city days from ``from`` to ``to`` (both included), and the city's
months it touches. Figures count what happened in the city's calendar (Asia/Jerusalem by default),
so a month's edges are the city's midnights, turned into instants before any query: a query asks
for ``at >= start AND at < end`` on its own indexed timestamp and needs no time-zone function of
its database (SQLite has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, case, literal
from sqlalchemy.orm import QueryableAttribute

from figures.exceptions import InvalidWindow
from figures.settings import figures_settings
from kernel.clock import Today
from kernel.settings import AppSettings, Settings

# How many months a window covers when the caller names no first day: this one and the 11 before.
DEFAULT_MONTHS = 12
# A column a figure is counted by: a mapped attribute (``Purchase.created_at``) or an expression.
Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Month:
    """One city month of a window, clipped to the window: its label (``2026-03``) and the instants
    of its first and after its last counted city day."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Window:
    """City days ``first``..``last`` (both included) in the city's time zone ``zone``."""

    first: date
    last: date
    zone: str

    def midnight(self, day: date) -> datetime:
        """The instant (UTC) the city day ``day`` begins."""
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def start(self) -> datetime:
        """The instant the window begins."""
        return self.midnight(self.first)

    @property
    def end(self) -> datetime:
        """The instant after the window: the midnight that ends its last day."""
        return self.midnight(self.last + timedelta(days=1))

    def months(self) -> list[Month]:
        """The city months the window touches, in order, each clipped to the window."""
        found: list[Month] = []
        first = self.first
        while first <= self.last:
            following = _first_of_next_month(first)
            last = min(following - timedelta(days=1), self.last)
            found.append(
                Month(
                    f"{first.year:04d}-{first.month:02d}",
                    self.midnight(first),
                    self.midnight(last + timedelta(days=1)),
                )
            )
            first = following
        return found

    def month_of(self, at: Column) -> ColumnElement[str]:
        """The label of the window's month an instant column falls in (NULL outside the window):
        one CASE over the months' edges, the same SQL on every database."""
        months = self.months()
        return case(
            *((at < month.end, literal(month.label)) for month in months),
            else_=None,
        ).label("month")

    def holds(self, at: Column) -> ColumnElement[bool]:
        """Whether an instant column falls in the window (for the query's WHERE)."""
        return (at >= self.start) & (at < self.end)

    def holds_day(self, day: Column) -> ColumnElement[bool]:
        """Whether a city-date column (a permit's first day, say) falls in the window."""
        return (day >= self.first) & (day <= self.last)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def window_of(
    settings: Settings, today: date, first: date | None = None, last: date | None = None
) -> Window:
    """The window a caller asked for. Unnamed days default to the city's last twelve months up to
    today: ``last`` is today, ``first`` the first day of the month eleven months before ``last``'s."""
    last = last or today
    first = first or _months_before(last, DEFAULT_MONTHS - 1)
    if first > last:
        raise InvalidWindow(
            reason={
                "he": "היום הראשון מאוחר מהיום האחרון.",
                "ar": "اليوم الأول بعد اليوم الأخير.",
                "en": "the first day is after the last.",
            }
        )
    longest = figures_settings(settings).figures_max_window_days
    if (last - first).days + 1 > longest:
        raise InvalidWindow(
            reason={
                "he": f"הטווח ארוך מ-{longest} ימים.",
                "ar": f"النطاق أطول من {longest} يومًا.",
                "en": f"it is longer than {longest} days.",
            }
        )
    return Window(first, last, settings.city_time_zone)


def requested_window(
    settings: AppSettings,
    today: Today,
    first: Annotated[
        date | None,
        Query(alias="from", description="The first city day counted (default: 11 months back)."),
    ] = None,
    last: Annotated[
        date | None,
        Query(alias="to", description="The last city day counted, included (default: today)."),
    ] = None,
) -> Window:
    """The window of a statistics request: ``?from=YYYY-MM-DD&to=YYYY-MM-DD``, city days."""
    return window_of(settings, today, first, last)


FigureWindow = Annotated[Window, Depends(requested_window)]
