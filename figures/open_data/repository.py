"""Every query of the open data's releases."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from figures.open_data.models import OpenDataRelease
from kernel.kit.inserts import insert_if_absent


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
) -> bool:
    """Store a release in place of the one of the same months, k and resources. False when another
    transaction stored the same release meanwhile (the worker's night run and `toshav open-data
    publish` at once, both worked out from the same records): theirs stands, and nothing fails."""
    key = (
        OpenDataRelease.first_month == first_month,
        OpenDataRelease.last_month == last_month,
        OpenDataRelease.k == k,
        OpenDataRelease.resources == resources,
    )
    session.execute(delete(OpenDataRelease).where(*key))
    stored = session.scalar(
        insert_if_absent(session, OpenDataRelease)
        .values(
            id=uuid.uuid4(),
            created_at=made_at,
            first_month=first_month,
            last_month=last_month,
            k=k,
            resources=resources,
            tables=tables,
            made_at=made_at,
        )
        .returning(OpenDataRelease.id)
    )
    return stored is not None
