"""Parking's measures in the open data: permits granted and free parking time used, at the
resident's address; inspections, in their zone's neighbourhood."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from figures.open_data.sources import Grain, Measure, OpenDataSource, SourceRow
from figures.window import Window
from parking.repository import OpenDataRepository, ZoneRepository


def _rows(found: list[tuple[str | None, str, int, int]], measure: str) -> Iterable[SourceRow]:
    for neighbourhood, month, value, people in found:
        yield SourceRow(neighbourhood, month, None, {measure: value}, people)


def permit_rows(session: Session, window: Window, grain: Grain) -> Iterable[SourceRow]:
    """Permits granted, by the month they began and their holder's neighbourhood."""
    found = OpenDataRepository(session).permits_issued(
        window, by_neighbourhood=grain.by_neighbourhood
    )
    return _rows(found, "permits")


def free_time_rows(session: Session, window: Window, grain: Grain) -> Iterable[SourceRow]:
    """Free parking minutes used, by the month the session started and the resident's neighbourhood."""
    found = OpenDataRepository(session).free_minutes_used(
        window, by_neighbourhood=grain.by_neighbourhood
    )
    return _rows(found, "free_minutes_used")


def inspection_rows(session: Session, window: Window, grain: Grain) -> Iterable[SourceRow]:
    """Inspections, by the month made and their zone's neighbourhood."""
    found = OpenDataRepository(session).inspections(
        window,
        ZoneRepository(session).zone_neighbourhoods(),
        by_neighbourhood=grain.by_neighbourhood,
    )
    return _rows(found, "inspections")


PERMITS = OpenDataSource(
    resource="permits",
    title="Resident parking permits",
    description="Resident parking permits granted, by the neighbourhood of the holder's address, "
    "in the city month the permit began.",
    names={"he": "תווי חניה לתושבים", "ar": "تصاريح وقوف للسكان", "en": "Resident parking permits"},
    measures=(
        Measure(
            "permits",
            "count",
            "Permits granted",
            {"he": "תווים שניתנו", "ar": "تصاريح مُنحت", "en": "Permits granted"},
        ),
    ),
    people="residents granted a permit",
    categories=None,
    rows=permit_rows,
)
FREE_TIME = OpenDataSource(
    resource="free_time",
    title="Free parking time used",
    description="Free parking minutes residents used from their allowance, by the neighbourhood "
    "of the resident's address, in the city month the parking began.",
    names={"he": "זמן חניה חינם", "ar": "وقت وقوف مجاني", "en": "Free parking time"},
    measures=(
        Measure(
            "free_minutes_used",
            "minutes",
            "Free parking minutes used",
            {"he": "דקות חינם שנוצלו", "ar": "دقائق مجانية مستخدمة", "en": "Free minutes used"},
        ),
    ),
    people="residents who used free parking time",
    categories=None,
    rows=free_time_rows,
)
INSPECTIONS = OpenDataSource(
    resource="inspections",
    title="Parking inspections",
    description="Parking inspections, by the neighbourhood of the zone inspected (the "
    "neighbourhood holding most of the zone's streets), in the city month of the inspection.",
    names={"he": "בדיקות חניה", "ar": "فحوصات الوقوف", "en": "Parking inspections"},
    measures=(
        Measure(
            "inspections",
            "count",
            "Inspections made",
            {"he": "בדיקות", "ar": "فحوصات", "en": "Inspections"},
        ),
    ),
    people="vehicles inspected (by plate)",
    categories=None,
    rows=inspection_rows,
)
SOURCES = (PERMITS, FREE_TIME, INSPECTIONS)
