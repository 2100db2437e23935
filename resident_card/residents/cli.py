"""``toshav residents import FILE.csv``: residents from the population registry's export.

Imported residents are verified (the registry vouches for them) and have no user yet; the first
time one enrols with the same identifier and date of birth, they claim their record. Rows that
cannot be taken are reported with their row number and why, never with the identifier itself.
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click

from kernel.console import command_settings, language_option, unit_of_work
from kernel.errors import ToshavError
from kernel.i18n import Language, Text, render
from resident_card.residents.service import registry_import

TEXTS: dict[str, Text] = {
    "progress": {"he": "מייבא תושבים", "ar": "استيراد المقيمين", "en": "Importing residents"},
    "rejected_row": {
        "he": "שורה {row} נדחתה: {detail} ({code})",
        "ar": "رُفض السطر {row}: {detail} ({code})",
        "en": "row {row} rejected: {detail} ({code})",
    },
    "counts": {
        "he": "נוספו: {created}, ללא שינוי: {unchanged}, נדחו: {rejected}",
        "ar": "أضيف: {created}، دون تغيير: {unchanged}، مرفوض: {rejected}",
        "en": "created: {created}, unchanged: {unchanged}, rejected: {rejected}",
    },
    "missing_columns": {
        "he": "בקובץ חסרות העמודות: {columns}",
        "ar": "أعمدة ناقصة في الملف: {columns}",
        "en": "The file lacks the columns: {columns}",
    },
    "report_written": {
        "he": "דוח השורות שנדחו נכתב אל {path}",
        "ar": "كُتب تقرير الأسطر المرفوضة إلى {path}",
        "en": "report of rejected rows written to {path}",
    },
}
REQUIRED_COLUMNS = (
    "identifier",
    "first_name",
    "last_name",
    "date_of_birth",
    "street_code",
    "house_number",
)
REPORT_COLUMNS = ("row", "error", "detail")


@click.group()
def residents() -> None:
    """The city's residents."""


@residents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the rejected rows (row number, error, detail) to this CSV file.",
)
@language_option
def import_residents(file: Path, report: Path | None, language: Language) -> None:
    """Import a population-registry export (CSV); running it again changes nothing."""
    settings = command_settings()
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise click.ClickException(
                render(TEXTS["missing_columns"], language, columns=", ".join(missing))
            )
        rows = list(reader)

    now = datetime.now(UTC)
    counts = {"created": 0, "unchanged": 0, "rejected": 0}
    rejected: list[tuple[int, str, str]] = []
    with unit_of_work(settings) as session:
        with click.progressbar(
            list(enumerate(rows, start=2)),  # line 1 is the header
            label=render(TEXTS["progress"], language),
            file=sys.stderr,
        ) as progress:
            for number, row in progress:
                try:
                    with session.begin_nested():
                        outcome = registry_import.import_row(session, settings, row, now)
                except ToshavError as exc:
                    counts["rejected"] += 1
                    rejected.append((number, exc.code, exc.detail(language)))
                    continue
                counts[outcome] += 1
        registry_import.record_import(session, counts=counts, source=file.name)

    for number, code, detail in rejected:
        click.echo(
            render(TEXTS["rejected_row"], language, row=number, code=code, detail=detail), err=True
        )
    if report is not None:
        with report.open("w", newline="", encoding="utf-8") as out:
            _write_report(out, rejected)
        click.echo(render(TEXTS["report_written"], language, path=report), err=True)
    click.echo(render(TEXTS["counts"], language, **counts))


def _write_report(out: TextIO, rejected: list[tuple[int, str, str]]) -> None:
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(rejected)
