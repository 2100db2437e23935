"""Programme files and their rule tests: every shipped file passes, and ``toshav rules test`` says
clearly what failed and why, with an exit status a script can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from benefits.eligibility.service.programme_files import PROGRAMMES_FOLDER, read_programme_files
from benefits.eligibility.service.rule_tests import run_rule_test_file
from toshav.cli import main

SHIPPED_TESTS = sorted((PROGRAMMES_FOLDER / "tests").glob("*.yaml"))
DEMO_PROGRAMMES = {
    "resident_parking_permit",
    "parking_free_minutes",
    "cashback_resident",
    "senior_extra_parking",
}


def test_the_demo_programmes_are_shipped_each_with_its_rule_tests() -> None:
    definitions = read_programme_files()

    assert set(definitions) == DEMO_PROGRAMMES
    assert {path.stem for path in SHIPPED_TESTS} == DEMO_PROGRAMMES
    minutes = definitions["parking_free_minutes"][1]
    senior = definitions["senior_extra_parking"][1]
    assert (minutes.unit, minutes.allowance and minutes.allowance.amount) == ("PARKING_MIN", 120)
    assert (senior.unit, senior.allowance and senior.allowance.amount) == ("PARKING_MIN", 240)
    assert definitions["resident_parking_permit"][1].unit is None


@pytest.mark.parametrize("path", SHIPPED_TESTS, ids=lambda path: path.stem)
def test_every_shipped_rule_test_passes(path: Path) -> None:
    result = run_rule_test_file(path)

    assert result.error is None, result.error
    assert result.cases
    failures = [case.name for case in result.cases if not case.passed]
    assert not failures, failures


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["rules", "test", "--language", "en", *args])
    return result.exit_code, result.output


def test_the_command_passes_the_shipped_tests() -> None:
    code, output = run(str(PROGRAMMES_FOLDER / "tests"))

    assert code == 0, output
    assert "✓ a verified resident aged 67" in output
    assert "0 failed" in output


FAILING = """\
programme: senior_extra_parking
cases:
  - name: a sixty-year-old without a disability
    facts: {residency_status: verified, age: 60, disability: false}
    expect: eligible
    reasons:
      - age 60 ≥ 67 ✓
  - name: a seventy-year-old
    facts: {residency_status: verified, age: 70}
    expect: eligible
"""


def test_a_failing_case_exits_1_with_expected_against_actual_and_the_reasons(
    tmp_path: Path,
) -> None:
    path = tmp_path / "senior.yaml"
    path.write_text(FAILING, encoding="utf-8")

    code, output = run(str(path))

    assert code == 1
    assert "✗ a sixty-year-old without a disability" in output
    assert "- expected: eligible" in output
    assert "+ actual: not eligible" in output
    assert "age 60 ≥ 67 ✗" in output
    assert "disability no = yes ✗" in output
    assert "expected reasons not given:" in output
    assert "- age 60 ≥ 67 ✓" in output
    assert "✓ a seventy-year-old" in output
    assert "2 cases: 1 passed, 1 failed" in output


def test_a_case_is_failed_for_a_reason_not_given_even_with_the_right_outcome(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cashback.yaml"
    path.write_text(
        "programme: cashback_resident\n"
        "cases:\n"
        "  - name: fifteen\n"
        "    facts: {residency_status: verified, age: 15}\n"
        "    expect: not_eligible\n"
        "    reasons: [{fact: residency_status, outcome: fail}]\n",
        encoding="utf-8",
    )

    code, output = run(str(path))

    assert code == 1
    assert "- fact: residency_status, outcome: fail" in output


def test_the_report_speaks_hebrew_by_default(tmp_path: Path) -> None:
    path = tmp_path / "senior.yaml"
    path.write_text(FAILING, encoding="utf-8")

    result = CliRunner().invoke(main, ["rules", "test", str(path)])

    assert result.exit_code == 1
    assert "- צפוי: זכאי" in result.output
    assert "גיל 60 ≥ 67 ✗" in result.output


def test_an_inline_rule_needs_no_programme_file(tmp_path: Path) -> None:
    path = tmp_path / "inline.yaml"
    path.write_text(
        "programme: carmel_pilot\n"
        "rule:\n"
        "  all:\n"
        "    - {fact: neighbourhood, op: in, value: [carmel, hadar]}\n"
        "    - {fact: months_of_residency, op: '>=', value: 6}\n"
        "cases:\n"
        "  - {name: new in carmel, facts: {neighbourhood: carmel, months_of_residency: 2},"
        " expect: not_eligible, reasons: ['months of residency 2 ≥ 6 ✗']}\n"
        "  - {name: settled in hadar, facts: {neighbourhood: hadar, months_of_residency: 30},"
        " expect: eligible}\n",
        encoding="utf-8",
    )

    assert run(str(path))[0] == 0


def test_a_file_can_test_an_older_rule_version_by_date(tmp_path: Path) -> None:
    (tmp_path / "programme.yaml").write_text(
        "code: youth_pass\n"
        "names: {he: כרטיס נוער, ar: بطاقة الشباب, en: Youth pass}\n"
        "active_from: 2026-01-01\n"
        "rules:\n"
        "  - effective_from: 2026-01-01\n"
        "    rule: {fact: age, op: '<', value: 18}\n"
        "  - effective_from: 2026-07-01\n"
        "    rule: {fact: age, op: '<', value: 21}\n",
        encoding="utf-8",
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "youth_pass.yaml").write_text(
        "programme: youth_pass\n"
        "cases:\n"
        "  - {name: nineteen now, facts: {age: 19}, expect: eligible}\n"
        "  - {name: nineteen in spring, at: 2026-03-01, facts: {age: 19}, expect: not_eligible}\n"
        "  - {name: nothing before it began, at: 2025-03-01, facts: {age: 1}, expect: eligible}\n",
        encoding="utf-8",
    )

    code, output = run(str(tests))

    assert code == 2
    assert "✓ nineteen now" in output
    assert "✓ nineteen in spring" in output
    assert "no rule of youth_pass is in force then" in output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("programme: [unclosed\n", "cannot be read"),
        (
            "programme: no_such_programme\ncases: [{name: a, expect: eligible}]\n",
            "no programme file",
        ),
        (
            "programme: x1\nrule: {fact: age, op: '>=', value: '65'}\ncases: [{name: a, expect: eligible}]\n",
            "rule: value: expected int",
        ),
        (
            "programme: x1\nrule: {fact: shoe_size, op: '>=', value: 40}\ncases: [{name: a, expect: eligible}]\n",
            "unknown fact: shoe_size",
        ),
        ("programme: x1\nrule: {all: []}\ncases: [{name: a, expect: maybe}]\n", "cases.0.expect"),
        ("programme: x1\nrule: {all: []}\n", "cases: required"),
    ],
)
def test_a_broken_file_exits_2_saying_what_is_wrong(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")

    code, output = run(str(path))

    assert code == 2
    assert problem in output


def test_a_folder_without_test_files_exits_2(tmp_path: Path) -> None:
    code, output = run(str(tmp_path))
    assert code == 2
    assert "no rule-test files found" in output
