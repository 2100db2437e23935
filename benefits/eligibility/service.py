"""Programmes, dated rule versions, and decisions that say why. Never commits: the caller does.

Ranges are half-open everywhere: a programme runs, and a rule version is in force, from its start
up to (not including) its end; ``None`` as an end means open-ended. A day given without a time is
that day's midnight on the city's clock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    DecisionNotFound,
    InvalidPeriod,
    InvalidRule,
    NoAllowance,
    PeriodNotOpen,
    PeriodNotOver,
    ProgrammeExists,
    ProgrammeNotActive,
    ProgrammeNotFound,
    ProgrammeRetired,
    RuleGap,
    RuleOverlap,
    RuleVersionNotFound,
    RuleVersionRetired,
)
from benefits.eligibility.models import (
    AllowanceGrant,
    Decision,
    Programme,
    ProgrammeStatus,
    RuleVersion,
)
from benefits.eligibility.repository import (
    AllowanceGrantRepository,
    DecisionRepository,
    ProgrammeRepository,
    ResidentRollRepository,
    RuleVersionRepository,
)
from benefits.eligibility.rules import Evaluation, Reason, check_rule, evaluate
from benefits.eligibility.schemas import (
    ProgrammeCreate,
    ProgrammeDefinition,
    RuleDefinition,
    RuleTestCase,
    RuleTestFile,
    RuleVersionCreate,
)
from benefits.ledger import service as ledger
from benefits.ledger.models import Account, OwnerType
from benefits.ledger.service import PostingInput
from resident_card.audit import service as audit
from resident_card.cards.summary import BenefitLine
from resident_card.errors import describe_validation
from resident_card.i18n import Text
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents
from resident_card.settings import get_settings

__all__ = [
    "PROGRAMMES_FOLDER",
    "Evaluation",
    "LoadReport",
    "check_rule",
    "create_programme",
    "create_rule_version",
    "decide",
    "evaluate",
    "expire_allowance",
    "facts_of",
    "get_decision",
    "get_programme",
    "get_rule_version",
    "grant_allowance",
    "is_eligible",
    "list_decisions",
    "list_programmes",
    "list_rule_versions",
    "load_programmes",
    "parse_period",
    "register_fact_source",
    "retire_programme",
    "retire_rule_version",
    "rule_version_at",
    "running_programmes",
]

PROGRAMMES_FOLDER = Path(__file__).resolve().parent / "programmes"


# --- the city's clock -------------------------------------------------------------------------------


def city_zone(zone: ZoneInfo | None = None) -> ZoneInfo:
    """The city's time zone: the one given, else the configured one."""
    return zone if zone is not None else ZoneInfo(get_settings().city_time_zone)


def to_moment(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A UTC moment: a day is its midnight on the city's clock, and so is a time without an offset."""
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def show_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A moment as a clerk reads it: the city's local date and time; ``…`` for open-ended."""
    if value is None:
        return "…"
    local = value.astimezone(zone)
    return (
        local.strftime("%Y-%m-%d") if local.time() == time(0) else local.strftime("%Y-%m-%d %H:%M")
    )


# --- a resident's facts -----------------------------------------------------------------------------

# Facts other packages know about a resident (parking: vehicles, the zone, permits held), which
# ``benefits`` cannot import. A package registers its source when its service module is imported
# (the app factory imports every enabled domain), as the card's wallet lines are registered with
# ``resident_card.cards.summary``; the facts it returns must be registered facts (``register_fact``).
FactSource = Callable[[Session, Resident, datetime], Mapping[str, object]]

_fact_sources: list[FactSource] = []


def register_fact_source(source: FactSource) -> FactSource:
    """Add a source of facts about a resident (once; registering again changes nothing).

    ``source(session, resident, at)`` answers the facts it knows at the moment ``at``.
    Usable as a decorator.
    """
    if source not in _fact_sources:
        _fact_sources.append(source)
    return source


def unregister_fact_source(source: FactSource) -> None:
    """Remove a source (tests, and a domain switched off)."""
    if source in _fact_sources:
        _fact_sources.remove(source)


def facts_of(
    session: Session, resident: Resident, on: datetime, *, zone: ZoneInfo | None = None
) -> dict[str, object]:
    """Every fact the rules may read about a resident at the moment ``on``: the resident's own
    (age, residency, neighbourhood, household… on that day of the city's calendar) and those of
    every registered source. Use it wherever a decision is made for a resident, so no programme
    is judged without the facts its rule names."""
    facts = residents.resident_facts(session, resident, on.astimezone(city_zone(zone)).date())
    for source in _fact_sources:
        facts.update(source(session, resident, on))
    return facts


# --- programmes -----------------------------------------------------------------------------------


def _programme_snapshot(programme: Programme) -> dict[str, Any]:
    return {
        "code": programme.code,
        "names": dict(programme.names),
        "unit": programme.unit,
        "allowance_amount": programme.allowance_amount,
        "allowance_period": programme.allowance_period,
        "active_from": programme.active_from.isoformat(),
        "active_to": programme.active_to.isoformat() if programme.active_to else None,
        "status": programme.status,
    }


def create_programme(
    session: Session,
    data: ProgrammeCreate,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> Programme:
    """Add a programme (no rule yet: until it has one, nobody is eligible)."""
    zone = city_zone(zone)
    repository = ProgrammeRepository(session)
    if repository.by_code(data.code) is not None:
        raise ProgrammeExists(programme=data.code)
    active_from = to_moment(data.active_from, zone) if data.active_from is not None else now
    active_to = to_moment(data.active_to, zone) if data.active_to is not None else None
    if active_to is not None and active_to <= active_from:
        raise InvalidPeriod(problem="active_to must come after active_from")
    programme = repository.add(
        Programme(
            code=data.code,
            names=data.names.model_dump(),
            descriptions=data.descriptions.model_dump(),
            unit=data.unit.value if data.unit is not None else None,
            allowance_amount=data.allowance.amount if data.allowance is not None else None,
            allowance_period=data.allowance.period.value if data.allowance is not None else None,
            active_from=active_from,
            active_to=active_to,
            status=ProgrammeStatus.active.value,
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.create",
        subject_type="programme",
        subject_id=programme.id,
        after=_programme_snapshot(programme),
    )
    return programme


def get_programme(session: Session, code: str) -> Programme:
    programme = ProgrammeRepository(session).by_code(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    return programme


def list_programmes(
    session: Session, *, status: ProgrammeStatus | None = None
) -> Sequence[Programme]:
    return ProgrammeRepository(session).list(status=status)


def running_programmes(session: Session, *, now: datetime) -> Sequence[Programme]:
    """The programmes that are active and within their dates at this moment."""
    return ProgrammeRepository(session).running(now)


def retire_programme(
    session: Session, code: str, *, actor_id: uuid.UUID | None, now: datetime, reason: str = ""
) -> Programme:
    """Stop a programme: nobody is eligible from now on; its history stays."""
    programme = ProgrammeRepository(session).by_code_for_update(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    if programme.status == ProgrammeStatus.retired:
        raise ProgrammeRetired(programme=code)
    before = _programme_snapshot(programme)
    programme.status = ProgrammeStatus.retired.value
    programme.retired_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.retire",
        subject_type="programme",
        subject_id=programme.id,
        before=before,
        after=_programme_snapshot(programme),
        reason=reason or None,
    )
    return programme


# --- rule versions --------------------------------------------------------------------------------


def _version_snapshot(programme: Programme, version: RuleVersion) -> dict[str, Any]:
    return {
        "programme": programme.code,
        "version": version.version,
        "rule": version.rule,
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        "retired_at": version.retired_at.isoformat() if version.retired_at else None,
    }


def _overlaps(
    start: datetime, end: datetime | None, other_start: datetime, other_end: datetime | None
) -> bool:
    return (end is None or other_start < end) and (other_end is None or start < other_end)


def create_rule_version(
    session: Session,
    code: str,
    data: RuleVersionCreate,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> RuleVersion:
    """Add a rule version. The version open at its start is closed there; any other overlap is
    ``rule_overlap``; a gap before it (or after it, when it ends) is ``rule_gap`` unless allowed."""
    zone = city_zone(zone)
    programmes = ProgrammeRepository(session)
    programme = programmes.by_code_for_update(code)  # one change to a programme's rules at a time
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    if programme.status == ProgrammeStatus.retired:
        raise ProgrammeRetired(programme=code)
    check_rule(data.rule)
    start = to_moment(data.effective_from, zone) if data.effective_from is not None else now
    end = to_moment(data.effective_to, zone) if data.effective_to is not None else None
    if end is not None and end <= start:
        raise InvalidPeriod(problem="effective_to must come after effective_from")

    repository = RuleVersionRepository(session)
    existing = list(repository.non_empty(programme.id))
    to_close = next(
        (v for v in existing if v.effective_to is None and v.effective_from < start), None
    )

    def end_of(version: RuleVersion) -> datetime | None:
        return start if version is to_close else version.effective_to

    for version in existing:
        if _overlaps(start, end, version.effective_from, end_of(version)):
            raise RuleOverlap(
                version=version.version,
                start=show_moment(version.effective_from, zone),
                end=show_moment(version.effective_to, zone),
            )
    if not data.allow_gap:
        before = [v for v in existing if v.effective_from < start]
        if before:
            previous_end = end_of(before[-1])
            if previous_end is not None and previous_end < start:
                raise RuleGap(start=show_moment(previous_end, zone), end=show_moment(start, zone))
        if end is not None:
            after = [v for v in existing if v.effective_from >= end]
            if after and after[0].effective_from > end:
                raise RuleGap(
                    start=show_moment(end, zone), end=show_moment(after[0].effective_from, zone)
                )

    if to_close is not None:
        closed_before = _version_snapshot(programme, to_close)
        to_close.effective_to = start
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            action="programme_rule.close",
            subject_type="programme_rule_version",
            subject_id=to_close.id,
            before=closed_before,
            after=_version_snapshot(programme, to_close),
        )
    version = repository.add(
        RuleVersion(
            programme_id=programme.id,
            version=repository.newest_number(programme.id) + 1,
            rule=data.rule,
            effective_from=start,
            effective_to=end,
            note=data.note or None,
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="programme_rule.create",
        subject_type="programme_rule_version",
        subject_id=version.id,
        after=_version_snapshot(programme, version),
        reason=data.note or None,
    )
    return version


def list_rule_versions(session: Session, code: str) -> Sequence[RuleVersion]:
    return RuleVersionRepository(session).of(get_programme(session, code).id)


def get_rule_version(session: Session, code: str, version: int) -> RuleVersion:
    programme = get_programme(session, code)
    found = RuleVersionRepository(session).by_number(programme.id, version)
    if found is None:
        raise RuleVersionNotFound(programme=code, version=version)
    return found


def retire_rule_version(
    session: Session,
    code: str,
    version: int,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    reason: str = "",
) -> RuleVersion:
    """Withdraw a rule version: it stops now (one that had not begun never applies). The decisions
    made under it keep pointing at it; nothing takes its place unless a new version is added."""
    programme = ProgrammeRepository(session).by_code_for_update(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    found = RuleVersionRepository(session).by_number(programme.id, version)
    if found is None:
        raise RuleVersionNotFound(programme=code, version=version)
    if found.retired_at is not None:
        raise RuleVersionRetired(version=version)
    before = _version_snapshot(programme, found)
    stop = now if found.effective_to is None else min(found.effective_to, now)
    found.effective_to = max(found.effective_from, stop)
    found.retired_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="programme_rule.retire",
        subject_type="programme_rule_version",
        subject_id=found.id,
        before=before,
        after=_version_snapshot(programme, found),
        reason=reason or None,
    )
    return found


def rule_version_at(
    session: Session, programme: Programme | str, at: datetime
) -> RuleVersion | None:
    """The rule version in force at a moment, or ``None`` when no rule applies then."""
    if isinstance(programme, str):
        programme = get_programme(session, programme)
    return RuleVersionRepository(session).at(programme.id, at)


# --- decisions -----------------------------------------------------------------------------------

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


def _judge(
    programme: Programme, version: RuleVersion | None, facts: Mapping[str, object], now: datetime
) -> Evaluation:
    if not programme.is_running(now):
        reason = Reason("", "programme", "fail", _NOT_RUNNING)
        return Evaluation(eligible=False, outcome="fail", reasons=(reason,), facts_used={})
    if version is None:
        reason = Reason("", "programme", "fail", _NO_RULE)
        return Evaluation(eligible=False, outcome="fail", reasons=(reason,), facts_used={})
    return evaluate(version.rule, facts)


def _decision(
    programme: Programme,
    version: RuleVersion | None,
    resident_id: uuid.UUID,
    evaluation: Evaluation,
    now: datetime,
) -> Decision:
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
    transaction it causes should carry ``decision.reference`` (``decision:<id>``).
    """
    programme = get_programme(session, programme_code)
    version = (
        RuleVersionRepository(session).at(programme.id, now) if programme.is_running(now) else None
    )
    decision = _decision(
        programme, version, resident_id, _judge(programme, version, facts, now), now
    )
    if record:
        DecisionRepository(session).add(decision)
    return decision


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
        evaluation = _judge(programme, version, facts, now)
        assessments.append(
            Assessment(
                programme, version, _decision(programme, version, resident_id, evaluation, now)
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


# --- programme files ---------------------------------------------------------------------------------


class ProgrammeFileError(Exception):
    """A programme file or rule-test file that cannot be read; the message names the file."""


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProgrammeFileError(f"{path}: cannot be read: {exc}") from exc


def read_programme_file(path: Path) -> ProgrammeDefinition:
    """A programme file, checked: its shape, and every rule in it."""
    try:
        definition = ProgrammeDefinition.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ProgrammeFileError(f"{path}: {describe_validation(exc.errors())}") from exc
    for index, rule in enumerate(definition.rules):
        try:
            check_rule(rule.rule)
        except InvalidRule as exc:
            raise ProgrammeFileError(
                f"{path}: rules[{index}].rule: {exc.problem.describe('en')}"
            ) from exc
    return definition


def read_programme_files(folder: Path | None = None) -> dict[str, tuple[Path, ProgrammeDefinition]]:
    """Every programme file in a folder (``*.yaml``, not recursive), by programme code."""
    found: dict[str, tuple[Path, ProgrammeDefinition]] = {}
    for path in sorted((folder or PROGRAMMES_FOLDER).glob("*.yaml")):
        definition = read_programme_file(path)
        if definition.code in found:
            raise ProgrammeFileError(
                f"{path}: programme {definition.code} is also defined in {found[definition.code][0]}"
            )
        found[definition.code] = (path, definition)
    return found


def find_programme_file(code: str, folders: Sequence[Path]) -> ProgrammeDefinition | None:
    """The programme file defining ``code`` in the first of these folders that has one.

    Other YAML files there (rule tests, say) are passed over without being read as programmes.
    """
    for folder in dict.fromkeys(f.resolve() for f in folders):
        for candidate in sorted(folder.glob("*.yaml")):
            content = _read_yaml(candidate)
            if isinstance(content, dict) and content.get("code") == code:
                return read_programme_file(candidate)
    return None


@dataclass
class LoadReport:
    """What ``load_programmes`` did: programmes and rule versions added, and what was already there."""

    programmes_created: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_programmes(
    session: Session,
    folder: Path | None = None,
    *,
    now: datetime,
    zone: ZoneInfo | None = None,
    actor_id: uuid.UUID | None = None,
) -> LoadReport:
    """Load the programme files of a folder (default: the shipped ones). Idempotent: a programme
    already there is kept as the city has it; only rule versions it lacks (by start) are added."""
    zone = city_zone(zone)
    report = LoadReport()
    repository = ProgrammeRepository(session)
    for code, (_path, definition) in read_programme_files(folder).items():
        programme = repository.by_code(code)
        if programme is None:
            programme = create_programme(
                session, definition.programme(), actor_id=actor_id, now=now, zone=zone
            )
            report.programmes_created.append(code)
        elif programme.status == ProgrammeStatus.retired:
            report.unchanged.append(code)
            continue
        starts = {v.effective_from for v in RuleVersionRepository(session).of(programme.id)}
        added = False
        for rule in definition.rules:
            if to_moment(rule.effective_from, zone) in starts:
                continue
            version = create_rule_version(
                session,
                code,
                RuleVersionCreate(
                    rule=rule.rule,
                    effective_from=rule.effective_from,
                    effective_to=rule.effective_to,
                    allow_gap=rule.allow_gap,
                    note=rule.note,
                ),
                actor_id=actor_id,
                now=now,
                zone=zone,
            )
            report.versions_created.append(f"{code} v{version.version}")
            added = True
        if not added and code not in report.programmes_created:
            report.unchanged.append(code)
    return report


# --- rule tests (OpenFisca-style YAML files of cases) ---------------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    """One case of a rule-test file: what was expected, what the rule said, and why."""

    name: str
    expected: Literal["eligible", "not_eligible"]
    actual: Literal["eligible", "not_eligible"]
    evaluation: Evaluation
    missing_reasons: tuple[str | dict[str, Any], ...]

    @property
    def passed(self) -> bool:
        return self.expected == self.actual and not self.missing_reasons


@dataclass(frozen=True)
class RuleTestResult:
    """One rule-test file: its cases, or the reason it could not be run."""

    path: Path
    programme: str | None
    cases: tuple[CaseResult, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(case.passed for case in self.cases)


def _rule_in_force(
    definition: ProgrammeDefinition, at: datetime | None, zone: ZoneInfo
) -> RuleDefinition | None:
    rules = sorted(definition.rules, key=lambda rule: to_moment(rule.effective_from, zone))
    if at is None:
        return rules[-1]
    chosen: RuleDefinition | None = None
    for index, rule in enumerate(rules):
        start = to_moment(rule.effective_from, zone)
        if rule.effective_to is not None:
            end: datetime | None = to_moment(rule.effective_to, zone)
        else:
            end = (
                to_moment(rules[index + 1].effective_from, zone) if index + 1 < len(rules) else None
            )
        if start <= at and (end is None or at < end):
            chosen = rule
    return chosen


def _reason_matches(expected: str | dict[str, Any], reason: Reason) -> bool:
    if isinstance(expected, str):
        return expected.strip() in reason.text.values()
    given = reason.as_json()
    for key, value in expected.items():
        if key == "text":
            if value not in reason.text.values():
                return False
        elif key not in given or given[key] != value:
            return False
    return True


def _run_case(case: RuleTestCase, rule: dict[str, Any]) -> CaseResult:
    evaluation = evaluate(rule, case.facts)
    missing = tuple(
        expected
        for expected in case.reasons or ()
        if not any(_reason_matches(expected, reason) for reason in evaluation.reasons)
    )
    return CaseResult(
        name=case.name,
        expected=case.expect,
        actual="eligible" if evaluation.eligible else "not_eligible",
        evaluation=evaluation,
        missing_reasons=missing,
    )


def run_rule_test_file(
    path: Path,
    *,
    programmes_folder: Path | None = None,
    zone: ZoneInfo | None = None,
) -> RuleTestResult:
    """Run one rule-test file. Its programme's rule is inline, or read from the programme file
    found beside the test file, in its parent folder, or among the shipped programmes."""
    zone = city_zone(zone)
    try:
        tests = RuleTestFile.model_validate(_read_yaml(path))
    except ProgrammeFileError as exc:
        return RuleTestResult(path, None, error=str(exc))
    except ValidationError as exc:
        return RuleTestResult(path, None, error=f"{path}: {describe_validation(exc.errors())}")
    definition: ProgrammeDefinition | None = None
    if tests.rule is None:
        folders = [programmes_folder] if programmes_folder is not None else []
        folders += [path.parent, path.parent.parent, PROGRAMMES_FOLDER]
        try:
            definition = find_programme_file(tests.programme, folders)
        except ProgrammeFileError as exc:
            return RuleTestResult(path, tests.programme, error=str(exc))
        if definition is None:
            return RuleTestResult(
                path,
                tests.programme,
                error=f"{path}: no rule given and no programme file defines {tests.programme}",
            )
    else:
        try:
            check_rule(tests.rule)
        except InvalidRule as exc:
            return RuleTestResult(
                path, tests.programme, error=f"{path}: rule: {exc.problem.describe('en')}"
            )
    results: list[CaseResult] = []
    for case in tests.cases:
        rule: dict[str, Any] = tests.rule or {}
        if definition is not None:
            at = case.at if case.at is not None else tests.at
            chosen = _rule_in_force(
                definition, to_moment(at, zone) if at is not None else None, zone
            )
            if chosen is None:
                return RuleTestResult(
                    path,
                    tests.programme,
                    tuple(results),
                    error=f"{path}: case {case.name!r}: no rule of {tests.programme} is in force then",
                )
            rule = chosen.rule
        results.append(_run_case(case, rule))
    return RuleTestResult(path, tests.programme, tuple(results))


def rule_test_files(paths: Sequence[Path]) -> list[Path]:
    """The rule-test files named, a folder standing for every ``*.yaml`` under it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")))
        else:
            files.append(path)
    return files


# --- periodic allowances ------------------------------------------------------------------------------

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
    return ledger.get_or_create_account(
        session,
        owner_type=OwnerType.programme,
        owner_id=programme.id,
        purpose=ISSUANCE_PURPOSE,
        unit=_unit_of(programme),
        allow_negative=True,
    )


def allowance_account(session: Session, programme: Programme, resident_id: uuid.UUID) -> Account:
    """A resident's account for a programme's allowance; it may not go below zero."""
    return ledger.get_or_create_account(
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


@dataclass
class GrantReport:
    programme: str
    period: str
    unit: str
    amount: int
    granted: int = 0
    already_granted: int = 0
    not_eligible: int = 0


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
        evaluation = _judge(programme, version, facts, now)
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
                decisions.add(_decision(programme, version, resident_id, evaluation, now))
            continue
        decision = decisions.add(_decision(programme, version, resident_id, evaluation, now))
        account = allowance_account(session, programme, resident_id)
        transaction = ledger.post_transaction(
            session,
            idempotency_key=f"grant:{programme.code}:{resident_id}:{period.label}",
            kind="grant",
            postings=[PostingInput(issuance.id, -amount), PostingInput(account.id, amount)],
            reference=decision.reference,
            metadata={"programme": programme.code, "period": period.label},
            now=now,
        )
        grants.add(
            AllowanceGrant(
                programme_id=programme.id,
                resident_id=resident_id,
                period=period.label,
                amount=amount,
                unit=unit,
                decision_id=decision.id,
                transaction_id=transaction.id,
                created_at=now,
            )
        )
        report.granted += 1
    return report


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
        at_end = ledger.get_balance(session, account.id, as_of=period.last_moment, now=now)
        current = ledger.get_balance(session, account.id, now=now)
        left = max(0, min(grant.amount, at_end.available, current.available))
        if left:
            transaction = ledger.post_transaction(
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


# The wallet ------------------------------------------------------------------------------------

_ACCOUNT_LABELS: dict[str, Text] = {
    "cashback": {"he": "החזר כספי", "ar": "استرداد نقدي", "en": "Cashback"},
}


def wallet_lines(session: Session, resident_id: uuid.UUID, now: datetime) -> list[BenefitLine]:
    """The resident's ledger balances, named by their programme, for the card in the wallet."""
    lines: list[BenefitLine] = []
    for account in ledger.accounts_of_owner(session, OwnerType.resident, resident_id):
        programme = ProgrammeRepository(session).by_code(account.purpose)
        if programme is not None:
            label: Text = programme.names
        else:
            label = _ACCOUNT_LABELS.get(
                account.purpose,
                {"he": account.purpose, "ar": account.purpose, "en": account.purpose},
            )
        balance = ledger.get_balance(session, account.id, now=now)
        lines.append(
            BenefitLine(
                code=account.purpose,
                label=label,
                balance=balance.available,
                unit=str(account.unit),
            )
        )
    return lines
