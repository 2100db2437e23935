"""The phones that sign their card's tokens themselves, and the codes they show to be typed.

A device registers the public half of a P-256 key it made (non-extractable, in the browser); the
server keeps it beside the card with a label read from the browser's User-Agent, and answers the
device its kid and, once, the secret its typed codes come from. The device then signs card tokens
with no network: compact JWS, ES256, ``{"alg":"ES256","kid":<device kid>}`` over
``{"sub":<card reference>,"iat","exp","jti"}`` and nothing else.

The rules a device-signed token must meet (verified with python-jose, the algorithm pinned to
ES256 whatever the header says):
- its kid names a registered device that is not revoked (``unknown_device``, ``device_revoked``);
- its ``sub`` is that device's card (``wrong_card``);
- it lives at most ``TOKEN_LIFETIME`` seconds (``exp - iat``; longer is ``malformed``);
- the phone's clock may be ``CLOCK_SKEW`` seconds off either way: accepted while
  ``iat - CLOCK_SKEW <= now < exp + CLOCK_SKEW`` (``not_yet_valid``, ``expired``). A token is
  therefore refused at most ``TOKEN_LIFETIME + 2 * CLOCK_SKEW`` = 105 s after the phone made it,
  however its clock is set: a screenshot is useless within two minutes. The wallet signs with its
  clock corrected by the server's ``Date`` as last seen, so only the drift since counts.
- its ``jti`` (8 to 32 base64url characters) is consumed once, as a city-signed token's is; it is
  kept as ``<kid>.<jti>``, so no device can use up another's.

A typed code is 12 digits: the device's 6-digit ``code_prefix`` and a 6-digit HOTP (RFC 4226 with
HMAC-SHA-256) of the 30-second step, from the device's secret: the phone makes it offline. A step
``s`` is judged as a token issued at ``30 s`` living 45 s, under the same clock rule, so about four
steps are accepted at any moment. Its use is consumed once (``c.<kid>.<step>``).

Guess odds: a random 12-digit guess finds a live code with probability at most
``N * 4 / 10**12`` for ``N`` registered devices (it must hit a used prefix and then one of the ~4
accepted values of one of the devices sharing it): 4e-7 per guess for 100 000 devices. A
verifier (a business, or a verifying login) may type ``CODE_MISSES_PER_HOUR`` (10) wrong codes
per clock hour, then is refused (429) until the hour ends: at most 240 guesses a day, odds under
1e-4 a day. A wrong code says only that it is wrong: never whether the prefix exists.
Never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jose import jws as jose_jws
from jose.exceptions import JOSEError
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.cards.exceptions import (
    DeviceNotFound,
    InvalidDeviceKey,
    TooManyCodeGuesses,
    TooManyDevices,
)
from resident_card.cards.models import Card, CardDevice
from resident_card.cards.repository import CardCodeMissRepository, CardDeviceRepository
from resident_card.credentials.jws import ALGORITHM, b64url, b64url_decode

TOKEN_LIFETIME = 45  # seconds, at most, between a device token's iat and exp
CLOCK_SKEW = 30  # seconds the phone's clock may be off, either way
CODE_STEP = 30  # seconds a typed code lasts on screen (the QR rotates with it)
CODE_DIGITS = 6  # of the HOTP half
PREFIX_DIGITS = 6  # of the device half
CODE_MISSES_PER_HOUR = 10
MAX_DEVICES = 10  # unrevoked devices per card
KID_BYTES = 16
DEVICE_KID_LENGTH = 1 + 22  # "d" and 16 bytes in base64url: never a city key's 8-character kid
SECRET_BYTES = 32

_JTI = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_CODE = re.compile(r"^[0-9]{%d}$" % (PREFIX_DIGITS + CODE_DIGITS))  # noqa: UP031
_SEPARATORS = re.compile(r"[\s-]+")


# --- what a check found ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceProof:
    """A device-signed token or a typed code that held: which device, card and use it names."""

    device: CardDevice
    card_id: uuid.UUID
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class DeviceRefusal:
    """Why not; ``counted_miss`` when a wrong typed code was counted against the verifier (the
    caller keeps that count even though it refuses the request)."""

    reason: str
    counted_miss: bool = False


# --- sealing the code secret ----------------------------------------------------------------------


def _sealing_key(settings: Settings) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"toshav", info=b"card device codes, v1"
    ).derive(settings.credential_key.get_secret_value().encode())


def _seal(secret: bytes, *, kid: str, settings: Settings) -> bytes:
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(_sealing_key(settings)).encrypt(nonce, secret, kid.encode())


def _unseal(sealed: bytes, *, kid: str, settings: Settings) -> bytes | None:
    if not sealed.startswith(b"\x01"):
        return None
    try:
        return AESGCM(_sealing_key(settings)).decrypt(sealed[1:13], sealed[13:], kid.encode())
    except InvalidTag:  # the credential key changed: this device's codes no longer work
        return None


def hotp(secret: bytes, step: int) -> str:
    """RFC 4226's HOTP with HMAC-SHA-256, ``CODE_DIGITS`` digits: what the wallet computes too."""
    digest = hmac.new(secret, step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**CODE_DIGITS).zfill(CODE_DIGITS)


# --- registering, listing, revoking ---------------------------------------------------------------

_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
)


def label_of(user_agent: str | None) -> str:
    """A device's name the resident recognises: the browser and the system, as their makers name
    them (``Chrome · Android``); ``?`` parts are left out."""
    text = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), None)
    return " · ".join(part for part in (browser, system) if part) or "—"


def _coordinate(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidDeviceKey()
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise InvalidDeviceKey() from None
    if len(raw) != 32:
        raise InvalidDeviceKey()
    return value


def _check_point(x: str, y: str) -> None:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), b"\x04" + b64url_decode(x) + b64url_decode(y)
        )
    except ValueError:
        raise InvalidDeviceKey() from None


@dataclass(frozen=True)
class Registered:
    device: CardDevice
    code_secret: bytes  # handed to the device once, never again


def register(
    session: Session,
    settings: Settings,
    card: Card,
    public_key: dict[str, object],
    *,
    user_agent: str | None,
    now: datetime,
    actor_id: uuid.UUID | None,
) -> Registered:
    """Register a device's public key (a JWK: EC, P-256) to ``card``."""
    if public_key.get("kty") != "EC" or public_key.get("crv") != "P-256":
        raise InvalidDeviceKey()
    x, y = _coordinate(public_key.get("x")), _coordinate(public_key.get("y"))
    _check_point(x, y)
    repository = CardDeviceRepository(session)
    if repository.count_of_card(card.id) >= MAX_DEVICES:
        raise TooManyDevices(count=MAX_DEVICES)
    kid = "d" + b64url(secrets.token_bytes(KID_BYTES))
    while repository.kid_taken(kid):  # pragma: no cover - 128 random bits
        kid = "d" + b64url(secrets.token_bytes(KID_BYTES))
    secret = secrets.token_bytes(SECRET_BYTES)
    device = repository.add(
        CardDevice(
            card_id=card.id,
            kid=kid,
            label=label_of(user_agent)[:120],
            public_x=x,
            public_y=y,
            code_prefix=str(secrets.randbelow(10**PREFIX_DIGITS)).zfill(PREFIX_DIGITS),
            code_secret_sealed=_seal(secret, kid=kid, settings=settings),
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="card_device.register",
        subject_type="card",
        subject_id=str(card.id),
        after={"kid": kid, "label": device.label},
    )
    return Registered(device=device, code_secret=secret)


def devices_of(session: Session, card: Card) -> Sequence[CardDevice]:
    return CardDeviceRepository(session).of_card(card.id)


def revoke(
    session: Session, card: Card, device_id: uuid.UUID, *, now: datetime, actor_id: uuid.UUID
) -> None:
    """Revoke one of ``card``'s devices; any other device (another's too) is not found."""
    device = session.get(CardDevice, device_id)
    if device is None or device.card_id != card.id or device.revoked_at is not None:
        raise DeviceNotFound()
    device.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="card_device.revoke",
        subject_type="card",
        subject_id=str(card.id),
        before={"kid": device.kid},
        after={"revoked_at": now.isoformat()},
    )


# --- checking what a device made ------------------------------------------------------------------


def is_device_kid(kid: str | None) -> bool:
    return kid is not None and len(kid) == DEVICE_KID_LENGTH and kid.startswith("d")


def as_code(text: str) -> str | None:
    """The 12 digits of a typed code (spaces and dashes between them allowed), or None."""
    digits = _SEPARATORS.sub("", text)
    return digits if _CODE.match(digits) else None


def _timestamp(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_device_token(
    session: Session, token: str, *, now: datetime
) -> DeviceProof | DeviceRefusal:
    """A device-signed card token, by the rules above."""
    try:
        header = jose_jws.get_unverified_header(token)
    except JOSEError:
        return DeviceRefusal("malformed")
    kid = header.get("kid")
    device = CardDeviceRepository(session).by_kid(kid) if isinstance(kid, str) else None
    if device is None:
        return DeviceRefusal("unknown_device")
    if device.revoked_at is not None:
        return DeviceRefusal("device_revoked")
    key = {"kty": "EC", "crv": "P-256", "x": device.public_x, "y": device.public_y}
    try:
        # The algorithm is ours, never the header's: anything but ES256 is refused here.
        payload = jose_jws.verify(token, key, algorithms=[ALGORITHM])
    except JOSEError:
        return DeviceRefusal("bad_signature")
    try:
        claims = json.loads(payload)
    except ValueError:
        return DeviceRefusal("malformed")
    if not isinstance(claims, dict):
        return DeviceRefusal("malformed")
    issued, expiry = _timestamp(claims.get("iat")), _timestamp(claims.get("exp"))
    jti, subject = claims.get("jti"), claims.get("sub")
    if (
        issued is None
        or expiry is None
        or not 0 < expiry - issued <= TOKEN_LIFETIME
        or not isinstance(jti, str)
        or not _JTI.match(jti)
        or not isinstance(subject, str)
    ):
        return DeviceRefusal("malformed")
    moment = now.timestamp()
    if moment >= expiry + CLOCK_SKEW:
        return DeviceRefusal("expired")
    if moment < issued - CLOCK_SKEW:
        return DeviceRefusal("not_yet_valid")
    card = session.get(Card, device.card_id)
    if card is None or card.reference != subject:
        return DeviceRefusal("wrong_card")
    CardDeviceRepository(session).mark_used(device.id, now)
    return DeviceProof(
        device=device,
        card_id=device.card_id,
        jti=f"{device.kid}.{jti}",
        expires_at=datetime.fromtimestamp(expiry, UTC),
    )


def accepted_steps(now: datetime) -> range:
    """The steps whose codes are good at ``now``: step ``s`` as a token issued at ``30 s`` for
    ``TOKEN_LIFETIME`` seconds, under the clock rule."""
    moment = now.timestamp()
    first = math.floor((moment - TOKEN_LIFETIME - CLOCK_SKEW) / CODE_STEP) + 1
    last = math.floor((moment + CLOCK_SKEW) / CODE_STEP)
    return range(first, last + 1)


def check_code(
    session: Session, settings: Settings, code: str, *, verifier: str, now: datetime
) -> DeviceProof | DeviceRefusal:
    """A typed code (12 digits, already read by ``as_code``), counted against ``verifier``.

    The miss is counted before the code is judged (atomically, so parallel guesses cannot pass
    the limit) and taken back when the code is right.
    """
    window = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    misses = CardCodeMissRepository(session)
    if misses.count_one(verifier, window, 1) > CODE_MISSES_PER_HOUR:
        wait = (window + timedelta(hours=1) - now).total_seconds()
        raise TooManyCodeGuesses(
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
            minutes=max(1, math.ceil(wait / 60)),
        )
    prefix, value = code[:PREFIX_DIGITS], code[PREFIX_DIGITS:]
    for device in CardDeviceRepository(session).with_prefix(prefix):
        secret = _unseal(device.code_secret_sealed, kid=device.kid, settings=settings)
        if secret is None:
            continue
        for step in accepted_steps(now):
            if hmac.compare_digest(hotp(secret, step), value):
                misses.count_one(verifier, window, -1)
                CardDeviceRepository(session).mark_used(device.id, now)
                expiry = step * CODE_STEP + TOKEN_LIFETIME
                return DeviceProof(
                    device=device,
                    card_id=device.card_id,
                    jti=f"c.{device.kid}.{step}",
                    expires_at=datetime.fromtimestamp(expiry, UTC),
                )
    return DeviceRefusal("wrong_code", counted_miss=True)
