"""Periodic allowances: a month's grant to every eligible resident from the programme's issuance
account, and its expiry when the month is over; each once per resident and period."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    InvalidPeriod,
    NoAllowance,
    PeriodNotOpen,
    PeriodNotOver,
    ProgrammeNotActive,
    ProgrammeNotFound,
)
from benefits.eligibility.models import AllowanceGrant, BenefitUnit, Decision, Programme
from benefits.eligibility.repository import (
    AllowanceGrantRepository,
    DecisionRepository,
    ProgrammeRepository,
    ResidentRollRepository,
    RuleVersionRepository,
)
from benefits.eligibility.service.city_clock import city_zone, show_moment
from benefits.eligibility.service.decisions import judge, new_decision
from benefits.eligibility.service.facts import facts_of
from benefits.ledger.models import Account, OwnerType
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from kernel import notices
from kernel.i18n import LANGUAGES, Text, month_text
from kernel.notices import Category, Notice
from resident_card.residents.service import records as residents

ISSUANCE_PURPOSE = "issuance"
ROLL_PAGE = 500
Candidate = tuple[uuid.UUID, Mapping[str, object]]


@dataclass(frozen=True)
class Period:
    """A month of the city's calendar, ``2026-12``: from its first midnight to the next month's."""

    label: str
    start: datetime
    end: datetime

    @property
    def last_moment(self) -> datetime:
        """The period's last instant: what expires at its end is taken back then."""
        return self.end - timedelta(microseconds=1)


def parse_period(text: str, zone: ZoneInfo | None = None) -> Period:
    """A month (``YYYY-MM``) on the city's calendar, or ``invalid_period``."""
    zone = city_zone(zone)
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise InvalidPeriod(problem=f"{text[:20]!r}: expected a month as YYYY-MM")
    year, month = int(match[1]), int(match[2])
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return Period(
        label=f"{year:04d}-{month:02d}",
        start=datetime(year, month, 1, tzinfo=zone).astimezone(UTC),
        end=datetime(*following, 1, tzinfo=zone).astimezone(UTC),
    )


def _allowance_programme(session: Session, code: str) -> tuple[Programme, str, int]:
    """The programme, locked (one grant or expiry run at a time), its unit and allowance."""
    programme = ProgrammeRepository(session).by_code_for_update(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    if programme.allowance_amount is None or programme.unit is None:
        raise NoAllowance(programme=code)
    return programme, programme.unit, programme.allowance_amount


def _unit_of(programme: Programme) -> str:
    if programme.unit is None:
        raise NoAllowance(programme=programme.code)
    return programme.unit


def issuance_account(session: Session, programme: Programme) -> Account:
    """Where a programme's allowances come from: its own account, which may go below zero."""
    return get_or_create_account(
        session,
        owner_type=OwnerType.programme,
        owner_id=programme.id,
        purpose=ISSUANCE_PURPOSE,
        unit=_unit_of(programme),
        allow_negative=True,
    )


def allowance_account(session: Session, programme: Programme, resident_id: uuid.UUID) -> Account:
    """A resident's account for a programme's allowance; it may not go below zero."""
    return get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=resident_id,
        purpose=programme.code,
        unit=_unit_of(programme),
    )


def resident_count(session: Session) -> int:
    return ResidentRollRepository(session).count()


def resident_candidates(
    session: Session, *, on: datetime, zone: ZoneInfo | None = None
) -> Iterator[Candidate]:
    """Every resident of the city with their facts at a moment, read a page of ids at a time."""
    roll = ResidentRollRepository(session)
    last: uuid.UUID | None = None
    while True:
        ids = roll.ids_after(last, ROLL_PAGE)
        if not ids:
            return
        for resident_id in ids:
            resident = residents.get_resident(session, resident_id)
            if resident is not None:
                yield resident_id, facts_of(session, resident, on, zone=zone)
        last = ids[-1]


def granted_in_period(session: Session, programme: Programme, period: Period) -> int:
    """How many residents a programme's allowance was credited to for a period so far."""
    return AllowanceGrantRepository(session).count_of_period(programme.id, period.label)


@dataclass
class GrantReport:
    programme: str
    period: str
    unit: str
    amount: int
    granted: int = 0
    already_granted: int = 0
    not_eligible: int = 0
    granted_to: list[uuid.UUID] = field(default_factory=list)


def grant_allowance(
    session: Session,
    *,
    programme_code: str,
    period: Period | str,
    now: datetime,
    candidates: Iterable[Candidate] | None = None,
    zone: ZoneInfo | None = None,
) -> GrantReport:
    """Credit the period's allowance to every eligible resident, once per resident and period.

    Each resident gets a stored decision (a refusal already stored this period, for the same rule
    version and facts, is not stored again); an eligible one gets a ledger transaction from the
    programme's issuance account (idempotency key ``grant:{code}:{resident}:{period}``, reference
    ``decision:<id>``). Run again, it credits nobody twice. ``candidates`` defaults to every
    resident with their facts today; only during the period itself.
    """
    zone = city_zone(zone)
    if isinstance(period, str):
        period = parse_period(period, zone)
    programme, unit, amount = _allowance_programme(session, programme_code)
    if not programme.is_running(now):
        raise ProgrammeNotActive(programme=programme_code)
    if not period.start <= now < period.end:
        raise PeriodNotOpen(
            period=period.label,
            start=show_moment(period.start, zone),
            end=show_moment(period.end, zone),
        )
    version = RuleVersionRepository(session).at(programme.id, now)
    issuance = issuance_account(session, programme)
    grants = AllowanceGrantRepository(session)
    decisions = DecisionRepository(session)
    report = GrantReport(programme_code, period.label, unit, amount)
    if candidates is None:
        candidates = resident_candidates(session, on=now, zone=zone)
    for resident_id, facts in candidates:
        if grants.find(programme.id, resident_id, period.label) is not None:
            report.already_granted += 1
            continue
        evaluation = judge(programme, version, facts, now)
        if not evaluation.eligible:
            report.not_eligible += 1
            # A rerun in the same period stores a refusal again only if something changed.
            earlier = decisions.latest(programme.id, resident_id, period.start)
            if not (
                earlier is not None
                and not earlier.eligible
                and earlier.rule_version_id == (version.id if version is not None else None)
                and earlier.facts == evaluation.facts_used
            ):
                decisions.add(new_decision(programme, version, resident_id, evaluation, now))
            continue
        decision = decisions.add(new_decision(programme, version, resident_id, evaluation, now))
        credit_allowance(
            session,
            programme,
            resident_id=resident_id,
            period=period,
            decision=decision,
            reference=decision.reference,
            now=now,
            issuance=issuance,
        )
        report.granted_to.append(resident_id)
        report.granted += 1
    return report


_MINUTES_TITLE: Text = {
    "he": "דקות חניה חינם",
    "ar": "دقائق وقوف مجانية",
    "en": "Free parking minutes",
}
_MINUTES_BODY: Text = {
    "he": "{name}: {programme} לחודש {period}: {amount} דקות, כבר בארנק.",
    "ar": "{name}: {programme} لشهر {period}: {amount} دقيقة، موجودة الآن في المحفظة.",
    "en": "{name}: {programme} for {period}: {amount} minutes, now in the wallet.",
}


def credit_allowance(
    session: Session,
    programme: Programme,
    *,
    resident_id: uuid.UUID,
    period: Period,
    decision: Decision,
    reference: str,
    now: datetime,
    issuance: Account | None = None,
) -> AllowanceGrant | None:
    """Credit one resident the period's allowance on an eligible decision, once per resident and
    period (``None``: already credited), and tell them.

    The idempotency key is ``grant:{code}:{resident}:{period}`` whoever credits it (the monthly
    run, a change of the resident's, an appeal), so no path credits a period twice; ``reference``
    names what caused it (``decision:<id>``, ``appeal:<id>``)."""
    grants = AllowanceGrantRepository(session)
    if grants.find(programme.id, resident_id, period.label) is not None:
        return None
    amount = programme.allowance_amount
    if amount is None:
        raise NoAllowance(programme=programme.code)
    if issuance is None:
        issuance = issuance_account(session, programme)
    account = allowance_account(session, programme, resident_id)
    transaction = post_transaction(
        session,
        idempotency_key=f"grant:{programme.code}:{resident_id}:{period.label}",
        kind="grant",
        postings=[PostingInput(issuance.id, -amount), PostingInput(account.id, amount)],
        reference=reference,
        metadata={"programme": programme.code, "period": period.label},
        now=now,
    )
    grant = grants.add(
        AllowanceGrant(
            programme_id=programme.id,
            resident_id=resident_id,
            period=period.label,
            amount=amount,
            unit=_unit_of(programme),
            decision_id=decision.id,
            transaction_id=transaction.id,
            created_at=now,
        )
    )
    _tell_granted(session, programme, resident_id, period, amount)
    return grant


def _tell_granted(
    session: Session, programme: Programme, resident_id: uuid.UUID, period: Period, amount: int
) -> None:
    """Free minutes granted: a notice to the resident's account (a ward's guardians'), once per
    resident, programme and period."""
    if programme.unit != BenefitUnit.PARKING_MIN:
        return
    resident = residents.get_resident(session, resident_id)
    if resident is None:
        return
    month = month_text(*(int(part) for part in period.label.split("-")))
    body: Text = {
        language: _MINUTES_BODY[language].format(
            name=resident.first_name,
            amount=amount,
            programme=programme.names[language],
            period=month[language],
        )
        for language in LANGUAGES
    }  # type: ignore[assignment]
    for account_id in ResidentRollRepository(session).accounts_to_tell(resident_id):
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.free_time,
                title=_MINUTES_TITLE,
                body=body,
                link="/wallet#balances",
                key=f"free_time:{programme.code}:{resident_id}:{period.label}",
            ),
        )


@dataclass
class ExpiryReport:
    programme: str
    period: str
    unit: str
    expired: int = 0
    amount_expired: int = 0
    nothing_left: int = 0
    already_expired: int = 0


def expire_allowance(
    session: Session,
    *,
    programme_code: str,
    period: Period | str,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> ExpiryReport:
    """Take back what each resident left unused of a period's allowance, once the period is over.

    What expires is the least of: the period's grant, the resident's balance at the period's last
    instant, and what they have available now (so no account ever goes below zero). Each is an
    ``expiry`` transaction back to the issuance account, effective at that last instant
    (idempotency key ``expire:{code}:{resident}:{period}``). Run again, it takes nothing twice.
    """
    zone = city_zone(zone)
    if isinstance(period, str):
        period = parse_period(period, zone)
    programme, unit, _amount = _allowance_programme(session, programme_code)
    if now < period.end:
        raise PeriodNotOver(period=period.label, end=show_moment(period.end, zone))
    issuance = issuance_account(session, programme)
    report = ExpiryReport(programme_code, period.label, unit)
    for grant in AllowanceGrantRepository(session).of_period_for_update(programme.id, period.label):
        if grant.expired_at is not None:
            report.already_expired += 1
            continue
        account = allowance_account(session, programme, grant.resident_id)
        at_end = get_balance(session, account.id, as_of=period.last_moment, now=now)
        current = get_balance(session, account.id, now=now)
        left = max(0, min(grant.amount, at_end.available, current.available))
        if left:
            transaction = post_transaction(
                session,
                idempotency_key=f"expire:{programme.code}:{grant.resident_id}:{period.label}",
                kind="expiry",
                postings=[PostingInput(account.id, -left), PostingInput(issuance.id, left)],
                reference=f"decision:{grant.decision_id}",
                metadata={"programme": programme.code, "period": period.label},
                effective_at=period.last_moment,
                now=now,
            )
            grant.expiry_transaction_id = transaction.id
            report.expired += 1
            report.amount_expired += left
        else:
            report.nothing_left += 1
        grant.expired_amount = left
        grant.expired_at = now
    session.flush()
    return report
