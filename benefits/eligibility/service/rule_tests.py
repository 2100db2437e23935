"""Rule tests: OpenFisca-style YAML files of cases, each a resident's facts and the verdict (and
reasons) a programme's rule must give them; and the check that the programmes they read give every
condition's reason in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from benefits.eligibility.exceptions import InvalidRule
from benefits.eligibility.rules.evaluation import Evaluation, Reason, evaluate
from benefits.eligibility.rules.parsing import check_rule, parse_rule, unsaid
from benefits.eligibility.rules.wording import condition_text
from benefits.eligibility.schemas import (
    ProgrammeDefinition,
    RuleDefinition,
    RuleTestCase,
    RuleTestFile,
)
from benefits.eligibility.service.city_clock import city_zone, to_moment
from benefits.eligibility.service.programme_files import (
    PROGRAMMES_FOLDER,
    ProgrammeFileError,
    ProgrammeSetAside,
    find_programme_path,
    programme_file_paths,
    read_programme_file,
    read_yaml,
)
from kernel.errors import describe_validation


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
    programme_file: Path | None = None  # where its rule came from, when not given inline

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
    """A string matches a reason's text or expression in any language; a mapping, its fields."""
    said = (*reason.text.values(), *reason.expressed.values())
    if isinstance(expected, str):
        return expected.strip() in said
    given = reason.as_json()
    for key, value in expected.items():
        if key in ("text", "expression"):
            if value not in (reason.text if key == "text" else reason.expressed).values():
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
        tests = RuleTestFile.model_validate(read_yaml(path))
    except ProgrammeFileError as exc:
        return RuleTestResult(path, None, error=str(exc))
    except ValidationError as exc:
        return RuleTestResult(path, None, error=f"{path}: {describe_validation(exc.errors())}")
    definition: ProgrammeDefinition | None = None
    programme_file: Path | None = None
    if tests.rule is None:
        folders = [programmes_folder] if programmes_folder is not None else []
        folders += [path.parent, path.parent.parent, PROGRAMMES_FOLDER]
        try:
            programme_file = find_programme_path(tests.programme, folders)
            if programme_file is not None:
                definition = read_programme_file(programme_file)
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
                    programme_file=programme_file,
                )
            rule = chosen.rule
        results.append(_run_case(case, rule))
    return RuleTestResult(path, tests.programme, tuple(results), programme_file=programme_file)


def rule_test_files(paths: Sequence[Path]) -> list[Path]:
    """The rule-test files named, a folder standing for every ``*.yaml`` under it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")))
        else:
            files.append(path)
    return files


# --- every condition in plain words -----------------------------------------------------------------


@dataclass(frozen=True)
class UnsaidCondition:
    """A condition of a programme file without a sentence for some of its outcomes."""

    path: Path
    programme: str
    where: str  # rules[0].rule.all[3]
    condition: str  # household_parking_permits < 2
    sayings: tuple[str, ...]  # met, unmet, missing

    def describe(self) -> str:
        return f"{self.path}: {self.where} ({self.condition}): {', '.join(self.sayings)}"


@dataclass(frozen=True)
class WordingCheck:
    """What the programme files of some folders lack in sentences, and the files that cannot be
    read."""

    unsaid: tuple[UnsaidCondition, ...] = ()
    errors: tuple[str, ...] = ()


def check_wording(folders: Sequence[Path]) -> WordingCheck:
    """Every programme file in these folders must say each condition's reason in plain words: a
    sentence (he, ar, en) for its met, unmet and missing outcomes. Programmes set aside (facts of a
    domain switched off) are not read."""
    unsaid_found: list[UnsaidCondition] = []
    errors: list[str] = []
    for folder in dict.fromkeys(f.resolve() for f in folders):
        try:
            paths = programme_file_paths(folder)
        except ProgrammeFileError as exc:
            errors.append(str(exc))
            continue
        for path in paths:
            try:
                definition = read_programme_file(path)
            except ProgrammeSetAside:
                continue
            except ProgrammeFileError as exc:
                errors.append(str(exc))
                continue
            for index, rule in enumerate(definition.rules):
                for comparison, sayings in unsaid(parse_rule(rule.rule)):
                    where = f"rules[{index}].rule" + (
                        f".{comparison.path}" if comparison.path else ""
                    )
                    unsaid_found.append(
                        UnsaidCondition(
                            path,
                            definition.code,
                            where,
                            condition_text(comparison.fact, comparison.op, comparison.value),
                            sayings,
                        )
                    )
    return WordingCheck(tuple(unsaid_found), tuple(errors))
