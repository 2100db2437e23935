"""Demo programmes for ``toshav demo load``: the shipped programme files, and this month's
allowances credited to the residents who are eligible for them. Running it again changes nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import (
    grant_allowance,
    granted_in_period,
    parse_period,
)
from benefits.eligibility.service.programme_files import load_programmes
from benefits.eligibility.service.programmes import running_programmes
from kernel.settings import Settings


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    zone = ZoneInfo(settings.city_time_zone)
    loaded = load_programmes(session, now=now, zone=zone)
    lines = [
        "programmes: "
        + (", ".join(loaded.programmes_created) if loaded.programmes_created else "already there")
    ]
    if loaded.versions_reworded:
        lines.append(
            "rule versions given their files' sentences: " + ", ".join(loaded.versions_reworded)
        )
    if loaded.set_aside:
        lines.append("programmes of domains not running: " + ", ".join(loaded.set_aside))
    period = parse_period(now.astimezone(zone).strftime("%Y-%m"), zone)
    for programme in running_programmes(session, now=now):
        if programme.allowance_amount is None:
            continue
        # A month already credited (publishing the rules credits it at once, the monthly job on
        # its first day, a year loaded with --scale N) is not judged again resident by resident:
        # a city's worth of residents would take the demo half an hour.
        already = granted_in_period(session, programme, period)
        if already:
            lines.append(f"{programme.code} {period.label}: already granted to {already}")
            continue
        report = grant_allowance(
            session, programme_code=programme.code, period=period, now=now, zone=zone
        )
        lines.append(
            f"{programme.code} {period.label}: {report.granted} granted, "
            f"{report.already_granted} already, {report.not_eligible} not eligible"
        )
    return lines
