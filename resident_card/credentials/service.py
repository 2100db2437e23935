"""The rules of signing keys: rotate, retire, publish, and the keyring that signs with the current one.

A key is published in the JWKS from the moment it is made, and signs from ``activates_at`` while it
is the newest active key. A rotation therefore publishes the new key ``jwks_max_age_seconds``
before it signs (unless told otherwise), so a verifier holding a cached JWKS never meets a kid it
has not seen. An old key stays published, and its tokens keep verifying, until it is retired.
Never commits.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from kernel.i18n import Text
from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.credentials.exceptions import (
    NoSigningKey,
    SigningKeyAlreadyRetired,
    SigningKeyInUse,
    SigningKeyNotFound,
    SigningKeyStillSigns,
    SigningKeyUnreadable,
)
from resident_card.credentials.jws import CredentialSigner, sign_credential
from resident_card.credentials.keys import (
    KeyUnsealFailed,
    generate_private_key,
    new_kid,
    public_coordinates,
    public_jwk,
    seal_private_key,
    unseal_private_key,
)
from resident_card.credentials.models import SigningKey
from resident_card.credentials.repository import SigningKeyRepository


class KeyState(StrEnum):
    pending = "pending"  # published, not signing yet
    signing = "signing"  # the newest active key: it signs now
    published = "published"  # superseded: still verifies its tokens until retired
    retired = "retired"  # no longer published; its tokens fail with unknown_kid


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    state: KeyState
    created_at: datetime
    activates_at: datetime
    retired_at: datetime | None


def _seal_secret(settings: Settings) -> str:
    return settings.credential_key.get_secret_value()


def rotate_key(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    activate_in: timedelta | None = None,
    actor_id: uuid.UUID | None = None,
) -> SigningKey:
    """A new signing key, published now, signing after ``activate_in``.

    By default it signs at once when no key signs yet, and otherwise after
    ``jwks_max_age_seconds``, the time verifiers may keep an old copy of the JWKS.
    """
    repository = SigningKeyRepository(session)
    if activate_in is None:
        current = repository.signing(now)
        activate_in = (
            timedelta(0) if current is None else timedelta(seconds=settings.jwks_max_age_seconds)
        )
    if activate_in < timedelta(0):
        raise ValueError("activate_in cannot be negative")
    private_key = generate_private_key()
    kid = new_kid()
    while repository.by_kid(kid) is not None:  # pragma: no cover - 48 random bits
        kid = new_kid()
    x, y = public_coordinates(private_key.public_key())
    key = repository.add(
        SigningKey(
            kid=kid,
            public_x=x,
            public_y=y,
            private_key_sealed=seal_private_key(
                private_key, kid=kid, secret=_seal_secret(settings)
            ),
            activates_at=now + activate_in,
            # created_at keeps its real-time default: it orders two keys activated at one instant.
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="signing_key.rotate",
        subject_type="signing_key",
        subject_id=kid,
        after={"kid": kid, "activates_at": key.activates_at.isoformat()},
    )
    return key


def ensure_signing_key(session: Session, settings: Settings, *, now: datetime) -> SigningKey | None:
    """Make the first key when there is none (development and demo); the new key, or None."""
    if SigningKeyRepository(session).signing(now) is not None:
        return None
    if any(key.activates_at > now for key in SigningKeyRepository(session).published()):
        return None  # a rotation is under way; it will sign soon
    return rotate_key(session, settings, now=now, activate_in=timedelta(0))


@dataclass(frozen=True)
class KeyHolders:
    """Credentials a domain signed with the city's keys that outlive a rotation (a parking pass runs
    until its permit ends): how many unexpired ones a key signed (``count(session, kid, now)``), and
    how to sign them afresh (``reissue(session, settings, keyring, kid, now)``). A domain lists one
    in its manifest; the root installs the enabled domains' (``credentials.holders``)."""

    name: Text
    count: Callable[[Session, str, datetime], int]
    reissue: Callable[[Session, Settings, Keyring, str, datetime], int]


def retire_key(
    session: Session,
    *,
    kid: str,
    now: datetime,
    actor_id: uuid.UUID | None = None,
    reason: str | None = None,
    holders: Sequence[KeyHolders] = (),
    reissue_with: tuple[Settings, Keyring] | None = None,
) -> dict[str, int]:
    """Stop publishing a key: tokens it signed stop verifying (``unknown_kid``).

    The key that signs now cannot be retired: rotate first, and retire it once the new one signs.
    Nor can a key that signed unexpired credentials ``holders`` keep (``SigningKeyStillSigns``),
    unless ``reissue_with`` (the settings and keyring to sign with) is given: then each of them is
    signed afresh by the current key first, in this transaction. Answers how many were re-issued,
    by holder.
    """
    repository = SigningKeyRepository(session)
    key = repository.by_kid_for_update(kid)
    if key is None:
        raise SigningKeyNotFound(kid=kid)
    if key.retired_at is not None:
        raise SigningKeyAlreadyRetired(kid=kid)
    current = repository.signing(now)
    if current is not None and current[0] == key.id:
        raise SigningKeyInUse(kid=kid)
    reissued: dict[str, int] = {}
    if reissue_with is None:
        outstanding = sum(holder.count(session, kid, now) for holder in holders)
        if outstanding:
            raise SigningKeyStillSigns(kid=kid, count=outstanding)
    else:
        settings, keyring = reissue_with
        for holder in holders:
            reissued[holder.name["en"]] = holder.reissue(session, settings, keyring, kid, now)
    key.retired_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="signing_key.retire",
        subject_type="signing_key",
        subject_id=kid,
        before={"retired_at": None},
        after={"retired_at": now.isoformat(), "reissued": reissued},
        reason=reason,
    )
    return reissued


def retired_kids(session: Session) -> frozenset[str]:
    """The kids of every retired key: a credential naming one is refused as signed by a retired key."""
    return frozenset(key.kid for key in SigningKeyRepository(session).every() if key.retired_at)


def list_keys(session: Session, *, now: datetime) -> list[KeyInfo]:
    """Every key, oldest first, with its state at ``now``."""
    repository = SigningKeyRepository(session)
    current = repository.signing(now)
    infos: list[KeyInfo] = []
    for key in repository.every():
        if key.retired_at is not None:
            state = KeyState.retired
        elif current is not None and key.id == current[0]:
            state = KeyState.signing
        elif key.activates_at > now:
            state = KeyState.pending
        else:
            state = KeyState.published
        infos.append(KeyInfo(key.kid, state, key.created_at, key.activates_at, key.retired_at))
    return infos


def published_jwks(session: Session) -> dict[str, list[dict[str, str]]]:
    """The JWKS (RFC 7517) of every unretired key, newest first: all a verifier needs."""
    return {
        "keys": [
            public_jwk(key.kid, key.public_x, key.public_y)
            for key in SigningKeyRepository(session).published()
        ]
    }


class Keyring:
    """This process's signing keys, unsealed once each and kept in memory.

    Which key signs is asked of the database (one small indexed query) at most once per
    ``refresh_seconds`` of the clock it is given, so a rotation made by any process is followed
    within that time; the unsealed key material, which never changes for a given key, is cached for
    good. Both keys of a rotation are published while it happens, so a token signed by the previous
    key in that second still verifies. Safe to share between threads.
    """

    def __init__(self, settings: Settings, *, refresh_seconds: float = 1.0) -> None:
        self._secret = _seal_secret(settings)
        self._issuer = settings.issuer
        self._refresh = timedelta(seconds=refresh_seconds)
        self._signers: dict[uuid.UUID, CredentialSigner] = {}
        # (asked at, good until, signer): replaced whole, so threads never see half of it.
        self._current: tuple[datetime, datetime, CredentialSigner] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Keyring(cached={len(self._signers)})"

    def signer(self, session: Session, *, now: datetime) -> CredentialSigner:
        """The signer of the key that signs at ``now``."""
        current = self._current
        if current is not None and current[0] <= now < current[1]:
            return current[2]
        repository = SigningKeyRepository(session)
        newest = repository.signing(now)
        if newest is None:
            raise NoSigningKey()
        key_id, kid = newest
        signer = self._signers.get(key_id)
        if signer is None:
            with self._lock:
                signer = self._signers.get(key_id)
                if signer is None:
                    signer = self._unseal(repository, key_id, kid)
                    self._signers[key_id] = signer
        self._current = (now, now + self._refresh, signer)
        return signer

    def _unseal(
        self, repository: SigningKeyRepository, key_id: uuid.UUID, kid: str
    ) -> CredentialSigner:
        row = repository.get(key_id)
        if row is None:  # pragma: no cover - just read in the same transaction
            raise NoSigningKey()
        try:
            private_key = unseal_private_key(row.private_key_sealed, kid=kid, secret=self._secret)
        except KeyUnsealFailed as exc:
            raise SigningKeyUnreadable(kid=kid) from exc
        return CredentialSigner(kid=kid, private_key=private_key, issuer=self._issuer)

    def sign(
        self,
        session: Session,
        claims: Mapping[str, Any],
        *,
        audience: str,
        now: datetime,
        ttl: timedelta | None = None,
        expires_at: datetime | None = None,
    ) -> str:
        """``sign_credential`` with the key that signs at ``now``."""
        return sign_credential(
            self.signer(session, now=now),
            claims,
            audience=audience,
            now=now,
            ttl=ttl,
            expires_at=expires_at,
        )
