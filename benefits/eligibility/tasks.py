"""Eligibility's periodic jobs: each month's allowances granted, and the month before expired.

Both run what ``toshav benefits grant`` and ``toshav benefits expire`` run, for every programme
with an allowance, one programme per transaction; both are safe to run again (each resident is
granted or expired once per programme and month).
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import expire_allowance, grant_allowance
from benefits.eligibility.service.programmes import list_programmes, running_programmes
from kernel.schedule import Counts, Job, JobContext, monthly


def _with_allowance(session: Session, *, running_at: JobContext | None = None) -> list[str]:
    programmes = (
        running_programmes(session, now=running_at.now)
        if running_at is not None
        else list_programmes(session)
    )
    return [p.code for p in programmes if p.allowance_amount is not None and p.unit is not None]


def grant_month(context: JobContext) -> Counts:
    """The period's allowance of every running programme to every eligible resident."""
    zone = ZoneInfo(context.settings.city_time_zone)
    counts = {"programmes": 0, "granted": 0, "already_granted": 0, "not_eligible": 0}
    for code in context.transactions(partial(_with_allowance, running_at=context)):
        report = context.transactions(
            partial(
                grant_allowance,
                programme_code=code,
                period=context.period_key,
                now=context.now,
                zone=zone,
            )
        )
        counts["programmes"] += 1
        counts["granted"] += report.granted
        counts["already_granted"] += report.already_granted
        counts["not_eligible"] += report.not_eligible
    return counts


def expire_last_month(context: JobContext) -> Counts:
    """What residents left unused of the month before this one, taken back."""
    zone = ZoneInfo(context.settings.city_time_zone)
    previous = (context.period_start.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    counts = {"programmes": 0, "expired": 0, "amount_expired": 0, "nothing_left": 0}
    for code in context.transactions(_with_allowance):
        report = context.transactions(
            partial(
                expire_allowance, programme_code=code, period=previous, now=context.now, zone=zone
            )
        )
        counts["programmes"] += 1
        counts["expired"] += report.expired
        counts["amount_expired"] += report.amount_expired
        counts["nothing_left"] += report.nothing_left
    return counts


# The grant's period is the calendar month from its first midnight: the period's key is the month
# the grant is for. The expiry follows a few minutes later.
MONTHLY_GRANT = Job("benefits.monthly_grant", monthly(at=time(0, 0)), grant_month)
MONTHLY_EXPIRY = Job("benefits.monthly_expiry", monthly(at=time(0, 10)), expire_last_month)
JOBS = (MONTHLY_GRANT, MONTHLY_EXPIRY)
