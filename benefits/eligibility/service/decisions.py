"""Decisions that say why: whether a resident is eligible for a programme at a moment, under
the rule version then in force, stored append-only when acted on."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import DecisionNotFound, ProgrammeNotFound
from benefits.eligibility.models import Decision, Programme, RuleVersion
from benefits.eligibility.repository import (
    DecisionRepository,
    ProgrammeRepository,
    RuleVersionRepository,
)
from benefits.eligibility.rules.evaluation import Evaluation, Reason, evaluate
from benefits.eligibility.service.programmes import get_programme, running_programmes
from kernel.i18n import Text

_NOT_RUNNING: Text = {
    "he": "התוכנית אינה פעילה במועד זה ✗",
    "ar": "البرنامج غير فعّال في هذا الوقت ✗",
    "en": "the programme is not running at this time ✗",
}
_NO_RULE: Text = {
    "he": "אין כלל זכאות בתוקף במועד זה ✗",
    "ar": "لا توجد قاعدة أهلية سارية في هذا الوقت ✗",
    "en": "no eligibility rule is in force at this time ✗",
}


def judge(
    programme: Programme, version: RuleVersion | None, facts: Mapping[str, object], now: datetime
) -> Evaluation:
    """The verdict on a resident's facts: the rule version's, or a refusal that says the programme
    is not running or no rule is in force."""
    if not programme.is_running(now):
        reason = Reason("", "programme", "fail", _NOT_RUNNING)
        return Evaluation(eligible=False, outcome="fail", reasons=(reason,), facts_used={})
    if version is None:
        reason = Reason("", "programme", "fail", _NO_RULE)
        return Evaluation(eligible=False, outcome="fail", reasons=(reason,), facts_used={})
    return evaluate(version.rule, facts)


def new_decision(
    programme: Programme,
    version: RuleVersion | None,
    resident_id: uuid.UUID,
    evaluation: Evaluation,
    now: datetime,
) -> Decision:
    """A decision, not yet stored: the verdict, the rule version it was made under, and the facts
    it read."""
    return Decision(
        id=uuid.uuid4(),
        programme_id=programme.id,
        rule_version_id=version.id if version is not None else None,
        resident_id=resident_id,
        facts=evaluation.facts_used,
        outcome="eligible" if evaluation.eligible else "not_eligible",
        reasons=[reason.as_json() for reason in evaluation.reasons],
        decided_at=now,
    )


def decide(
    session: Session,
    *,
    programme_code: str,
    resident_id: uuid.UUID,
    facts: Mapping[str, object],
    now: datetime,
    record: bool = True,
) -> Decision:
    """Decide whether a resident is eligible for a programme now, under the rule in force, and why.

    With ``record`` the decision is stored (append-only); either way it has an ``id``, and a ledger
    transaction it causes should carry ``decision.reference`` (``decision:<id>``). Where the rule
    refuses but a clerk granted an appeal not yet acted on, the decision is eligible, with the
    clerk's reason, and names that appeal.
    """
    return decide_under(
        session,
        programme_code=programme_code,
        resident_id=resident_id,
        facts=facts,
        now=now,
        record=record,
    ).decision


@dataclass(frozen=True)
class Decided:
    """A decision and the programme it was made under."""

    programme: Programme
    decision: Decision


def decide_under(
    session: Session,
    *,
    programme_code: str,
    resident_id: uuid.UUID,
    facts: Mapping[str, object],
    now: datetime,
    record: bool = True,
) -> Decided:
    """``decide``, with the programme it read (its names, for a caller that shows them)."""
    found = ProgrammeRepository(session).by_code_with_version_at(programme_code, now)
    if found is None:
        raise ProgrammeNotFound(programme=programme_code)
    programme, in_force = found
    version = in_force if programme.is_running(now) else None
    evaluation = judge(programme, version, facts, now)
    override = None
    if not evaluation.eligible and version is not None and programme.allowance_amount is None:
        # A granted appeal yields its benefit once, through this path (a periodic allowance's
        # appeal is credited when it is granted instead).
        override = DecisionRepository(session).unused_override(programme.id, resident_id)
    if override is not None:
        evaluation = Evaluation(
            eligible=True,
            outcome="pass",
            reasons=tuple(override.reason_list()),
            facts_used=evaluation.facts_used,
        )
    decision = new_decision(programme, version, resident_id, evaluation, now)
    if override is not None:
        decision.appeal_id = override.appeal_id
    if record:
        DecisionRepository(session).add(decision)
    return Decided(programme, decision)


def is_eligible(
    session: Session,
    *,
    programme_code: str,
    resident_id: uuid.UUID,
    facts: Mapping[str, object],
    now: datetime,
    record: bool = False,
) -> bool:
    """Whether a resident is eligible now. Not stored unless asked: to act on it, use ``decide``."""
    return decide(
        session,
        programme_code=programme_code,
        resident_id=resident_id,
        facts=facts,
        now=now,
        record=record,
    ).eligible


@dataclass(frozen=True)
class Assessment:
    """A running programme, the rule version in force, and the (unstored) decision under it."""

    programme: Programme
    version: RuleVersion | None
    decision: Decision


def assess_running(
    session: Session, *, resident_id: uuid.UUID, facts: Mapping[str, object], now: datetime
) -> list[Assessment]:
    """Every running programme and whether the resident is eligible for it now; nothing stored."""
    programmes = running_programmes(session, now=now)
    versions = RuleVersionRepository(session).in_force_for({p.id for p in programmes}, now)
    assessments: list[Assessment] = []
    for programme in programmes:
        version = versions.get(programme.id)
        evaluation = judge(programme, version, facts, now)
        assessments.append(
            Assessment(
                programme, version, new_decision(programme, version, resident_id, evaluation, now)
            )
        )
    return assessments


def get_decision(session: Session, decision_id: uuid.UUID) -> Decision:
    decision = DecisionRepository(session).get(decision_id)
    if decision is None:
        raise DecisionNotFound()
    return decision


def list_decisions(
    session: Session,
    *,
    resident_id: uuid.UUID | None = None,
    programme_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Decision]:
    programme_id = get_programme(session, programme_code).id if programme_code else None
    return DecisionRepository(session).list(
        resident_id=resident_id, programme_id=programme_id, limit=limit, offset=offset
    )


@dataclass(frozen=True)
class DecisionContext:
    """What a list of decisions refers to: their programmes and rule versions, by id."""

    programmes: dict[uuid.UUID, Programme]
    versions: dict[uuid.UUID, RuleVersion]


def decision_context(session: Session, decisions: Sequence[Decision]) -> DecisionContext:
    return DecisionContext(
        programmes=ProgrammeRepository(session).by_ids({d.programme_id for d in decisions}),
        versions=RuleVersionRepository(session).by_ids(
            {d.rule_version_id for d in decisions if d.rule_version_id is not None}
        ),
    )
