"""The city's published verification keys, and the keys' states for its staff."""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Request, Response

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import StaffReader
from resident_card.credentials import service
from resident_card.credentials.schemas import Jwks, KeyOut

router = APIRouter(tags=["credentials"])
# Mounted at the site's root, not under /api/v1: verifiers look for the keys where RFC 8615 says.
root_router = APIRouter(tags=["credentials"])


@root_router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
def jwks(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """The public keys (JWKS, RFC 7517) that verify every card token and parking pass, offline too."""
    body = json.dumps(service.published_jwks(session), separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={settings.jwks_max_age_seconds}",
        "ETag": etag,
        # Public keys, meant for any verifier's page, whatever its origin.
        "Access-Control-Allow-Origin": "*",
    }
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


@router.get(
    "/credentials/keys",
    response_model=list[KeyOut],
    responses=responses(NotAuthenticated, InvalidToken, Forbidden),
)
def list_keys(caller: StaffReader, session: DbSession, now: Now) -> list[KeyOut]:
    """Every signing key and its state (pending, signing, published, retired); never a private key."""
    return [
        KeyOut(
            kid=info.kid,
            state=info.state,
            created_at=info.created_at,
            activates_at=info.activates_at,
            retired_at=info.retired_at,
        )
        for info in service.list_keys(session, now=now)
    ]
