"""One counter per topic, raised by database triggers in the transaction that makes a change."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base

# Topics and what raises them (the triggers are in the migration that made this table):
# ``parking``: a pass revoked or deleted, a zone added, changed or removed;
# ``credentials``: a signing key added, retired or deleted.
# A migration that rebuilds one of those tables on SQLite (``batch_alter_table`` copies it to a
# new table) drops its triggers: it must create them again, or the bound no longer holds.
TOPICS = ("parking", "credentials")
# PostgreSQL's channel: each change also sends ``<topic>:<counter>`` on it when it commits.
CHANNEL = "toshav_changes"


class ChangeCounter(Base):
    """How many changes of one topic were ever committed: it only grows."""

    __tablename__ = "change_counters"

    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)
