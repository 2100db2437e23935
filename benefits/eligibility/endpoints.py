"""Programmes and their rules for clerks; decisions and the reasons behind them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from benefits.eligibility.exceptions import (
    DecisionNotFound,
    InvalidPeriod,
    InvalidRule,
    NoResidentRecord,
    ProgrammeExists,
    ProgrammeNotFound,
    ProgrammeRetired,
    RuleGap,
    RuleOverlap,
    RuleVersionNotFound,
    RuleVersionRetired,
    UnknownFact,
)
from benefits.eligibility.models import (
    BenefitUnit,
    Decision,
    Programme,
    ProgrammeStatus,
    RuleVersion,
)
from benefits.eligibility.rules.evaluation import Reason, evaluate
from benefits.eligibility.rules.parsing import check_rule
from benefits.eligibility.schemas import (
    Allowance,
    BenefitOut,
    DecisionOut,
    Descriptions,
    MyBenefits,
    ProgrammeCreate,
    ProgrammeOut,
    ProgrammeSummary,
    ReasonOut,
    RetireRequest,
    RuleVersionCreate,
    RuleVersionOut,
    Texts,
)
from benefits.eligibility.service import decisions, programmes, rule_versions
from benefits.eligibility.service.facts import facts_of
from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, responses
from kernel.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language
from kernel.kit.language import asks_for_language, language_of
from kernel.kit.pagination import PaginationQuery
from kernel.settings import AppSettings
from resident_card.accounts import service as accounts
from resident_card.accounts.dependencies import (
    AdminCaller,
    CurrentCaller,
    ResidentCaller,
    StaffReader,
)
from resident_card.residents.exceptions import ResidentNotFound
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

router = APIRouter()

Code = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]


def caller_language(request: Request, caller: CurrentCaller, session: DbSession) -> Language:
    """The caller's language: Accept-Language when sent, else the language their account prefers."""
    if asks_for_language(request):
        return language_of(request)
    preferred = accounts.get_user(session, caller.id).preferred_language
    for language in LANGUAGES:
        if language == preferred:
            return language
    return DEFAULT_LANGUAGE


CallerLanguage = Annotated[Language, Depends(caller_language)]


def _zone(settings: AppSettings) -> ZoneInfo:
    return ZoneInfo(settings.city_time_zone)


# --- shaping answers --------------------------------------------------------------------------------


def programme_out(programme: Programme) -> ProgrammeOut:
    return ProgrammeOut(
        code=programme.code,
        names=Texts.model_validate(programme.names),
        descriptions=Descriptions.model_validate(programme.descriptions),
        unit=BenefitUnit(programme.unit) if programme.unit is not None else None,
        allowance=allowance_out(programme),
        active_from=programme.active_from,
        active_to=programme.active_to,
        status=ProgrammeStatus(programme.status),
        retired_at=programme.retired_at,
        created_at=programme.created_at,
    )


def allowance_out(programme: Programme) -> Allowance | None:
    if programme.allowance_amount is None:
        return None
    return Allowance.model_validate(
        {"amount": programme.allowance_amount, "period": programme.allowance_period}
    )


def version_out(programme: Programme, version: RuleVersion) -> RuleVersionOut:
    return RuleVersionOut(
        programme=programme.code,
        version=version.version,
        rule=version.rule,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        note=version.note,
        retired_at=version.retired_at,
        created_at=version.created_at,
    )


def reason_out(reason: Reason, language: Language) -> ReasonOut:
    return ReasonOut(
        path=reason.path,
        kind=reason.kind,
        outcome=reason.outcome,
        text=reason.text[language],
        expression=reason.expressed[language],
        fact=reason.fact,
        op=reason.op,
        value=reason.value,
        actual=reason.actual,
    )


def decision_out(
    decision: Decision, context: decisions.DecisionContext, language: Language
) -> DecisionOut:
    programme = context.programmes[decision.programme_id]
    version = (
        context.versions.get(decision.rule_version_id)
        if decision.rule_version_id is not None
        else None
    )
    return DecisionOut(
        id=decision.id,
        programme=programme.code,
        rule_version=version.version if version is not None else None,
        resident_id=decision.resident_id,
        outcome="eligible" if decision.eligible else "not_eligible",
        eligible=decision.eligible,
        facts=decision.facts,
        reasons=[reason_out(reason, language) for reason in decision.reason_list()],
        decided_at=decision.decided_at,
        reference=decision.reference,
        appeal_id=decision.appeal_id,
    )


def decisions_out(
    session: DbSession, found: Sequence[Decision], language: Language
) -> list[DecisionOut]:
    context = decisions.decision_context(session, found)
    return [decision_out(decision, context, language) for decision in found]


# --- programmes (clerks change; auditors read) -----------------------------------------------------

ADMIN: list[str | Enum] = ["admin: programmes and rules"]
STAFF_ERRORS = (NotAuthenticated, Forbidden)


@router.post(
    "/admin/programmes",
    tags=ADMIN,
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeOut,
    responses=responses(*STAFF_ERRORS, ProgrammeExists, InvalidPeriod),
)
def create_programme(
    body: ProgrammeCreate, session: DbSession, caller: AdminCaller, now: Now, settings: AppSettings
) -> ProgrammeOut:
    """Create a programme (it has no rule, so nobody is eligible, until a rule version is added)."""
    programme = programmes.create_programme(
        session, body, actor_id=caller.id, now=now, zone=_zone(settings)
    )
    return programme_out(programme)


@router.get(
    "/admin/programmes",
    tags=ADMIN,
    response_model=list[ProgrammeOut],
    responses=responses(*STAFF_ERRORS),
)
def list_programmes(
    session: DbSession, caller: StaffReader, status: ProgrammeStatus | None = None
) -> list[ProgrammeOut]:
    """List the programmes, optionally only active or only retired ones."""
    return [programme_out(p) for p in programmes.list_programmes(session, status=status)]


@router.get(
    "/admin/programmes/{code}",
    tags=ADMIN,
    response_model=ProgrammeOut,
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound),
)
def read_programme(code: Code, session: DbSession, caller: StaffReader) -> ProgrammeOut:
    """Read one programme."""
    return programme_out(programmes.get_programme(session, code))


@router.post(
    "/admin/programmes/{code}/retire",
    tags=ADMIN,
    response_model=ProgrammeOut,
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound, ProgrammeRetired),
)
def retire_programme(
    code: Code, body: RetireRequest, session: DbSession, caller: AdminCaller, now: Now
) -> ProgrammeOut:
    """Retire a programme: from now nobody is eligible for it; its rules and decisions stay."""
    programme = programmes.retire_programme(
        session, code, actor_id=caller.id, now=now, reason=body.reason
    )
    return programme_out(programme)


@router.post(
    "/admin/programmes/{code}/rules",
    tags=ADMIN,
    status_code=status.HTTP_201_CREATED,
    response_model=RuleVersionOut,
    responses=responses(
        *STAFF_ERRORS,
        ProgrammeNotFound,
        ProgrammeRetired,
        InvalidRule,
        UnknownFact,
        RuleOverlap,
        RuleGap,
        InvalidPeriod,
    ),
)
def create_rule_version(
    code: Code,
    body: RuleVersionCreate,
    session: DbSession,
    caller: AdminCaller,
    now: Now,
    settings: AppSettings,
) -> RuleVersionOut:
    """Add a rule version; the version in force at its start is closed there."""
    version = rule_versions.create_rule_version(
        session, code, body, actor_id=caller.id, now=now, zone=_zone(settings)
    )
    return version_out(programmes.get_programme(session, code), version)


@router.get(
    "/admin/programmes/{code}/rules",
    tags=ADMIN,
    response_model=list[RuleVersionOut],
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound),
)
def list_rule_versions(code: Code, session: DbSession, caller: StaffReader) -> list[RuleVersionOut]:
    """List a programme's rule versions, oldest first."""
    programme = programmes.get_programme(session, code)
    return [version_out(programme, v) for v in rule_versions.list_rule_versions(session, code)]


@router.get(
    "/admin/programmes/{code}/rules/{version}",
    tags=ADMIN,
    response_model=RuleVersionOut,
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound, RuleVersionNotFound),
)
def read_rule_version(
    code: Code, version: VersionNumber, session: DbSession, caller: StaffReader
) -> RuleVersionOut:
    """Read one rule version."""
    found = rule_versions.get_rule_version(session, code, version)
    return version_out(programmes.get_programme(session, code), found)


@router.post(
    "/admin/programmes/{code}/rules/{version}/retire",
    tags=ADMIN,
    response_model=RuleVersionOut,
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound, RuleVersionNotFound, RuleVersionRetired),
)
def retire_rule_version(
    code: Code,
    version: VersionNumber,
    body: RetireRequest,
    session: DbSession,
    caller: AdminCaller,
    now: Now,
) -> RuleVersionOut:
    """Withdraw a rule version: it stops now (or never starts); nothing replaces it by itself."""
    found = rule_versions.retire_rule_version(
        session, code, version, actor_id=caller.id, now=now, reason=body.reason
    )
    return version_out(programmes.get_programme(session, code), found)


class RuleTrial(BaseModel):
    """A rule and a resident's facts, to see what the rule would decide."""

    model_config = ConfigDict(extra="forbid")

    rule: dict[str, Any]
    facts: dict[str, JsonValue] = Field(default_factory=dict, max_length=100)


class TrialOut(BaseModel):
    eligible: bool
    outcome: str
    reasons: list[ReasonOut]


@router.post(
    "/admin/rules/evaluate",
    tags=ADMIN,
    response_model=TrialOut,
    responses=responses(*STAFF_ERRORS, InvalidRule, UnknownFact),
)
def try_rule(body: RuleTrial, caller: StaffReader, language: CallerLanguage) -> TrialOut:
    """Try a rule on made-up facts and see its verdict and reasons; nothing is stored."""
    check_rule(body.rule)
    evaluation = evaluate(body.rule, body.facts)
    return TrialOut(
        eligible=evaluation.eligible,
        outcome=evaluation.outcome,
        reasons=[reason_out(reason, language) for reason in evaluation.reasons],
    )


# --- decisions ---------------------------------------------------------------------------------------


@router.get(
    "/admin/decisions",
    tags=["admin: decisions"],
    response_model=list[DecisionOut],
    responses=responses(*STAFF_ERRORS, ProgrammeNotFound),
)
def list_decisions(
    session: DbSession,
    caller: StaffReader,
    language: CallerLanguage,
    pagination: PaginationQuery,
    resident_id: uuid.UUID | None = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
) -> list[DecisionOut]:
    """List stored decisions, newest first, for a resident and/or a programme."""
    found = decisions.list_decisions(
        session,
        resident_id=resident_id,
        programme_code=programme,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return decisions_out(session, found, language)


@router.get(
    "/admin/decisions/{decision_id}",
    tags=["admin: decisions"],
    response_model=DecisionOut,
    responses=responses(*STAFF_ERRORS, DecisionNotFound),
)
def read_decision(
    decision_id: uuid.UUID, session: DbSession, caller: StaffReader, language: CallerLanguage
) -> DecisionOut:
    """Read one decision (a ledger reference ``decision:<id>`` names it)."""
    return decisions_out(session, [decisions.get_decision(session, decision_id)], language)[0]


# --- the resident's own benefits ---------------------------------------------------------------------

RESIDENT: list[str | Enum] = ["benefits"]
ForResident = Annotated[
    uuid.UUID | None,
    Query(description="A ward's resident id, to see their benefits (default: your own)."),
]


def _resident_in_view(
    session: DbSession, caller: ResidentCaller, for_resident: uuid.UUID | None, today: date
) -> Resident:
    """The caller's own resident record, or a ward's they look after; anyone else is not found."""
    own = residents.resident_for_user(session, caller.id)
    if own is None:
        raise NoResidentRecord()
    if for_resident is None or for_resident == own.id:
        return own
    return residents.resident_visible_to(session, own, for_resident, today=today)


def _programme_summary(programme: Programme, language: Language) -> ProgrammeSummary:
    names = Texts.model_validate(programme.names)
    descriptions = Descriptions.model_validate(programme.descriptions)
    return ProgrammeSummary(
        code=programme.code,
        name=getattr(names, language),
        description=getattr(descriptions, language),
        unit=BenefitUnit(programme.unit) if programme.unit is not None else None,
        allowance=allowance_out(programme),
    )


@router.get(
    "/benefits/me",
    tags=RESIDENT,
    response_model=MyBenefits,
    responses=responses(NotAuthenticated, NoResidentRecord, ResidentNotFound),
)
def my_benefits(
    session: DbSession,
    caller: ResidentCaller,
    now: Now,
    settings: AppSettings,
    language: CallerLanguage,
    resident_id: ForResident = None,
) -> MyBenefits:
    """Every running programme, whether you are eligible for it now, and why (or why not)."""
    today = now.astimezone(_zone(settings)).date()
    resident = _resident_in_view(session, caller, resident_id, today)
    facts = facts_of(session, resident, now, zone=_zone(settings))
    assessments = decisions.assess_running(session, resident_id=resident.id, facts=facts, now=now)
    return MyBenefits(
        resident_id=resident.id,
        language=language,
        benefits=[
            BenefitOut(
                programme=_programme_summary(a.programme, language),
                eligible=a.decision.eligible,
                outcome="eligible" if a.decision.eligible else "not_eligible",
                rule_version=a.version.version if a.version is not None else None,
                reasons=[reason_out(r, language) for r in a.decision.reason_list()],
            )
            for a in assessments
        ],
    )


@router.get(
    "/benefits/me/decisions",
    tags=RESIDENT,
    response_model=list[DecisionOut],
    responses=responses(NotAuthenticated, NoResidentRecord, ResidentNotFound, ProgrammeNotFound),
)
def my_decisions(
    session: DbSession,
    caller: ResidentCaller,
    language: CallerLanguage,
    pagination: PaginationQuery,
    resident_id: ForResident = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    *,
    today: Today,
) -> list[DecisionOut]:
    """The decisions made about you (grants, permits, refusals), newest first, with their reasons."""
    resident = _resident_in_view(session, caller, resident_id, today)
    found = decisions.list_decisions(
        session,
        resident_id=resident.id,
        programme_code=programme,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return decisions_out(session, found, language)


@router.get(
    "/benefits/me/decisions/{decision_id}",
    tags=RESIDENT,
    response_model=DecisionOut,
    responses=responses(NotAuthenticated, NoResidentRecord, DecisionNotFound),
)
def my_decision(
    decision_id: uuid.UUID,
    session: DbSession,
    caller: ResidentCaller,
    language: CallerLanguage,
    today: Today,
) -> DecisionOut:
    """One decision about you or a ward of yours: why you were given or refused a benefit."""
    own = residents.resident_for_user(session, caller.id)
    if own is None:
        raise NoResidentRecord()
    decision = decisions.get_decision(session, decision_id)
    if not residents.can_act_for(session, own, decision.resident_id, today=today):
        raise DecisionNotFound()
    return decisions_out(session, [decision], language)[0]
