"""Rule tests: OpenFisca-style YAML files of cases, each a resident's facts and the verdict (and
reasons) a programme's rule must give them."""

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
from benefits.eligibility.rules.parsing import check_rule
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
    find_programme_file,
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
        tests = RuleTestFile.model_validate(read_yaml(path))
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
