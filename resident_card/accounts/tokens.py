"""API access tokens: ES256 JWTs for the API audience, decoded with the algorithm pinned.

The key here signs access tokens only; QR credentials are signed with other keys. Refresh tokens
are opaque random strings; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt
from jose.exceptions import JOSEError

from kernel.settings import InsecureSettingsError, Settings

ALGORITHM = "ES256"
# RFC 9068's media type for JWT access tokens: a JWT of another kind is never taken as one.
TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
# Ours are about 400 characters; anything far longer is not worth parsing.
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti")


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
    try:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("the access-token key must be an unencrypted PEM private key") from exc
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
        try:
            return keys_from_pem(settings.access_token_key.get_secret_value())
        except ValueError as exc:
            raise InsecureSettingsError(f"TOSHAV_ACCESS_TOKEN_KEY is not usable: {exc}") from exc
    if settings.is_production:
        raise InsecureSettingsError("TOSHAV_ACCESS_TOKEN_KEY is required in production")
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
    return str(
        jwt.encode(
            claims,
            keys.private_pem,
            algorithm=ALGORITHM,
            headers={"kid": keys.kid, "typ": TOKEN_TYPE},
        )
    )


class AccessTokenInvalid(Exception):
    """The token is not one this service issued, or it is no longer valid."""


def decode_access_token(token: str, keys: AccessTokenKeys, settings: Settings) -> dict[str, Any]:
    """The claims of a valid access token; anything else raises ``AccessTokenInvalid``.

    The header is checked before any key is used: only ES256, only our key id, only an access
    token. So ``alg: none`` and HS256 signed with our public key as the HMAC secret never reach a
    verifier. Expiry is checked against the real time, like every other party that reads the token.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise AccessTokenInvalid("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError) as exc:
        raise AccessTokenInvalid("malformed") from exc
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise AccessTokenInvalid("algorithm not allowed")
    if header.get("kid") != keys.kid or header.get("typ") != TOKEN_TYPE:
        raise AccessTokenInvalid("not one of our access tokens")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys.public_pem,
            algorithms=[ALGORITHM],
            audience=settings.api_audience,
            issuer=settings.issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS},
        )
    except JOSEError as exc:
        raise AccessTokenInvalid(str(exc)) from exc
    except (ValueError, TypeError, OverflowError) as exc:  # a claim python-jose could not parse
        raise AccessTokenInvalid("malformed") from exc
    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise AccessTokenInvalid("bad subject") from exc
    return claims


class VerifiedTokens:
    """Access tokens this process has verified: token -> claims, each kept until its own expiry.

    Every signed-in request carries the same bearer token for its whole life (15 minutes by
    default), and checking its ES256 signature costs far more than the rest of a light request. A
    token found here was verified byte for byte before, so only its expiry is checked again
    (against the real time, like ``decode_access_token``): an expired token is refused whether or
    not it is here. Whether its user may still act is not kept here (see the accounts
    dependencies' ``KnownCallers``). At most ``max_size`` tokens are kept; the oldest go first.
    """

    def __init__(
        self,
        keys: AccessTokenKeys,
        settings: Settings,
        *,
        max_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._settings = settings
        self._max_size = max_size
        self._clock = clock
        self._verified: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; anything else raises ``AccessTokenInvalid``."""
        known = self._verified.get(token)
        if known is not None:
            if self._clock() < known["exp"]:
                return known
            self._verified.pop(token, None)
            raise AccessTokenInvalid("expired")
        claims = decode_access_token(token, self._keys, self._settings)
        if not isinstance(claims.get("exp"), int):  # jose accepts a float; keep only what we issue
            return claims
        with self._lock:
            while len(self._verified) >= self._max_size:
                self._verified.pop(next(iter(self._verified)), None)
            self._verified[token] = claims
        return claims

    def __len__(self) -> int:
        return len(self._verified)


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the hash we store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_retry_key(key: str) -> str:
    """What we keep of a refresh's Idempotency-Key: enough to know it again, not to reuse it."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_link_token() -> tuple[str, str]:
    """A random token for a one-time link (a password reset, an email to confirm) and its hash.

    Only the hash is stored: a copy of the database cannot be turned into working links.
    """
    token = secrets.token_urlsafe(32)
    return token, hash_link_token(token)


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
