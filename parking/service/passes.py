"""Parking passes: ending a permit revokes its pass; the pass as an image and an A6 page to print;
the public list of revoked passes; the offline bundle an inspector's device judges passes from."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, features
from sqlalchemy.orm import Session

from kernel.i18n import Language
from kernel.settings import Settings
from parking import notices
from parking.models import (
    ParkingPass,
    ParkingZone,
    Permit,
    PermitEnd,
    PermitStatus,
)
from parking.repository import (
    PassRepository,
)
from parking.schemas import show_plate
from parking.service.calendar import last_valid_day
from parking.service.zones import list_zones
from parking.settings import ParkingSettings
from resident_card.credentials import service as credentials
from resident_card.credentials.qr import qr_modules

REVOCATIONS_OVERLAP = timedelta(minutes=1)


def end_permit(
    session: Session, permit: Permit, status: PermitStatus, reason: PermitEnd, now: datetime
) -> None:
    """End a permit (cancelled, or ended and why) and revoke its pass: inspectors refuse it."""
    permit.status = status.value
    permit.ended_at = now
    permit.end_reason = reason.value
    parking_pass = PassRepository(session).of_permit(permit.id)
    if parking_pass is not None and parking_pass.revoked_at is None:
        parking_pass.revoked_at = now
        parking_pass.revoked_reason = reason.value
    notices.permit_ended(session, permit, reason)


# --- passes: images, print, revocations, the offline bundle -------------------------------------

# A6 landscape, at 300 dots per inch: it lies behind a windscreen and reads from the pavement.
PASS_PAGE_MM = (148, 105)
PASS_DPI = 300
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)
PRINT_TITLE = {
    "he": "תו חניה לתושב",
    "ar": "تصريح وقوف للمقيم",
    "en": "Resident parking permit",
}
PRINT_VALID = {"he": "בתוקף עד", "ar": "ساري حتى", "en": "Valid until"}
PRINT_ZONE = {"he": "אזור", "ar": "منطقة", "en": "Zone"}


def _font_file() -> str | None:
    return next((path for path in _FONT_FILES if Path(path).exists()), None)


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, largest: int, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font (up to ``largest`` pixels) that sets ``text`` within ``width``."""
    path = _font_file()
    size = largest
    while True:
        font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)
        if size <= 12 or draw.textlength(text, font=font) <= width:
            return font
        size -= 4


def _isolated(text: str) -> str:
    """Text set left to right inside a right-to-left line (a date, a zone code, a plate)."""
    return f"\u2066{text}\u2069"


def pass_pdf(parking_pass: ParkingPass, zone: ParkingZone, *, settings: Settings) -> bytes:
    """A one-page PDF (A6, landscape) to print and lay behind the windscreen."""
    out = io.BytesIO()
    pass_page(parking_pass, zone, settings=settings).save(
        out, format="PDF", resolution=PASS_DPI, title="Parking pass"
    )
    return out.getvalue()


def pass_page(parking_pass: ParkingPass, zone: ParkingZone, *, settings: Settings) -> Image.Image:
    """The printed pass, black on white at 300 dpi: the QR of the pass (78 mm with its quiet zone),
    and beside it the plate, the zone and the last day it runs, in the city's three languages where
    the fonts can set Hebrew and Arabic (English alone otherwise)."""

    def mm(length: float) -> int:
        return round(length / 25.4 * PASS_DPI)

    width, height = mm(PASS_PAGE_MM[0]), mm(PASS_PAGE_MM[1])
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = mm(6)
    modules = _padded(qr_modules(parking_pass.token))
    box = mm(78) // len(modules)
    qr = Image.new("L", (len(modules), len(modules)), 255)
    qr.putdata([0 if dark else 255 for row in modules for dark in row])
    qr = qr.resize((len(modules) * box, len(modules) * box), Image.Resampling.NEAREST)
    page.paste(qr, (margin, (height - qr.height) // 2))
    left, right = margin + qr.width + mm(4), width - margin
    column = right - left
    complex_scripts = _font_file() is not None and features.check("raqm")
    languages: tuple[Language, ...] = ("he", "ar", "en") if complex_scripts else ("en",)
    y = margin
    for text, largest, after in pass_lines(parking_pass, zone, languages, settings=settings):
        font = _fitted(draw, text, largest, column)
        draw.text((right, y), text, font=font, fill=0, anchor="ra")
        y = round(draw.textbbox((right, y), text, font=font, anchor="ra")[3]) + after
    return page.point(lambda value: 0 if value < 128 else 255).convert("1")


def pass_lines(
    parking_pass: ParkingPass,
    zone: ParkingZone,
    languages: Sequence[Language],
    *,
    settings: Settings,
) -> list[tuple[str, int, int]]:
    """The printed pass's lines beside its QR: each text, its largest size and the space after."""
    until = last_valid_day(parking_pass.expires_at, settings).strftime("%d.%m.%Y")
    lines: list[tuple[str, int, int]] = []
    lines += [(PRINT_TITLE[language], 44, 14) for language in languages]
    lines.append((show_plate(parking_pass.plate), 130, 24))
    lines += [(f"{PRINT_ZONE[language]}: {zone.names[language]}", 38, 8) for language in languages]
    lines += [(f"{PRINT_VALID[language]}: {_isolated(until)}", 38, 8) for language in languages]
    return lines


def _padded(modules: list[list[bool]], border: int = 4) -> list[list[bool]]:
    side = len(modules) + 2 * border
    light = [False] * side
    rows = [light] * border
    rows += [[False] * border + row + [False] * border for row in modules]
    rows += [light] * border
    return rows


@dataclass(frozen=True)
class RevokedPass:
    pass_id: str
    revoked_at: datetime
    expires_at: datetime


def revocations(
    session: Session, *, since: datetime | None, now: datetime
) -> tuple[list[RevokedPass], datetime | None]:
    """Revoked passes not yet expired (revoked at or after ``since``), and the ``since`` to ask with
    next: a minute before the newest, so a revocation committed late is never missed."""
    rows = [
        RevokedPass(pass_id, revoked_at, expires_at)
        for pass_id, revoked_at, expires_at in PassRepository(session).revoked(
            unexpired_at=now, since=since
        )
    ]
    newest = max((row.revoked_at for row in rows), default=None)
    next_since = newest - REVOCATIONS_OVERLAP if newest is not None else since
    return rows, next_since


@dataclass(frozen=True)
class OfflineBundle:
    jwks: dict[str, Any]
    retired_kids: list[str]
    audience: str
    leeway_seconds: int
    revoked: list[RevokedPass]
    zones: Sequence[ParkingZone]
    issued_at: datetime
    expires_at: datetime


def offline_bundle(session: Session, settings: ParkingSettings, *, now: datetime) -> OfflineBundle:
    """What an inspector's device needs to judge passes with no network, for a while."""
    revoked, _ = revocations(session, since=None, now=now)
    return OfflineBundle(
        jwks=credentials.published_jwks(session),
        retired_kids=sorted(credentials.retired_kids(session)),
        audience=settings.parking_pass_audience,
        leeway_seconds=settings.credential_leeway_seconds,
        revoked=revoked,
        zones=list_zones(session),
        issued_at=now,
        expires_at=now + timedelta(seconds=settings.parking_offline_bundle_ttl_seconds),
    )
