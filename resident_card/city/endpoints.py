"""The city's neighbourhoods and streets, public, for the enrolment form and the maps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kernel.database import DbSession
from kernel.errors import Unprocessable, responses
from resident_card.city import service
from resident_card.city.schemas import Names, NeighbourhoodOut, OutlineOut, OutlinesOut, StreetOut

router = APIRouter(prefix="/city", tags=["city"])


@router.get("/neighbourhoods", response_model=list[NeighbourhoodOut])
def neighbourhoods(session: DbSession) -> list[NeighbourhoodOut]:
    """The city's neighbourhoods, each named in Hebrew, Arabic and English."""
    return [
        NeighbourhoodOut(code=n.code, names=Names(**n.names))
        for n in service.list_neighbourhoods(session)
    ]


@router.get("/neighbourhoods.geojson", response_model=OutlinesOut)
def neighbourhood_outlines(session: DbSession) -> OutlinesOut:
    """The neighbourhoods' outlines as GeoJSON, each named in Hebrew, Arabic and English (for maps)."""
    return OutlinesOut(
        features=[
            OutlineOut(
                properties=NeighbourhoodOut(code=n.code, names=Names(**n.names)),
                geometry=outline,
            )
            for n, outline in service.neighbourhood_outlines(session)
        ]
    )


@router.get("/streets", response_model=list[StreetOut], responses=responses(Unprocessable))
def streets(
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=60, description="part of a name, any language")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[StreetOut]:
    """Streets whose name in Hebrew, Arabic or English contains ``q`` (for address autocomplete)."""
    return [
        StreetOut(
            code=f.street.code, names=Names(**f.street.names), neighbourhoods=f.neighbourhoods
        )
        for f in service.search_streets(session, q, limit=limit)
    ]
