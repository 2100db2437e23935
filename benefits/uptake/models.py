"""What residents used of each allowance programme, summed by city day (``rollup``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base


class UptakeUsedDay(Base):
    """The uses of one programme's allowance on one city day, by the movements' effective time,
    over the ledger's postings up to the mark ``benefits.uptake_used``."""

    __tablename__ = "uptake_used_days"

    # The programme's code: its residents' allowance accounts' purpose.
    purpose: Mapped[str] = mapped_column(String(50), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)
