"""Parking's statistics for the city's dashboard, over a window of city days: inspections by the
zone checked in and by month, with the share of each verdict; permits granted by zone and month,
and those in force as the window ends. Each answer is a few grouped statements."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from figures.statistics import every_month, share, window_out
from figures.window import Window
from kernel.i18n import Language, Text
from parking.offline import Reason
from parking.repository import ZoneRepository
from parking.repository.statistics import ParkingFiguresRepository
from parking.schemas import (
    InspectionMonthOut,
    InspectionStatsOut,
    PermitMonthOut,
    PermitStatsOut,
    ZoneInspectionsOut,
    ZonePermitsOut,
)

# Every verdict, in the order the answer lists them: the allowing reasons first.
VERDICTS = tuple(reason.value for reason in Reason)
NO_PLACE: Text = {
    "he": "מעבר שנסרק ללא מקום",
    "ar": "تصريح مُسح دون مكان",
    "en": "Pass scanned with no place",
}


def _verdicts() -> dict[str, int]:
    return dict.fromkeys(VERDICTS, 0)


def inspection_figures(session: Session, window: Window, language: Language) -> InspectionStatsOut:
    by_zone: dict[str | None, dict[str, int]] = defaultdict(_verdicts)
    by_month: dict[str, dict[str, int]] = defaultdict(_verdicts)
    for zone, month, reason, checks in ParkingFiguresRepository(session).inspections(window):
        by_zone[zone][reason] = by_zone[zone].get(reason, 0) + checks
        by_month[month][reason] = by_month[month].get(reason, 0) + checks
    named: dict[str | None, str] = {
        zone.code: zone.name(language) for zone in ZoneRepository(session).every()
    }
    # Every zone of the city; then any zone checked in that is no longer one, and no place at all.
    codes: list[str | None] = [
        *named,
        *sorted(code for code in by_zone if code and code not in named),
    ]
    if None in by_zone:
        codes.append(None)
    zones = []
    for code in codes:
        verdicts = by_zone[code] if code in by_zone else _verdicts()
        checks = sum(verdicts.values())
        zones.append(
            ZoneInspectionsOut(
                code=code,
                name=named.get(code) or (code if code else NO_PLACE[language]),
                inspections=checks,
                verdicts=verdicts,
                shares={reason: share(count, checks) for reason, count in verdicts.items()},
            )
        )
    return InspectionStatsOut(
        window=window_out(window),
        zones=zones,
        months=every_month(
            window,
            {label: _inspection_month(label, verdicts) for label, verdicts in by_month.items()},
            lambda label: _inspection_month(label, _verdicts()),
        ),
    )


def _inspection_month(label: str, verdicts: dict[str, int]) -> InspectionMonthOut:
    return InspectionMonthOut(month=label, inspections=sum(verdicts.values()), verdicts=verdicts)


def permit_figures(session: Session, window: Window, language: Language) -> PermitStatsOut:
    repository = ParkingFiguresRepository(session)
    issued: dict[object, int] = defaultdict(int)
    by_month: dict[str, int] = defaultdict(int)
    for zone_id, month, permits in repository.permits_issued(window):
        issued[zone_id] += permits
        by_month[month] += permits
    in_force = repository.permits_in_force(window.end)
    return PermitStatsOut(
        window=window_out(window),
        zones=[
            ZonePermitsOut(
                code=zone.code,
                name=zone.name(language),
                issued=issued.get(zone.id, 0),
                active_at_end=in_force.get(zone.id, 0),
            )
            for zone in ZoneRepository(session).every()
        ],
        months=[
            PermitMonthOut(month=month.label, issued=by_month.get(month.label, 0))
            for month in window.months()
        ],
    )
