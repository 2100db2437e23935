"""``toshav keys``: rotate, list and retire the keys that sign QR credentials.

Only kids, states and times are printed; a private key never leaves the database sealed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from kernel.console import command_settings, language_option, unit_of_work
from kernel.errors import ToshavError
from kernel.i18n import Language, Text, render
from resident_card.credentials import holders, service
from resident_card.credentials.service import Keyring

TEXTS: dict[str, Text] = {
    "rotated": {
        "he": "מפתח חדש {kid}: מפורסם כעת, חותם מ-{activates_at}.",
        "ar": "مفتاح جديد {kid}: منشور الآن، يوقّع ابتداءً من {activates_at}.",
        "en": "new key {kid}: published now, signs from {activates_at}.",
    },
    "retired": {
        "he": "המפתח {kid} הוצא משימוש: אסימונים שנחתמו בו אינם תקפים עוד.",
        "ar": "تقاعد المفتاح {kid}: لم تعد الرموز الموقّعة به صالحة.",
        "en": "key {kid} retired: tokens it signed no longer verify.",
    },
    "reissued": {
        "he": "הונפקו מחדש במפתח הנוכחי: {what}, {count}.",
        "ar": "أُعيد الإصدار بالمفتاح الحالي: {what}، {count}.",
        "en": "re-issued under the current key: {what}, {count}.",
    },
    "ensured": {
        "he": "יש מפתח חתימה: {kid}.",
        "ar": "يوجد مفتاح توقيع: {kid}.",
        "en": "a signing key is in place: {kid}.",
    },
    "none": {
        "he": "אין מפתחות. יש להריץ: toshav keys rotate",
        "ar": "لا توجد مفاتيح. يجب تشغيل: toshav keys rotate",
        "en": "no keys. Run: toshav keys rotate",
    },
}
STATES: dict[service.KeyState, Text] = {
    service.KeyState.pending: {"he": "ממתין", "ar": "بالانتظار", "en": "pending"},
    service.KeyState.signing: {"he": "חותם", "ar": "يوقّع", "en": "signing"},
    service.KeyState.published: {"he": "מפורסם", "ar": "منشور", "en": "published"},
    service.KeyState.retired: {"he": "הוצא משימוש", "ar": "متقاعد", "en": "retired"},
}


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


@click.group()
def keys() -> None:
    """The keys that sign card tokens and parking passes."""


@keys.command("rotate")
@click.option(
    "--activate-in",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds until the new key signs (default: at once if no key signs yet, else the JWKS cache lifetime).",
)
@language_option
def rotate(activate_in: int | None, language: Language) -> None:
    """Make a new signing key: published now, the newest (so the signing one) once active."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        key = service.rotate_key(
            session,
            settings,
            now=datetime.now(UTC),
            activate_in=timedelta(seconds=activate_in) if activate_in is not None else None,
        )
        kid, activates_at = key.kid, key.activates_at
    click.echo(render(TEXTS["rotated"], language, kid=kid, activates_at=_moment(activates_at)))


@keys.command("retire")
@click.argument("kid")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@click.option(
    "--reissue",
    is_flag=True,
    help="First sign afresh, with the current key, every unexpired credential KID signed.",
)
@language_option
def retire(kid: str, reason: str | None, reissue: bool, language: Language) -> None:
    """Stop publishing a key; the tokens it signed stop verifying.

    Refused while unexpired credentials it signed (parking passes) exist, unless --reissue.
    """
    settings = command_settings()
    now = datetime.now(UTC)
    try:
        with unit_of_work(settings) as session:
            reissued = service.retire_key(
                session,
                kid=kid,
                now=now,
                reason=reason,
                holders=holders.installed(),
                reissue_with=(settings, Keyring(settings)) if reissue else None,
            )
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc
    for holder in holders.installed():
        count = reissued.get(holder.name["en"])
        if count is not None:
            click.echo(render(TEXTS["reissued"], language, count=count, what=holder.name[language]))
    click.echo(render(TEXTS["retired"], language, kid=kid))


@keys.command("ensure")
@language_option
def ensure(language: Language) -> None:
    """Make a first signing key if none signs yet; otherwise change nothing."""
    settings = command_settings()
    now = datetime.now(UTC)
    with unit_of_work(settings) as session:
        service.ensure_signing_key(session, settings, now=now)
        signing = [k for k in service.list_keys(session, now=now) if k.state == "signing"]
    kid = signing[0].kid if signing else "-"
    click.echo(render(TEXTS["ensured"], language, kid=kid))


@keys.command("list")
@language_option
def list_keys(language: Language) -> None:
    """Every key with its state: pending, signing, published or retired."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        infos = service.list_keys(session, now=datetime.now(UTC))
    if not infos:
        click.echo(render(TEXTS["none"], language))
    for info in infos:
        retired = _moment(info.retired_at) if info.retired_at else "-"
        click.echo(
            f"{info.kid}  {STATES[info.state][language]:<12} "
            f"{_moment(info.activates_at)}  {retired}"
        )
