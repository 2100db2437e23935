"""The open data as last published: one release per window of months, k and set of resources.

A release is made by the worker (``figures.publish_open_data``, every night) or by
``toshav open-data publish``, never by a request: reading a year of every domain's records takes
seconds at a city's scale, and a public page must not wait for it. A request answers from the
release that matches what it would publish; only where none does yet (a new city, a new month
before the night's run) does it work the figures out itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class OpenDataRelease(RecordMixin, Base):
    __tablename__ = "open_data_releases"
    __table_args__ = (UniqueConstraint("first_month", "last_month", "k", "resources"),)

    # The published months, ``YYYY-MM``, first and last.
    first_month: Mapped[str] = mapped_column(String(7))
    last_month: Mapped[str] = mapped_column(String(7))
    k: Mapped[int]
    # The resources' names in the package's order, comma-joined: a release made with a domain that
    # is now off (or before one was on) is not this publication.
    resources: Mapped[str] = mapped_column(String(400))
    made_at: Mapped[datetime]
    # Per resource, its rows: [neighbourhood, month, category, values or null, people or null].
    tables: Mapped[dict[str, Any]] = mapped_column(JSON)
