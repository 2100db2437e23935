"""API access tokens: ES256 JWTs for the API audience, decoded with the algorithm pinned.

The key here signs access tokens only; QR credentials are signed with other keys.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt
from jose.exceptions import JOSEError

from resident_card.settings import Settings

ALGORITHM = "ES256"


@dataclass(frozen=True)
class AccessTokenKeys:
    private_pem: str
    public_pem: str
    kid: str


def generate_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def keys_from_pem(private_pem: str) -> AccessTokenKeys:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the access-token key must be an EC P-256 private key")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = hashlib.sha256(public_pem.encode()).hexdigest()[:16]
    return AccessTokenKeys(private_pem=private_pem, public_pem=public_pem, kid=kid)


def load_access_token_keys(settings: Settings) -> AccessTokenKeys:
    """The configured key; in development, one generated once under var/keys/."""
    if settings.access_token_key is not None and settings.access_token_key.get_secret_value():
        return keys_from_pem(settings.access_token_key.get_secret_value())
    if settings.is_production:
        raise RuntimeError("TOSHAV_ACCESS_TOKEN_KEY is required in production")
    path = Path(settings.var_dir) / "keys" / "access-token.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_private_pem())
        path.chmod(0o600)
    return keys_from_pem(path.read_text())


def issue_access_token(
    keys: AccessTokenKeys, settings: Settings, *, user_id: uuid.UUID, now: datetime
) -> str:
    claims = {
        "iss": settings.issuer,
        "aud": settings.api_audience,
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_seconds)).timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    return str(jwt.encode(claims, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.kid}))


class AccessTokenInvalid(Exception):
    """The token is not one this service issued, or it is no longer valid."""


def decode_access_token(token: str, keys: AccessTokenKeys, settings: Settings) -> dict[str, Any]:
    """The claims of a valid access token; anything else raises ``AccessTokenInvalid``."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise AccessTokenInvalid("malformed") from exc
    if header.get("alg") != ALGORITHM:
        raise AccessTokenInvalid("algorithm not allowed")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys.public_pem,
            algorithms=[ALGORITHM],
            audience=settings.api_audience,
            issuer=settings.issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "require_aud": True,
                "require_iss": True,
            },
        )
    except JOSEError as exc:
        raise AccessTokenInvalid(str(exc)) from exc
    except (ValueError, TypeError) as exc:  # a key or claim python-jose could not parse
        raise AccessTokenInvalid("malformed") from exc
    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise AccessTokenInvalid("bad subject") from exc
    return claims


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the hash we store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
