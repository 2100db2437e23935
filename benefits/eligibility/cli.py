"""Commands: ``toshav rules test|load`` and ``toshav benefits grant|expire``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from benefits.eligibility.service.allowances import (
    Candidate,
    expire_allowance,
    grant_allowance,
    resident_candidates,
    resident_count,
)
from benefits.eligibility.service.programme_files import ProgrammeFileError, load_programmes
from benefits.eligibility.service.rule_tests import (
    RuleTestResult,
    WordingCheck,
    check_wording,
    rule_test_files,
    run_rule_test_file,
)
from kernel.clock import SystemClock
from kernel.console import command_settings, language_option, unit_of_work
from kernel.errors import ToshavError
from kernel.i18n import Language, Text

_WORDS: dict[str, Text] = {
    "passed": {"he": "עבר", "ar": "نجح", "en": "passed"},
    "failed": {"he": "נכשל", "ar": "فشل", "en": "failed"},
    "broken": {"he": "קובץ שגוי", "ar": "ملف غير صالح", "en": "broken file"},
    "expected": {"he": "צפוי", "ar": "المتوقع", "en": "expected"},
    "actual": {"he": "בפועל", "ar": "الفعلي", "en": "actual"},
    "eligible": {"he": "זכאי", "ar": "مؤهل", "en": "eligible"},
    "not_eligible": {"he": "לא זכאי", "ar": "غير مؤهل", "en": "not eligible"},
    "reasons": {"he": "נימוקים", "ar": "الأسباب", "en": "reasons"},
    "missing": {
        "he": "נימוקים צפויים שלא ניתנו",
        "ar": "أسباب متوقعة لم تُذكر",
        "en": "expected reasons not given",
    },
    "no_files": {
        "he": "לא נמצאו קובצי בדיקה",
        "ar": "لم يتم العثور على ملفات اختبار",
        "en": "no rule-test files found",
    },
    "cases": {"he": "מקרים", "ar": "حالات", "en": "cases"},
    "unsaid": {
        "he": "תנאים בלי נימוק במילים (says: met, unmet, missing בעברית, בערבית ובאנגלית)",
        "ar": "شروط بلا سبب بالكلمات (says: met وunmet وmissing بالعبرية والعربية والإنجليزية)",
        "en": "conditions without a reason in plain words (says: met, unmet, missing in he, ar, en)",
    },
    "sentences_missing": {
        "he": "תנאים בלי משפטים",
        "ar": "شروط بلا جمل",
        "en": "conditions without sentences",
    },
    "set_aside": {
        "he": "לא נטען: נתונים של תחום שאינו פועל כאן",
        "ar": "لم يُحمَّل: معلومات مجال غير مفعّل هنا",
        "en": "not loaded: facts of a domain not running here",
    },
}


def _word(key: str, language: Language) -> str:
    return _WORDS[key][language]


def _depth(path: str) -> int:
    return path.count("[") + path.split(".").count("not") if path else 0


def _show_expected_reason(expected: object) -> str:
    if isinstance(expected, dict):
        return ", ".join(f"{key}: {value}" for key, value in expected.items())
    return str(expected)


def _report(result: RuleTestResult, language: Language) -> None:
    title = f"{result.path}" + (f" ({result.programme})" if result.programme else "")
    click.echo(title)
    for case in result.cases:
        mark = "✓" if case.passed else "✗"
        click.echo(f"  {mark} {case.name}")
        if case.passed:
            continue
        color = "green" if case.expected == case.actual else "red"
        click.secho(f"      - {_word('expected', language)}: {_word(case.expected, language)}")
        click.secho(
            f"      + {_word('actual', language)}: {_word(case.actual, language)}", fg=color
        )
        click.echo(f"      {_word('reasons', language)}:")
        for reason in case.evaluation.reasons:
            indent = "  " * _depth(reason.path)
            line = reason.expressed[language]
            if reason.text[language] != line:
                line += f" — {reason.text[language]}"
            click.echo(f"        {indent}{line}")
        if case.missing_reasons:
            click.echo(f"      {_word('missing', language)}:")
            for expected in case.missing_reasons:
                click.secho(f"        - {_show_expected_reason(expected)}", fg="red")
    if result.error is not None:
        click.secho(f"  ✗ {_word('broken', language)}: {result.error}", fg="red")


def _report_wording(check: WordingCheck, language: Language) -> None:
    if check.unsaid:
        click.echo(f"{_word('unsaid', language)}:")
        for condition in check.unsaid:
            click.secho(f"  ✗ {condition.describe()}", fg="red")
    for error in check.errors:
        click.secho(f"  ✗ {_word('broken', language)}: {error}", fg="red")


@click.group()
def rules() -> None:
    """Eligibility rules: run their tests, load the programme files."""


@rules.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--programmes",
    "programmes_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Where the programme files are (default: beside the tests, then the shipped ones).",
)
@language_option
def rules_test(paths: tuple[Path, ...], programmes_folder: Path | None, language: Language) -> None:
    """Run rule-test files (YAML; a folder means every *.yaml in it), and check that the
    programme files they read say each condition's reason in plain words (he, ar, en; met,
    unmet and missing).

    Exit status: 0 when every case passes and every sentence is there, 1 when a case fails or a
    sentence is missing, 2 when a file cannot be run.
    """
    files = rule_test_files(list(paths))
    if not files:
        click.echo(_word("no_files", language), err=True)
        raise SystemExit(2)
    results = [run_rule_test_file(path, programmes_folder=programmes_folder) for path in files]
    for result in results:
        _report(result, language)
    folders = [r.programme_file.parent for r in results if r.programme_file is not None]
    wording = check_wording([*folders, *([programmes_folder] if programmes_folder else [])])
    said_broken = {result.error for result in results}
    wording = WordingCheck(
        wording.unsaid, tuple(error for error in wording.errors if error not in said_broken)
    )
    _report_wording(wording, language)
    cases = [case for result in results for case in result.cases]
    passed = sum(case.passed for case in cases)
    failed = len(cases) - passed
    broken = sum(result.error is not None for result in results) + len(wording.errors)
    summary = (
        f"{len(cases)} {_word('cases', language)}: {passed} {_word('passed', language)}, "
        f"{failed} {_word('failed', language)}"
    )
    if wording.unsaid:
        summary += f", {len(wording.unsaid)} {_word('sentences_missing', language)}"
    if broken:
        summary += f", {broken} {_word('broken', language)}"
    ok = not failed and not broken and not wording.unsaid
    click.secho(summary, fg="green" if ok else "red")
    if broken:
        raise SystemExit(2)
    if failed or wording.unsaid:
        raise SystemExit(1)


@rules.command("load")
@click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of programme files (default: the shipped programmes).",
)
@language_option
def rules_load(folder: Path | None, language: Language) -> None:
    """Load programme files into the database; programmes already there are kept as they are.

    A rule version already there that decides as its file does takes the file's sentences
    (``~ code vN``); one that decides otherwise is left alone.
    """
    settings = command_settings()
    try:
        with unit_of_work(settings) as session:
            report = load_programmes(
                session,
                folder,
                now=SystemClock().now(),
                zone=ZoneInfo(settings.city_time_zone),
            )
    except ProgrammeFileError as exc:
        raise click.ClickException(str(exc)) from exc
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc
    for code in report.programmes_created:
        click.echo(f"+ {code}")
    for version in report.versions_created:
        click.echo(f"+ {version}")
    for version in report.versions_reworded:
        click.echo(f"~ {version}")
    for code in report.unchanged:
        click.echo(f"= {code}")
    for code, facts in report.set_aside.items():
        click.echo(f"- {code} ({_word('set_aside', language)}: {', '.join(facts)})")


@click.group()
def benefits() -> None:
    """Periodic allowances: grant them to eligible residents, expire what is unused."""


_GRANT_WORDS: dict[str, Text] = {
    "granting": {"he": "מעניק", "ar": "يمنح", "en": "granting"},
    "granted": {
        "he": "{programme} {period}: {granted} תושבים קיבלו {amount} {unit}; {already} כבר קיבלו; {refused} לא זכאים",
        "ar": "{programme} {period}: حصل {granted} مقيمًا على {amount} {unit}؛ {already} حصلوا سابقًا؛ {refused} غير مؤهلين",
        "en": "{programme} {period}: {granted} residents granted {amount} {unit}; {already} already granted; {refused} not eligible",
    },
    "expired": {
        "he": "{programme} {period}: פגו {total} {unit} אצל {expired} תושבים; ל־{nothing} לא נשאר דבר; {already} כבר טופלו",
        "ar": "{programme} {period}: انتهت صلاحية {total} {unit} لدى {expired} مقيمين؛ لم يتبقَّ شيء لدى {nothing}؛ {already} عولجوا سابقًا",
        "en": "{programme} {period}: {total} {unit} expired from {expired} residents; {nothing} had nothing left; {already} already done",
    },
}


def _say(key: str, language: Language, **params: object) -> str:
    return _GRANT_WORDS[key][language].format(**params)


def _tracked(
    candidates: Iterator[Candidate], advance: Callable[[int], None]
) -> Iterator[Candidate]:
    for candidate in candidates:
        yield candidate
        advance(1)


@benefits.command("grant")
@click.option("--programme", "programme_code", required=True, help="The programme's code.")
@click.option("--period", required=True, help="The month, YYYY-MM (the city's calendar).")
@language_option
def benefits_grant(programme_code: str, period: str, language: Language) -> None:
    """Credit a month's allowance to every eligible resident (safe to run again)."""
    settings = command_settings()
    zone = ZoneInfo(settings.city_time_zone)
    now = SystemClock().now()
    try:
        with unit_of_work(settings) as session:
            total = resident_count(session)
            with click.progressbar(
                length=total, label=_say("granting", language), file=sys.stderr
            ) as bar:
                report = grant_allowance(
                    session,
                    programme_code=programme_code,
                    period=period,
                    now=now,
                    candidates=_tracked(
                        resident_candidates(session, on=now, zone=zone),
                        bar.update,
                    ),
                    zone=zone,
                )
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc
    click.echo(
        _say(
            "granted",
            language,
            programme=report.programme,
            period=report.period,
            granted=report.granted,
            amount=report.amount,
            unit=report.unit,
            already=report.already_granted,
            refused=report.not_eligible,
        )
    )


@benefits.command("expire")
@click.option("--programme", "programme_code", required=True, help="The programme's code.")
@click.option("--period", required=True, help="The month that has ended, YYYY-MM.")
@language_option
def benefits_expire(programme_code: str, period: str, language: Language) -> None:
    """Take back what residents left unused of a month's allowance (safe to run again)."""
    settings = command_settings()
    try:
        with unit_of_work(settings) as session:
            report = expire_allowance(
                session,
                programme_code=programme_code,
                period=period,
                now=SystemClock().now(),
                zone=ZoneInfo(settings.city_time_zone),
            )
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc
    click.echo(
        _say(
            "expired",
            language,
            programme=report.programme,
            period=report.period,
            total=report.amount_expired,
            unit=report.unit,
            expired=report.expired,
            nothing=report.nothing_left,
            already=report.already_expired,
        )
    )
