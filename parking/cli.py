"""``toshav parking``: load the zones, end permits that no longer fit, anonymise old inspections."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from kernel.console import command_settings, unit_of_work
from kernel.i18n import LANGUAGES, Language, Text, render
from parking import tasks
from parking.exceptions import ZonesFileInvalid
from parking.service import permits, zones
from parking.settings import parking_settings
from resident_card.audit import retention

IMPORTED: Text = {
    "he": "אזורים: {zones_created} נוספו, {zones_updated} עודכנו, {zones_unchanged} ללא שינוי; "
    "טווחי רחובות: {ranges_created} נוספו, {ranges_removed} הוסרו, {ranges_unchanged} ללא שינוי; "
    "מתארים שעודכנו: {outlines_set}",
    "ar": "المناطق: أضيف {zones_created}، حُدّث {zones_updated}، دون تغيير {zones_unchanged}؛ "
    "نطاقات الشوارع: أضيف {ranges_created}، أزيل {ranges_removed}، دون تغيير {ranges_unchanged}؛ "
    "حدود محدّثة: {outlines_set}",
    "en": "zones: {zones_created} created, {zones_updated} updated, {zones_unchanged} unchanged; "
    "street ranges: {ranges_created} created, {ranges_removed} removed, {ranges_unchanged} unchanged; "
    "outlines set: {outlines_set}",
}
ANONYMISED: Text = {
    "he": "הוסרו מספרי רישוי מ־{count} בדיקות שנערכו לפני יותר מ־{days} ימים.",
    "ar": "أزيلت أرقام اللوحات من {count} فحصًا أُجري قبل أكثر من {days} يومًا.",
    "en": "Plates removed from {count} inspections older than {days} days.",
}
RECONCILED: Text = {
    "he": "הסתיימו {count} תווי חניה שאינם מתאימים עוד לכתובת או לתושבות של בעליהם.",
    "ar": "انتهى {count} تصريح وقوف لم يعد يطابق عنوان أصحابها أو إقامتهم.",
    "en": "{count} parking permits ended that no longer fit their holder's address or residency.",
}

LANGUAGE_OPTION = click.option(
    "--language", type=click.Choice(LANGUAGES), default="he", show_default=True
)


@click.group()
def parking() -> None:
    """Parking zones, permits and inspections."""


@parking.command("import-zones")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--outlines",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='A GeoJSON FeatureCollection of the zones\' outlines (a "zone" property on each feature).',
)
@LANGUAGE_OPTION
def import_zones(file: Path, outlines: Path | None, language: Language) -> None:
    """Load parking zones and their streets from a CSV file; running it again changes nothing.

    Columns: zone_code, kind (residential or lot), name_he, name_ar, name_en, street_code,
    from_number, to_number, parity (all, odd or even). A zone's street ranges become the file's.
    """
    settings = command_settings()
    try:
        with unit_of_work(settings) as session:
            report = zones.import_zones(session, file, outlines=outlines)
    except ZonesFileInvalid as exc:
        raise click.ClickException(exc.detail(language)) from exc
    click.echo(render(IMPORTED, language, **report.as_dict()))


@parking.command("anonymise")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1, max=3650),
    default=None,
    help="Default: TOSHAV_PARKING_INSPECTION_RETENTION_DAYS (90).",
)
@LANGUAGE_OPTION
def anonymise(older_than_days: int | None, language: Language) -> None:
    """Remove the plate from inspections older than the retention period (the nightly job's
    rule, applied now and recorded the same way)."""
    settings = parking_settings(command_settings())
    days = older_than_days or tasks.INSPECTION_PLATES.days(settings)
    with unit_of_work(settings) as session:
        count = retention.apply(session, tasks.INSPECTION_PLATES, days=days, now=datetime.now(UTC))
    click.echo(render(ANONYMISED, language, count=count, days=days))


@parking.command("reconcile")
@LANGUAGE_OPTION
def reconcile(language: Language) -> None:
    """End the permits whose holder moved out of their zone or is no longer a verified resident
    (their passes are revoked). Run it after importing the population registry."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        count = permits.reconcile_everyone(session, now=datetime.now(UTC))
    click.echo(render(RECONCILED, language, count=count))
