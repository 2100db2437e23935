"""Parking's settings: the service's (``kernel.settings.Settings``) and parking's own fields, read
from the same environment (``TOSHAV_PARKING_…``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import Field

from kernel.settings import AppSettings, Settings, settings_as


class ParkingSettings(Settings):
    """What parking reads from the environment, beside the kernel's and the card's settings."""

    # Vehicles a household may register, the passes' audience, how long an inspection
    # keeps its plate, and how long an inspector's offline bundle may be used.
    parking_max_vehicles_per_household: int = Field(default=3, ge=1, le=20)
    parking_pass_audience: str = Field(default="toshav-parking-pass", min_length=1, max_length=40)
    parking_inspection_retention_days: int = Field(default=90, ge=1, le=3650)
    # Days a stopped parking session keeps its vehicle and plate; then only whose minutes they
    # were, where and when remain (the resident's statement and the ledger need those).
    parking_session_retention_days: int = Field(default=365, ge=1, le=3650)
    parking_offline_bundle_ttl_seconds: int = Field(default=12 * 3600, ge=300, le=7 * 86_400)
    # A pass revoked or re-issued, a permit ended, a key retired or a zone changed, committed by any
    # process, is refused by every online scan from this many seconds after its commit on.
    parking_freshness_seconds: float = Field(default=1.0, ge=0, le=60)
    # Inspections are written in batches this many seconds apart; 0 writes each before its answer.
    parking_inspection_write_seconds: float = Field(default=0.25, ge=0, le=10)
    # A permit's holder is told this many days before it ends (the daily reminder).
    parking_permit_reminder_days: int = Field(default=14, ge=1, le=180)


def parking_settings(settings: Settings) -> ParkingSettings:
    """The service's settings as parking reads them."""
    return settings_as(settings, ParkingSettings)


async def app_parking_settings(settings: AppSettings) -> ParkingSettings:
    """The running app's settings as parking reads them."""
    return parking_settings(settings)


ParkingAppSettings = Annotated[ParkingSettings, Depends(app_parking_settings)]
