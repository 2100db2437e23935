"""How far each rollup has summed its append-only source: every row numbered up to ``through`` is
in the rollup's sums, none after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base


class RollupMark(Base):
    __tablename__ = "figure_rollup_marks"

    # The rollup's stable name, dotted by domain (``benefits.uptake_used``).
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    # The highest row number of the source summed so far (0: none).
    through: Mapped[int] = mapped_column(BigInteger, default=0)
    rolled_at: Mapped[datetime | None]
