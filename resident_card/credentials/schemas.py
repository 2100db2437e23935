"""What the credentials API gives: the published keys, and the keys' states for the city's staff."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from resident_card.credentials.service import KeyState


class PublicJwk(BaseModel):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    """A JSON Web Key Set (RFC 7517): the city's public ES256 keys."""

    keys: list[PublicJwk]


class KeyOut(BaseModel):
    kid: str
    state: KeyState
    created_at: datetime
    activates_at: datetime
    retired_at: datetime | None
