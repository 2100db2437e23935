"""Benefits follow events: a resident verified, refused, moved, or whose household changed, and a
rule version published, re-evaluate the residents concerned at once, in the transaction of the
event, and credit the current period's allowances they are now owed.

Every credit goes through ``allowances.grant_allowance`` (idempotency key
``grant:{code}:{resident}:{period}``), so the monthly run later credits nobody twice, and a
follow-up after the monthly run credits only who was not credited then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.models import Programme, RuleVersion
from benefits.eligibility.repository import (
    AllowanceGrantRepository,
    ProgrammeRepository,
    ResidentRollRepository,
)
from benefits.eligibility.service.allowances import (
    Candidate,
    GrantReport,
    Period,
    grant_allowance,
    parse_period,
)
from benefits.eligibility.service.city_clock import city_zone
from benefits.eligibility.service.facts import facts_of
from resident_card.residents.events import Change, ResidentChanges
from resident_card.residents.service import records as residents


def current_period(now: datetime, zone: ZoneInfo | None = None) -> Period:
    """The month of the city's calendar that ``now`` falls in."""
    local = now.astimezone(city_zone(zone))
    return parse_period(f"{local.year:04d}-{local.month:02d}", zone)


def residents_concerned(
    session: Session, resident_ids: Sequence[uuid.UUID], change: Change
) -> Sequence[uuid.UUID]:
    """Who a change concerns: the residents themselves, and for a change of household every
    member of their households (its size is a fact their rules may read)."""
    if change == Change.household:
        return ResidentRollRepository(session).with_households(resident_ids)
    return list(dict.fromkeys(resident_ids))


def _candidates(
    session: Session,
    programme: Programme,
    period: Period,
    resident_ids: Iterable[uuid.UUID],
    now: datetime,
    zone: ZoneInfo,
) -> Iterator[Candidate]:
    """Residents not yet credited this period, with their facts now (a credited one is passed
    over before their facts are read)."""
    grants = AllowanceGrantRepository(session)
    for resident_id in resident_ids:
        if grants.find(programme.id, resident_id, period.label) is not None:
            continue
        resident = residents.get_resident(session, resident_id)
        if resident is not None:
            yield resident_id, facts_of(session, resident, now, zone=zone)


def _allowance_programmes(session: Session, now: datetime) -> list[Programme]:
    return [
        programme
        for programme in ProgrammeRepository(session).running(now)
        if programme.allowance_amount is not None
    ]


def reevaluate(
    session: Session,
    resident_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    zone: ZoneInfo | None = None,
    programmes: Sequence[Programme] | None = None,
) -> list[GrantReport]:
    """Judge these residents again for every running allowance programme (or those given) and
    credit the current period's allowance to whoever is now eligible and was not credited yet."""
    zone = city_zone(zone)
    period = current_period(now, zone)
    reports: list[GrantReport] = []
    for programme in programmes if programmes is not None else _allowance_programmes(session, now):
        reports.append(
            grant_allowance(
                session,
                programme_code=programme.code,
                period=period,
                now=now,
                candidates=_candidates(session, programme, period, resident_ids, now, zone),
                zone=zone,
            )
        )
    return reports


def residents_changed(
    session: Session, resident_ids: Sequence[uuid.UUID], change: Change, now: datetime
) -> None:
    """The ``ResidentChanges`` plug-in: what follows a change of residents, at once."""
    reevaluate(session, residents_concerned(session, resident_ids, change), now=now)


def rule_published(
    session: Session,
    programme: Programme,
    version: RuleVersion,
    *,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> GrantReport | None:
    """A rule version in force now, just published: every resident not yet credited this period
    is judged under it, and those it makes eligible are credited (a version that starts later is
    judged by the monthly run of its month)."""
    in_force = version.effective_from <= now and (
        version.effective_to is None or now < version.effective_to
    )
    if programme.allowance_amount is None or not in_force or not programme.is_running(now):
        return None
    every = list(_every_resident(ResidentRollRepository(session)))
    return reevaluate(session, every, now=now, zone=zone, programmes=[programme])[0]


def _every_resident(roll: ResidentRollRepository, page: int = 500) -> Iterator[uuid.UUID]:
    last: uuid.UUID | None = None
    while True:
        ids = roll.ids_after(last, page)
        if not ids:
            return
        yield from ids
        last = ids[-1]


FOLLOW_UPS = ResidentChanges(changed=residents_changed)
