"""Benefit uptake over HTTP, for the city's dashboard (admins and auditors)."""

from __future__ import annotations

from fastapi import APIRouter

from benefits.uptake import service
from benefits.uptake.schemas import UptakeOut
from figures.exceptions import InvalidWindow
from figures.reading import FigureSession
from figures.window import FigureWindow
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from kernel.kit.language import RequestLanguage
from resident_card.accounts.dependencies import StaffReader

router = APIRouter(prefix="/stats", tags=["statistics"])


@router.get(
    "/uptake",
    response_model=UptakeOut,
    responses=responses(NotAuthenticated, InvalidToken, Forbidden, InvalidWindow),
)
def uptake(
    caller: StaffReader, session: FigureSession, window: FigureWindow, language: RequestLanguage
) -> UptakeOut:
    """Each allowance programme's residents, granted and used amounts by month (staff)."""
    return service.uptake(session, window, language)
