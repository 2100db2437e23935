"""``toshav open-data export DIR``: the open data as files, for the city's data portal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from figures.open_data import package, service
from kernel.console import command_settings, language_option, unit_of_work
from kernel.i18n import Language, Text, render

WRITTEN: Text = {
    "he": "נכתבו {files} קבצים ל־{folder} (חודשים {first} עד {last}, k={k}).",
    "ar": "كُتب {files} ملفًا في {folder} (الأشهر {first} إلى {last}، k={k}).",
    "en": "Wrote {files} files to {folder} (months {first} to {last}, k={k}).",
}


@click.group("open-data")
def open_data() -> None:
    """The city's open data: figures by neighbourhood, month and business category."""


PUBLISHED: Text = {
    "he": "פורסמו נתונים פתוחים: {resources} משאבים, {rows} שורות, {suppressed} מוסתרות (חודשים {first} עד {last}, k={k}).",
    "ar": "نُشرت البيانات المفتوحة: {resources} موارد، {rows} صفًا، {suppressed} مخفية (الأشهر {first} إلى {last}، k={k}).",
    "en": "Published the open data: {resources} resources, {rows} rows, {suppressed} suppressed (months {first} to {last}, k={k}).",
}


@open_data.command("publish")
@language_option
def publish(language: Language) -> None:
    """Work the open data out now and store it as the release the API and pages answer from
    (the worker does this every night)."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        made = service.make_release(session, settings, datetime.now(UTC))
    months = made.months
    click.echo(
        render(
            PUBLISHED,
            language,
            resources=len(made.tables),
            rows=sum(len(table.rows) for table in made.tables),
            suppressed=sum(row.suppressed for table in made.tables for row in table.rows),
            first=months[0],
            last=months[-1],
            k=made.k,
        )
    )


@open_data.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@language_option
def export(folder: Path, language: Language) -> None:
    """Write the open data to FOLDER: datapackage.json, and each resource as CSV and JSON."""
    settings = command_settings()
    today = datetime.now(ZoneInfo(settings.city_time_zone)).date()
    with unit_of_work(settings) as session:
        publication = service.publish(session, settings, today)
    written = package.write(publication, folder)
    months = publication.months
    click.echo(
        render(
            WRITTEN,
            language,
            files=len(written),
            folder=folder,
            first=months[0],
            last=months[-1],
            k=publication.k,
        )
    )
