"""The counters of the limits on volume, when the service's own database keeps them (no Redis)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base


class RateCounter(Base):
    """One window's count for one key (an action, a scope and a keyed digest of who: never an
    address or a name in clear). ``expires_at`` is seconds since the epoch, as the ``limits``
    strategies count time; a row past it counts as zero and may be deleted at any time."""

    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[float] = mapped_column(Double)
