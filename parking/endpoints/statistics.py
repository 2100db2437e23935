"""Parking's statistics for the city's dashboard (admins and auditors): inspections and permits by
zone and month, over a window of city days."""

from __future__ import annotations

from fastapi import APIRouter

from figures.exceptions import InvalidWindow
from figures.reading import FigureSession
from figures.window import FigureWindow
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from parking.endpoints.dependencies import AUTH
from parking.schemas import InspectionStatsOut, PermitStatsOut
from parking.service import statistics
from resident_card.accounts.dependencies import StaffReader

router = APIRouter(prefix="/stats", tags=["statistics"])
REFUSALS = responses(*AUTH, InvalidWindow)


@router.get("/inspections", response_model=InspectionStatsOut, responses=REFUSALS)
def inspections(
    caller: StaffReader, session: FigureSession, window: FigureWindow, language: RequestLanguage
) -> InspectionStatsOut:
    """Inspections by the zone checked in and by month, with the share of each verdict (staff)."""
    return statistics.inspection_figures(session, window, language)


@router.get("/permits", response_model=PermitStatsOut, responses=REFUSALS)
def permits(
    caller: StaffReader, session: FigureSession, window: FigureWindow, language: RequestLanguage
) -> PermitStatsOut:
    """Permits granted by zone and month, and those in force as the window ends (staff)."""
    return statistics.permit_figures(session, window, language)
