"""The card tokens businesses have scanned: each token's ``jti`` is used once."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from cashback.models import CardTokenUse
from cashback.repository.base import Repository


@functools.cache
def _consume(dialect: str) -> Any:
    """The insert of a token's use, skipped when its jti is there: built once per dialect (every
    purchase sends it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CardTokenUse.__table__
    return (
        insert(CardTokenUse)
        .values({c: bindparam(c, type_=table.c[c].type) for c in _COLUMNS})
        .on_conflict_do_nothing()
        .returning(CardTokenUse.id)
    )


_COLUMNS = ("id", "created_at", "jti", "merchant_id", "used_for")


class ScanRepository(Repository):
    def consume_jti(self, jti: str, merchant_id: uuid.UUID, used_for: str, now: datetime) -> bool:
        """Record a token's use; False when it was used before (or is being used right now by a
        transaction that then commits: PostgreSQL waits for it)."""
        statement = _consume(self.session.get_bind().dialect.name)
        values = {
            "id": uuid.uuid4(),
            "created_at": now,
            "jti": jti,
            "merchant_id": merchant_id,
            "used_for": used_for,
        }
        return self.session.scalar(statement, values) is not None

    def forget_uses_before(self, cutoff: datetime) -> int:
        """Delete the uses recorded before the cutoff (the table refuses any less than two hours old)."""
        result = self.session.execute(
            delete(CardTokenUse)
            .where(CardTokenUse.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
