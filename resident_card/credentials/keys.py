"""Signing-key material: EC P-256 keys, their kid and public JWK, and sealing the private half at rest.

A private key is stored only sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
``TOSHAV_CREDENTIAL_KEY`` setting, with its kid as associated data, so a sealed key cannot be
moved to another row. It is unsealed in memory when it signs, and never served or logged.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from resident_card.credentials.jws import ALGORITHM, b64url

SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12
KID_BYTES = 6  # 8 characters in every token's header; the database keeps kids unique


class KeyUnsealFailed(Exception):
    """A sealed private key did not open: the credential key changed, or the row was altered."""


def new_kid() -> str:
    """A random kid that starts with a letter or digit.

    An operator types kids on the command line (``toshav keys retire KID``), where one that began
    with ``-`` would be read as an option; one kid in 32 would.
    """
    while True:
        kid = b64url(secrets.token_bytes(KID_BYTES))
        if kid[0].isalnum():
            return kid


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_coordinates(key: ec.EllipticCurvePublicKey) -> tuple[str, str]:
    """The point's x and y as unpadded base64url of 32 bytes each (RFC 7518 section 6.2.1)."""
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point[1:33]), b64url(point[33:65])


def public_jwk(kid: str, x: str, y: str) -> dict[str, str]:
    """A public key as RFC 7517 writes it: EC P-256, for ES256 signatures only."""
    return {"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": ALGORITHM}


@lru_cache(maxsize=4)
def _sealing_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"toshav",
        info=b"credential signing keys, v1",
    ).derive(secret.encode())


def seal_private_key(key: ec.EllipticCurvePrivateKey, *, kid: str, secret: str) -> bytes:
    """The private key (PKCS#8 DER) sealed with AES-256-GCM, bound to its kid."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(_NONCE_BYTES)
    return SEAL_VERSION + nonce + AESGCM(_sealing_key(secret)).encrypt(nonce, der, kid.encode())


def unseal_private_key(sealed: bytes, *, kid: str, secret: str) -> ec.EllipticCurvePrivateKey:
    if not sealed.startswith(SEAL_VERSION):
        raise KeyUnsealFailed(kid)
    nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        der = AESGCM(_sealing_key(secret)).decrypt(nonce, ciphertext, kid.encode())
    except InvalidTag as exc:
        raise KeyUnsealFailed(kid) from exc
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we sealed it
        raise KeyUnsealFailed(kid)
    return key
