"""``toshav city load``: the city's neighbourhoods, streets and house-number ranges from CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from kernel.console import command_settings, language_option, unit_of_work
from kernel.i18n import Language, Text, render
from resident_card.city.exceptions import CityDataInvalid
from resident_card.city.service import load_city

KINDS: dict[str, Text] = {
    "neighbourhoods": {"he": "שכונות", "ar": "أحياء", "en": "neighbourhoods"},
    "streets": {"he": "רחובות", "ar": "شوارع", "en": "streets"},
    "ranges": {"he": "טווחי מספרי בתים", "ar": "نطاقات أرقام المنازل", "en": "house-number ranges"},
}
COUNTS: Text = {
    "he": "{kind}: {created} נוספו, {updated} עודכנו, {unchanged} ללא שינוי",
    "ar": "{kind}: أضيف {created}، حُدّث {updated}، دون تغيير {unchanged}",
    "en": "{kind}: {created} created, {updated} updated, {unchanged} unchanged",
}


@click.group()
def city() -> None:
    """The city's neighbourhoods and streets."""


@city.command("load")
@click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder with neighbourhoods.csv, streets.csv and house_number_ranges.csv (default: the bundled data).",
)
@language_option
def city_load(folder: Path | None, language: Language) -> None:
    """Load the city's neighbourhoods and streets; running it again changes nothing."""
    settings = command_settings()
    try:
        with unit_of_work(settings) as session:
            counts = load_city(session, folder)
    except CityDataInvalid as exc:
        raise click.ClickException(exc.detail(language)) from exc
    for kind, tally in counts.items():
        click.echo(render(COUNTS, language, kind=KINDS[kind][language], **tally))
