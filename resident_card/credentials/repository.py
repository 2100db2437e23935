"""Every query of signing keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from resident_card.credentials.models import SigningKey


class SigningKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: SigningKey) -> SigningKey:
        self.session.add(key)
        self.session.flush()
        return key

    def get(self, key_id: uuid.UUID) -> SigningKey | None:
        return self.session.get(SigningKey, key_id)

    def by_kid(self, kid: str) -> SigningKey | None:
        return self.session.scalar(select(SigningKey).where(SigningKey.kid == kid))

    def by_kid_for_update(self, kid: str) -> SigningKey | None:
        return self.session.scalar(
            select(SigningKey).where(SigningKey.kid == kid).with_for_update()
        )

    def signing(self, now: datetime) -> tuple[uuid.UUID, str] | None:
        """The id and kid of the key that signs at ``now``: the newest active, unretired one.

        Cheap (one indexed row, two columns): the keyring asks it again every second or so, and
        so follows rotations made by other processes.
        """
        row = self.session.execute(
            select(SigningKey.id, SigningKey.kid)
            .where(SigningKey.retired_at.is_(None), SigningKey.activates_at <= now)
            .order_by(SigningKey.activates_at.desc(), SigningKey.created_at.desc())
            .limit(1)
        ).first()
        return (row[0], row[1]) if row is not None else None

    def published(self) -> Sequence[SigningKey]:
        """Every unretired key, newest first (a key is published before it starts signing)."""
        return self.session.scalars(
            select(SigningKey)
            .options(defer(SigningKey.private_key_sealed, raiseload=True))
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.activates_at.desc(), SigningKey.created_at.desc())
        ).all()

    def every(self) -> Sequence[SigningKey]:
        return self.session.scalars(
            select(SigningKey)
            .options(defer(SigningKey.private_key_sealed, raiseload=True))
            .order_by(SigningKey.activates_at, SigningKey.created_at)
        ).all()
