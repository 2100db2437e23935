"""The businesses in the scheme, public, by neighbourhood (for the neighbourhoods' pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cashback.schemas import ListedBusinessOut
from cashback.service.directory import businesses_in
from kernel.database import DbSession
from kernel.kit.language import RequestLanguage

router = APIRouter(prefix="/cashback", tags=["cashback"])


@router.get("/businesses", response_model=list[ListedBusinessOut])
def businesses(
    session: DbSession,
    language: RequestLanguage,
    neighbourhood: Annotated[str, Query(max_length=32, description="The neighbourhood's code.")],
) -> list[ListedBusinessOut]:
    """The businesses in the cashback scheme in a neighbourhood, by name (public)."""
    return [
        ListedBusinessOut(
            name=merchant.name,
            category=merchant.category,
            address=f"{street.name(language)} {merchant.house_number}",
        )
        for merchant, street in businesses_in(session, neighbourhood)
    ]
