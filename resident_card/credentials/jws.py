"""Compact ES256 JWS credentials: signed by the city, verified by anyone holding its JWKS.

This module is pure: no database, no settings, no clock of its own. ``sign_credential`` needs a
``CredentialSigner`` (the keyring hands out the current one); ``verify_credential`` needs only a JWKS
dict, so an inspector's device can run the same check offline from a copy of
``/.well-known/jwks.json``. Card tokens and parking passes both go through these two functions, each
with its own audience.

Tokens are kept short, because every character makes the QR denser: the header is only
``{"alg":"ES256","kid":…}``, and the claims are ``iss``, ``aud``, ``sub`` (an opaque reference), the
caller's own claims, ``iat``, ``exp`` and a 9-byte ``jti``. No name, no ID number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

ALGORITHM = "ES256"
# Verifiers allow this much disagreement between their clock and the signer's, both ways.
DEFAULT_LEEWAY_SECONDS = 30
# Far above any token we sign (~300 characters); anything longer is refused before any parsing.
MAX_TOKEN_LENGTH = 4096
JTI_BYTES = 9  # 72 bits in 12 characters: unique among tokens alive at one time, by a wide margin
RESERVED_CLAIMS = frozenset({"iss", "aud", "iat", "exp", "nbf"})

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_SIGNATURE = ec.ECDSA(hashes.SHA256())
_COORDINATE_BYTES = 32


class RejectionReason(StrEnum):
    malformed = "malformed"  # not a compact JWS of ours: bad base64url, JSON, header or claims
    bad_signature = "bad_signature"  # the signature does not match, or the algorithm is not ES256
    unknown_kid = "unknown_kid"  # no usable key with this kid in the JWKS (never known, or retired)
    expired = "expired"  # exp has passed, beyond the leeway
    not_yet_valid = "not_yet_valid"  # iat (or nbf) is in the future, beyond the leeway
    wrong_audience = "wrong_audience"  # signed for another use (a parking pass shown as a card)


@dataclass(frozen=True)
class Rejection:
    """Why a token was refused."""

    reason: RejectionReason

    def __bool__(self) -> bool:  # `if verify_credential(...)` reads as "if it verified"
        return False


@dataclass(frozen=True)
class VerifiedClaims:
    """A token that verified: who signed it (kid), what it names (subject) and until when."""

    kid: str
    issuer: str
    audience: str
    subject: str
    jti: str | None
    issued_at: datetime
    expires_at: datetime
    claims: Mapping[str, Any]


Verification = VerifiedClaims | Rejection


@dataclass(frozen=True)
class CredentialSigner:
    """A private signing key in memory, with its kid and the issuer it signs as."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey
    issuer: str

    def __repr__(self) -> str:  # never show the key, whoever prints this
        return f"CredentialSigner(kid={self.kid!r}, issuer={self.issuer!r})"

    @cached_property
    def encoded_header(self) -> bytes:
        return _b64encode(_json({"alg": ALGORITHM, "kid": self.kid}))


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json(value: Mapping[str, Any]) -> bytes:
    return _ENCODER.encode(value).encode()


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE writes binary values."""
    return _b64encode(data).decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url: one spelling per value, so no character can change unnoticed."""
    if len(text) % 4 == 1 or not _B64URL.match(text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    if b64url(data) != text:  # unused low bits set: a second spelling of the same bytes
        raise ValueError("not canonical base64url")
    return data


def new_jti() -> str:
    return b64url(secrets.token_bytes(JTI_BYTES))


def sign_credential(
    signer: CredentialSigner,
    claims: Mapping[str, Any],
    *,
    audience: str,
    now: datetime,
    ttl: timedelta | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A compact ES256 JWS of ``claims`` for ``audience``, valid from ``now`` for ``ttl`` or until ``expires_at``.

    ``claims`` must hold ``sub`` and may hold ``jti`` and claims of the caller's own (short ones,
    please: they all go into the QR). ``iss``, ``aud``, ``iat`` and ``exp`` are set here.
    """
    if (ttl is None) == (expires_at is None):
        raise ValueError("give exactly one of ttl and expires_at")
    if "sub" not in claims or not isinstance(claims["sub"], str):
        raise ValueError("a credential names its subject: claims['sub'] must be a string")
    clash = RESERVED_CLAIMS.intersection(claims)
    if clash:
        raise ValueError(f"these claims are set by sign_credential: {sorted(clash)}")
    issued = int(now.timestamp())
    until = expires_at if expires_at is not None else now + (ttl or timedelta())
    expiry = int(until.timestamp())
    if expiry <= issued:
        raise ValueError("a credential must expire after it is issued")
    payload: dict[str, Any] = {"iss": signer.issuer, "aud": audience}
    payload.update(claims)
    payload["iat"] = issued
    payload["exp"] = expiry
    payload.setdefault("jti", new_jti())
    signing_input = signer.encoded_header + b"." + _b64encode(_json(payload))
    r, s = decode_dss_signature(signer.private_key.sign(signing_input, _SIGNATURE))
    signature = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return (signing_input + b"." + _b64encode(signature)).decode("ascii")


@lru_cache(maxsize=64)
def _public_key(x: str, y: str) -> ec.EllipticCurvePublicKey | None:
    try:
        x_bytes, y_bytes = b64url_decode(x), b64url_decode(y)
        if len(x_bytes) != _COORDINATE_BYTES or len(y_bytes) != _COORDINATE_BYTES:
            return None
        return ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), b"\x04" + x_bytes + y_bytes
        )
    except ValueError:  # not base64url, or not a point on the curve
        return None


def public_key_for(jwks: Mapping[str, Any], kid: str) -> ec.EllipticCurvePublicKey | None:
    """The usable ES256 public key with this kid in a JWKS, if there is one."""
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        return None
    for jwk in keys:
        if not isinstance(jwk, Mapping) or jwk.get("kid") != kid:
            continue
        if (
            jwk.get("kty") != "EC"
            or jwk.get("crv") != "P-256"
            or jwk.get("alg", ALGORITHM) != ALGORITHM
            or jwk.get("use", "sig") != "sig"
            or not isinstance(jwk.get("x"), str)
            or not isinstance(jwk.get("y"), str)
        ):
            continue
        key = _public_key(jwk["x"], jwk["y"])
        if key is not None:
            return key
    return None


def _json_object(segment: str) -> dict[str, Any] | None:
    try:
        value = json.loads(b64url_decode(segment))
    except ValueError:  # bad base64url, bad UTF-8 or bad JSON
        return None
    return value if isinstance(value, dict) else None


# Every token a key signs has the same header, so the few headers there are are read once each.
# What this returns is shared: read it, never change it.
_header = lru_cache(maxsize=64)(_json_object)


def token_kid(token: str) -> str | None:
    """The kid a token's header names, read without trusting it (to know which keys it needs)."""
    header = _header(token.split(".", 1)[0])
    kid = None if header is None else header.get("kid")
    return kid if isinstance(kid, str) else None


class CheckedSignatures:
    """Tokens whose ES256 signature already checked out against a JWKS, with their claims, so a
    token seen again (a resident's yearly parking pass, scanned on every round) costs no second
    signature check.

    Only what the signature proves is remembered: the exact characters of the token were signed by
    that key. Everything else (the claims' shape, audience, expiry, and whatever a caller checks
    after, such as revocation) is checked again on every use. The entries belong to one JWKS: a
    key set that differs in any way (a key published or retired) starts them afresh. At most
    ``max_size`` tokens are kept, the oldest forgotten first (a tenth at a time). The claims handed
    out are shared: read them, never change them.

    Tokens the service issued itself may be vouched for (``vouch``): a scanned pass the city issued
    is then judged with no signature check even the first time it is seen.
    """

    def __init__(self, max_size: int = 20_000) -> None:
        self.max_size = max_size
        self._jwks: Mapping[str, Any] | None = None
        self._claims: dict[str, dict[str, Any]] = {}
        self._vouched: set[bytes] = set()

    def vouch(self, tokens: Iterable[str], *, afresh: bool = False) -> None:
        """Tokens this service signed and stored itself (a parking pass as it was issued): their
        signature is known good without a check, the stored characters being the very ones signed.
        Kept as SHA-256 digests, whatever the key set (a token whose kid is no longer published is
        refused before this is asked). ``afresh`` forgets those vouched for before."""
        digests = {_digest(token) for token in tokens}
        if afresh:
            self._vouched = digests
        else:
            self._vouched.update(digests)

    def vouched(self, token: str) -> bool:
        """Whether ``token`` is one of those vouched for."""
        return bool(self._vouched) and _digest(token) in self._vouched

    def _entries(self, jwks: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        if jwks is not self._jwks:
            if jwks != self._jwks:
                self._claims = {}
            self._jwks = jwks
        return self._claims

    def claims(self, token: str, jwks: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._entries(jwks).get(token)

    def keep(self, token: str, jwks: Mapping[str, Any], claims: dict[str, Any]) -> None:
        entries = self._entries(jwks)
        if len(entries) >= self.max_size:
            # The oldest tenth goes at once: taking the oldest one at a time from the front of a
            # dict costs a walk over every slot emptied there before, each time.
            for oldest in list(entries)[: len(entries) - self.max_size * 9 // 10]:
                entries.pop(oldest, None)
        entries[token] = claims

    def __len__(self) -> int:
        return len(self._claims)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _timestamp(value: object) -> int | None:
    # bool is an int in Python; a JSON true is no time.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verify_credential(
    token: str,
    jwks: Mapping[str, Any],
    *,
    audience: str,
    now: datetime,
    leeway: int = DEFAULT_LEEWAY_SECONDS,
    checked: CheckedSignatures | None = None,
) -> Verification:
    """The claims of a token signed by a key of ``jwks`` for ``audience`` and valid at ``now``, or why not.

    Checks, in order: shape (``malformed``), algorithm ES256 only (``bad_signature`` for any other,
    ``none`` and HMAC included), the kid among the JWKS' keys (``unknown_kid``; a retired key is no
    longer published, so its tokens land here), the signature (``bad_signature``), the claims' shape
    (``malformed``), the audience (``wrong_audience``), then time: ``exp`` must be after
    ``now - leeway`` (``expired``) and ``iat``/``nbf`` no later than ``now + leeway``
    (``not_yet_valid``). ``leeway`` is in seconds (default 30). With ``checked``, a token whose
    signature already checked out against this JWKS is not checked again (the rest is).
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return Rejection(RejectionReason.malformed)
    parts = token.split(".")
    if len(parts) != 3:
        return Rejection(RejectionReason.malformed)
    header_segment, payload_segment, signature_segment = parts
    header = _header(header_segment)
    if header is None or not isinstance(header.get("kid"), str) or "crit" in header:
        return Rejection(RejectionReason.malformed)
    if header.get("alg") != ALGORITHM:
        return Rejection(RejectionReason.bad_signature)
    key = public_key_for(jwks, header["kid"])
    if key is None:
        return Rejection(RejectionReason.unknown_kid)
    claims = None if checked is None else checked.claims(token, jwks)
    if claims is None:
        if checked is None or not checked.vouched(token):
            try:
                signature = b64url_decode(signature_segment)
            except ValueError:
                return Rejection(RejectionReason.malformed)
            if len(signature) != 2 * _COORDINATE_BYTES:
                return Rejection(RejectionReason.bad_signature)
            der = encode_dss_signature(
                int.from_bytes(signature[:_COORDINATE_BYTES], "big"),
                int.from_bytes(signature[_COORDINATE_BYTES:], "big"),
            )
            try:
                key.verify(der, f"{header_segment}.{payload_segment}".encode("ascii"), _SIGNATURE)
            except InvalidSignature:
                return Rejection(RejectionReason.bad_signature)
        claims = _json_object(payload_segment)
        if claims is None:
            return Rejection(RejectionReason.malformed)
        if checked is not None:
            checked.keep(token, jwks, claims)
    issued = _timestamp(claims.get("iat"))
    expiry = _timestamp(claims.get("exp"))
    subject, issuer, aud = claims.get("sub"), claims.get("iss"), claims.get("aud")
    jti = claims.get("jti")
    not_before = _timestamp(claims.get("nbf", issued))
    if (
        issued is None
        or expiry is None
        or not_before is None
        or not isinstance(subject, str)
        or not isinstance(issuer, str)
        or not (jti is None or isinstance(jti, str))
        or not (isinstance(aud, str) or (isinstance(aud, list) and aud))
    ):
        return Rejection(RejectionReason.malformed)
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        return Rejection(RejectionReason.wrong_audience)
    moment = now.timestamp()
    if moment >= expiry + leeway:
        return Rejection(RejectionReason.expired)
    if max(issued, not_before) > moment + leeway:
        return Rejection(RejectionReason.not_yet_valid)
    return VerifiedClaims(
        kid=header["kid"],
        issuer=issuer,
        audience=audience,
        subject=subject,
        jti=jti,
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(expiry, UTC),
        claims=claims,
    )
