"""A phone in a test: a P-256 key made by the ``cryptography`` library, registered to a card, and
the compact JWS tokens and typed codes that phone would make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.cards import service as cards
from resident_card.residents.models import Resident

PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


@dataclass
class Phone:
    key: ec.EllipticCurvePrivateKey
    id: str
    kid: str
    reference: str
    code_prefix: str
    secret: bytes

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def token(
        self,
        now: datetime,
        *,
        lifetime: int = 45,
        issued_shift: int = 0,
        sub: str | None = None,
        jti: str | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        issued = int(now.timestamp()) + issued_shift
        claims = {
            "sub": sub or self.reference,
            "iat": issued,
            "exp": issued + lifetime,
            "jti": jti or b64(secrets.token_bytes(9)),
        }
        return compact(header or {"alg": "ES256", "kid": self.kid}, claims, self.sign)

    def code(self, now: datetime, *, shift: int = 0) -> str:
        step = (int(now.timestamp()) + shift) // 30
        digest = hmac.new(self.secret, step.to_bytes(8, "big"), hashlib.sha256).digest()
        offset = digest[-1] & 0x0F
        value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
        return self.code_prefix + str(value % 1_000_000).zfill(6)


def register_phone(client: TestClient, headers: dict[str, str]) -> Phone:
    key = ec.generate_private_key(ec.SECP256R1())
    response = client.post(
        "/api/v1/cards/me/devices",
        json={"public_key": public_jwk(key)},
        headers={**headers, "User-Agent": PHONE_AGENT},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Phone(
        key,
        body["id"],
        body["kid"],
        body["card_reference"],
        body["code_prefix"],
        b64_decode(body["code_secret"]),
    )


def phone_of(session: Session, settings: Settings, resident: Resident, now: datetime) -> Phone:
    """A phone registered to the resident's card directly, as the wallet would over the API."""
    card = cards.current_card(session, settings, resident, now=now)
    assert card is not None
    key = ec.generate_private_key(ec.SECP256R1())
    registered = cards.register_device(
        session,
        settings,
        card,
        resident,
        dict(public_jwk(key)),
        user_agent=PHONE_AGENT,
        now=now,
        actor_id=None,
    )
    device = registered.device
    return Phone(
        key, str(device.id), device.kid, card.reference, device.code_prefix, registered.code_secret
    )
