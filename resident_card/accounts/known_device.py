"""A known device: proof that a browser or client signed in as a username before, so that the
username's own sign-in limit, which anyone can fill from many addresses, does not hold its owner
off (OWASP's "device cookies"; docs/decisions/0013-limits-on-volume.md).

The proof is ``d1.<expiry>.<mac>``: an HMAC, under a key derived from ``TOSHAV_ID_HASH_KEY``,
over the normalised username and the expiry (seconds since the epoch). It holds no password, no
ID number and not even the username, and it proves nothing about any other username. A proof
that is malformed, forged, expired or for another username counts as none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from kernel.settings import Settings

LIFETIME = timedelta(days=180)
_VERSION = "d1"
_PURPOSE = b"toshav known device"


def _mac(settings: Settings, username: str, expires: int) -> str:
    key = hmac.new(settings.id_hash_key.get_secret_value().encode(), _PURPOSE, hashlib.sha256)
    message = f"{username}\n{expires}".encode()
    digest = hmac.new(key.digest(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def proof_for(settings: Settings, username: str, now: datetime) -> str:
    """A proof, valid for ``LIFETIME`` from ``now``, that this device signed in as ``username``
    (normalised)."""
    expires = int((now + LIFETIME).timestamp())
    return f"{_VERSION}.{expires}.{_mac(settings, username, expires)}"


def proves(settings: Settings, proof: str | None, username: str, now: datetime) -> bool:
    """Whether ``proof`` is a live proof of ours for ``username`` (normalised)."""
    if not proof:
        return False
    parts = proof.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        return False
    _, expiry, mac = parts
    if not (expiry.isascii() and expiry.isdigit() and len(expiry) <= 12) or not mac.isascii():
        return False
    expires = int(expiry)
    if expires <= now.timestamp():
        return False
    return hmac.compare_digest(mac.encode(), _mac(settings, username, expires).encode())
