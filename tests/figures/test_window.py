"""The window a figure covers: city days and the city's months, their edges at the city's
midnights (summer time included), its defaults and its refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from figures.exceptions import InvalidWindow
from figures.window import window_of
from kernel.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings("sqlite://", tmp_path)


def test_by_default_a_window_is_the_last_twelve_months_up_to_today(settings: Settings) -> None:
    window = window_of(settings, date(2026, 12, 3))
    assert (window.first, window.last) == (date(2026, 1, 1), date(2026, 12, 3))
    assert [month.label for month in window.months()] == [f"2026-{m:02d}" for m in range(1, 13)]


def test_a_month_begins_at_the_city_s_midnight_in_winter_and_in_summer(settings: Settings) -> None:
    window = window_of(settings, date(2026, 12, 3), date(2026, 3, 15), date(2026, 4, 10))
    march, april = window.months()
    # Israel's clocks: +02:00 until 27 March 2026, +03:00 after.
    assert march.start == datetime(2026, 3, 14, 22, 0, tzinfo=UTC)
    assert march.end == april.start == datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
    assert april.end == datetime(2026, 4, 10, 21, 0, tzinfo=UTC) == window.end


def test_a_window_across_new_year_names_each_month_once(settings: Settings) -> None:
    window = window_of(settings, date(2027, 1, 9), date(2026, 11, 30), date(2027, 1, 2))
    assert [month.label for month in window.months()] == ["2026-11", "2026-12", "2027-01"]


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 5, 2), date(2026, 5, 1)), (date(2020, 1, 1), date(2026, 5, 1))],
    ids=["backwards", "too long"],
)
def test_a_window_backwards_or_too_long_is_refused(
    settings: Settings, first: date, last: date
) -> None:
    with pytest.raises(InvalidWindow) as refused:
        window_of(settings, date(2026, 12, 3), first, last)
    assert refused.value.code == "invalid_window"
    assert refused.value.status_code == 422
