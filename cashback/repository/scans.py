"""The card tokens businesses have scanned: each token's ``jti`` is used once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete

from cashback.models import CardTokenUse
from cashback.repository.base import Repository
from kernel.kit import inserts


class ScanRepository(Repository):
    def consume_jti(self, jti: str, merchant_id: uuid.UUID, used_for: str, now: datetime) -> bool:
        """Record a token's use; False when it was used before (or is being used right now by a
        transaction that then commits: PostgreSQL waits for it)."""
        statement = (
            inserts.insert_if_absent(self.session, CardTokenUse)
            .values(
                id=uuid.uuid4(), created_at=now, jti=jti, merchant_id=merchant_id, used_for=used_for
            )
            .returning(CardTokenUse.id)
        )
        return self.session.scalar(statement) is not None

    def forget_uses_before(self, cutoff: datetime) -> int:
        """Delete the uses recorded before the cutoff (the table refuses any less than two hours old)."""
        result = self.session.execute(
            delete(CardTokenUse)
            .where(CardTokenUse.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
