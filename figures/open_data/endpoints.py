"""The open data over HTTP, public and cacheable: the package's descriptor, each resource as CSV or
JSON, and one neighbourhood's published rows. The same numbers as ``toshav open-data export``."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from figures.open_data import package, service
from figures.open_data.exceptions import UnknownNeighbourhood, UnknownResource
from figures.open_data.schemas import (
    FigureRowOut,
    MeasureOut,
    NamedCode,
    NeighbourhoodFiguresOut,
    ResourceFiguresOut,
)
from kernel.clock import Today
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from kernel.settings import AppSettings

# A resource's name: lower-case words joined by underscores.
Resource = Annotated[str, Path(max_length=40, pattern="^[a-z][a-z_]*$")]

router = APIRouter(prefix="/open-data", tags=["open data"])

# The figures change when a month ends; an hour's staleness is nothing beside that.
CACHE_CONTROL = "public, max-age=3600"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (If-None-Match matched the ETag)"}
}


def _cached(request: Request, body: bytes, media_type: str, *, vary: str | None = None) -> Response:
    """The answer with an ETag of its bytes; ``304`` when the caller already has them."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "Access-Control-Allow-Origin": "*"}
    if vary:
        headers["Vary"] = vary
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/", responses=NOT_MODIFIED)
def descriptor(
    request: Request, session: DbSession, settings: AppSettings, today: Today
) -> Response:
    """The open data's Frictionless Data package descriptor (datapackage.json)."""
    publication = service.publish(session, settings, today)
    return _cached(request, _json(package.descriptor(publication)), "application/json")


@router.get(
    "/neighbourhoods/{code}",
    response_model=NeighbourhoodFiguresOut,
    responses={**responses(UnknownNeighbourhood), **NOT_MODIFIED},
)
def neighbourhood(
    code: Annotated[str, Path(max_length=32)],
    request: Request,
    session: DbSession,
    settings: AppSettings,
    today: Today,
    language: RequestLanguage,
) -> Response:
    """One neighbourhood's published rows of every resource, as its public page shows them."""
    publication = service.publish(session, settings, today)
    place = publication.place(code)
    if place is None:
        raise UnknownNeighbourhood()
    answer = NeighbourhoodFiguresOut(
        neighbourhood=NamedCode(code=place.code, name=place.names[language]),
        months=publication.months,
        k=publication.k,
        resources=[
            ResourceFiguresOut(
                resource=table.source.resource,
                name=table.source.names[language],
                people=table.source.people,
                measures=[
                    MeasureOut(name=m.name, unit=m.unit, title=m.names[language])
                    for m in table.source.measures
                ],
                rows=[
                    FigureRowOut(
                        month=row.month,
                        category=row.category,
                        values=row.values,
                        people=row.people,
                        suppressed=row.suppressed,
                    )
                    for row in table.rows
                    if row.neighbourhood == place.code
                ],
            )
            for table in publication.tables
        ],
    )
    body = answer.model_dump_json().encode()
    return _cached(request, body, "application/json", vary="Accept-Language")


@router.get(
    "/{resource}.csv",
    response_class=Response,
    responses={
        **responses(UnknownResource),
        **NOT_MODIFIED,
        200: {"content": {"text/csv": {}}, "description": "The resource's rows as CSV."},
    },
)
def resource_csv(
    resource: Resource, request: Request, session: DbSession, settings: AppSettings, today: Today
) -> Response:
    """One resource of the open data as CSV (UTF-8), as datapackage.json describes it."""
    found = package.table_csv(service.publish(session, settings, today), resource)
    if found is None:
        raise UnknownResource()
    return _cached(request, found.encode(), "text/csv; charset=utf-8")


@router.get("/{resource}.json", responses={**responses(UnknownResource), **NOT_MODIFIED})
def resource_json(
    resource: Resource, request: Request, session: DbSession, settings: AppSettings, today: Today
) -> Response:
    """One resource of the open data as a JSON array of rows (suppressed figures null)."""
    found = package.table_json(service.publish(session, settings, today), resource)
    if found is None:
        raise UnknownResource()
    return _cached(request, _json(found), "application/json")
