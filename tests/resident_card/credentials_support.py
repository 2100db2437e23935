"""What the credentials and cards tests share: keys, residents with cards, an independent verifier."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any, cast

import zxingcpp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from PIL import Image
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.credentials import service as credentials
from resident_card.credentials.models import SigningKey
from resident_card.residents.models import Guardianship, Resident
from tests.factories import auth_headers, create_resident, create_user


def signing_key(session: Session, settings: Settings, now: datetime) -> SigningKey:
    """A key that signs from now on."""
    return credentials.rotate_key(session, settings, now=now, activate_in=timedelta(0))


def resident_user(session: Session, settings: Settings, **overrides: Any) -> tuple[Resident, User]:
    user = create_user(session, settings, role=Role.resident)
    resident = create_resident(session, settings, user=user, **overrides)
    return resident, user


def ward_of(session: Session, settings: Settings, guardian: Resident, **overrides: Any) -> Resident:
    """A verified minor in the guardian's care, at the guardian's address."""
    overrides.setdefault("date_of_birth", date(2016, 2, 3))
    overrides.setdefault("first_name", "Noam")
    ward = create_resident(session, settings, **overrides)
    session.add(Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation="child"))
    session.flush()
    return ward


def staff_headers(session: Session, settings: Settings, app: FastAPI, role: Role) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=role))


QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_qr_codes(image: Image.Image) -> list[str]:
    """The QR codes in an image, read as our scanners read them (zxing-cpp, QR codes only: with
    every format on, it now and then reads a 1D barcode in a QR code's modules, 2 images in 600)."""
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    return [str(code.text) for code in found]


def decode_qr_png(png: bytes) -> str:
    """The one QR code in a PNG (an image we serve, a screenshot of a page)."""
    found = read_qr_codes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected exactly one QR code in the image, found {len(found)}"
    return found[0]


def jwks_from(client: TestClient) -> dict[str, Any]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    published: dict[str, Any] = response.json()
    return published


def key_set(jwks: dict[str, Any]) -> KeySet:
    """A joserfc key set from a JWKS document."""
    return KeySet.import_key_set(cast(Any, jwks))


def joserfc_claims(
    token: str, jwks: dict[str, Any], *, audience: str, now: datetime
) -> dict[str, Any]:
    """Verify a token with joserfc (an independent JOSE library) and the published JWKS only."""
    decoded = jwt.decode(token, key_set(jwks), algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        now=int(now.timestamp()), leeway=5, aud={"essential": True, "value": audience}
    ).validate(decoded.claims)
    claims: dict[str, Any] = decoded.claims
    return claims
