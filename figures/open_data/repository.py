"""Every query of the open data's releases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from figures.open_data.models import OpenDataRelease


def release(
    session: Session, first_month: str, last_month: str, k: int, resources: str
) -> OpenDataRelease | None:
    return session.scalars(
        select(OpenDataRelease).where(
            OpenDataRelease.first_month == first_month,
            OpenDataRelease.last_month == last_month,
            OpenDataRelease.k == k,
            OpenDataRelease.resources == resources,
        )
    ).one_or_none()


def replace_release(
    session: Session,
    first_month: str,
    last_month: str,
    k: int,
    resources: str,
    tables: dict[str, Any],
    made_at: datetime,
) -> OpenDataRelease:
    """Store a release in place of the one of the same months, k and resources."""
    session.execute(
        delete(OpenDataRelease).where(
            OpenDataRelease.first_month == first_month,
            OpenDataRelease.last_month == last_month,
            OpenDataRelease.k == k,
            OpenDataRelease.resources == resources,
        )
    )
    made = OpenDataRelease(
        first_month=first_month,
        last_month=last_month,
        k=k,
        resources=resources,
        tables=tables,
        made_at=made_at,
    )
    session.add(made)
    session.flush()
    return made
