"""What is on record for inspectors and staff: the inspections made, the passes revoked, and the
offline bundle an inspector's device judges passes with."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.pagination import PaginationQuery
from parking.endpoints.answers import zone_names
from parking.endpoints.dependencies import AUTH
from parking.exceptions import InvalidSince
from parking.models import ZoneKind
from parking.roles import InspectorCaller
from parking.schemas import (
    BundleZoneOut,
    InspectionRecordOut,
    OfflineBundleOut,
    RevocationsOut,
    RevokedPassOut,
    show_plate,
)
from parking.service import passes
from parking.service.inspections import recorded_inspections
from parking.settings import ParkingAppSettings
from resident_card.accounts.dependencies import StaffReader

router = APIRouter(prefix="/parking", tags=["parking"])


def _cached_json(request: Request, body: bytes, cache_control: str) -> Response:
    """A JSON answer with an ETag of its bytes; ``304`` when the caller already has them."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache_control, "ETag": etag, "Access-Control-Allow-Origin": "*"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


@router.get(
    "/inspections",
    response_model=list[InspectionRecordOut],
    responses=responses(*AUTH),
)
def inspections(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    inspector_id: uuid.UUID | None = None,
) -> list[InspectionRecordOut]:
    """The inspections recorded, newest first (the plate is gone once the retention period is over)."""
    return [
        InspectionRecordOut(
            id=row.id,
            inspector_id=row.inspector_id,
            at=row.at,
            method=row.method,
            plate=show_plate(row.plate) if row.plate else None,
            zone=row.zone_code,
            lat=row.latitude,
            lon=row.longitude,
            allowed=row.allowed,
            reason=row.reason,
            anonymised=row.anonymised_at is not None,
        )
        for row in recorded_inspections(
            session, limit=pagination.limit, offset=pagination.offset, inspector_id=inspector_id
        )
    ]


def _revoked_out(rows: list[passes.RevokedPass]) -> list[RevokedPassOut]:
    return [
        RevokedPassOut(pass_id=r.pass_id, revoked_at=r.revoked_at, expires_at=r.expires_at)
        for r in rows
    ]


@router.get(
    "/revocations",
    response_model=RevocationsOut,
    responses={
        **responses(InvalidSince),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
)
def revocations(
    request: Request,
    session: DbSession,
    now: Now,
    since: Annotated[str | None, Query(max_length=40, description="ISO 8601, with a zone")] = None,
) -> Response:
    """Revoked parking passes not yet expired (public; cache it for a minute and ask with ``since``)."""
    moment: datetime | None = None
    if since is not None:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise InvalidSince() from None
        if moment.tzinfo is None:
            raise InvalidSince()
    rows, next_since = passes.revocations(session, since=moment, now=now)
    body = RevocationsOut(revoked=_revoked_out(rows), next_since=next_since)
    return _cached_json(request, body.model_dump_json().encode(), "public, max-age=60")


@router.get("/offline-bundle", response_model=OfflineBundleOut, responses=responses(*AUTH))
def offline_bundle(
    caller: InspectorCaller, session: DbSession, settings: ParkingAppSettings, now: Now
) -> OfflineBundleOut:
    """All an inspector's device needs to judge passes with no network: keys, revocations, zones, and when to refresh."""
    bundle = passes.offline_bundle(session, settings, now=now)
    return OfflineBundleOut(
        jwks=bundle.jwks,
        retired_kids=bundle.retired_kids,
        audience=bundle.audience,
        leeway_seconds=bundle.leeway_seconds,
        revoked=_revoked_out(bundle.revoked),
        zones=[
            BundleZoneOut(
                code=z.code, kind=ZoneKind(z.kind), names=zone_names(z), geometry=z.geometry
            )
            for z in bundle.zones
        ],
        issued_at=bundle.issued_at,
        expires_at=bundle.expires_at,
    )
