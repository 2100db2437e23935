"""``toshav open-data export DIR``: the open data as files, for the city's data portal."""

from __future__ import annotations

from datetime import datetime
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
