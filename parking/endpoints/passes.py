"""The parking pass of a permit in force: its QR code as an image, and a page to print."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.settings import AppSettings
from parking.endpoints.answers import NO_STORE
from parking.endpoints.dependencies import AUTH
from parking.exceptions import NoResidentRecord, PermitNotActive, PermitNotFound
from parking.service import passes, permits, vehicles
from resident_card.accounts.dependencies import ResidentCaller
from resident_card.credentials.qr import qr_png, qr_svg

router = APIRouter(prefix="/parking", tags=["parking"])

PASS_ERRORS = (*AUTH, NoResidentRecord, PermitNotFound, PermitNotActive)


@router.get(
    "/permits/{permit_id}/pass.png",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"image/png": {}}, "description": "The pass's QR code."},
    },
)
def pass_png(
    permit_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now
) -> Response:
    """The QR code of my permit's parking pass (PNG)."""
    resident = vehicles.own_resident(session, caller.id)
    parking_pass, _zone = permits.active_pass(session, resident, permit_id, now=now)
    return Response(content=qr_png(parking_pass.token), media_type="image/png", headers=NO_STORE)


@router.get(
    "/permits/{permit_id}/pass.svg",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"image/svg+xml": {}}, "description": "The pass's QR code."},
    },
)
def pass_svg(
    permit_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now
) -> Response:
    """The QR code of my permit's parking pass (SVG)."""
    resident = vehicles.own_resident(session, caller.id)
    parking_pass, _zone = permits.active_pass(session, resident, permit_id, now=now)
    return Response(
        content=qr_svg(parking_pass.token), media_type="image/svg+xml", headers=NO_STORE
    )


@router.get(
    "/permits/{permit_id}/pass.pdf",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"application/pdf": {}}, "description": "One A6 page to print."},
    },
)
def pass_pdf(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """My parking pass to print and lay behind the windscreen: one A6 page with the QR, plate, zone and end date."""
    resident = vehicles.own_resident(session, caller.id)
    parking_pass, found = permits.active_pass(session, resident, permit_id, now=now)
    return Response(
        content=passes.pass_pdf(parking_pass, found, settings=settings),
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": f'inline; filename="parking-pass-{parking_pass.plate}.pdf"',
        },
    )
