"""What the city API gives: neighbourhoods and streets, named in Hebrew, Arabic and English."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Names(BaseModel):
    he: str
    ar: str
    en: str


class NeighbourhoodOut(BaseModel):
    code: str
    names: Names


class StreetOut(BaseModel):
    code: str
    names: Names
    neighbourhoods: list[str]


class OutlineOut(BaseModel):
    """One neighbourhood as a GeoJSON feature: its code and names, and its outline."""

    type: Literal["Feature"] = "Feature"
    properties: NeighbourhoodOut
    geometry: dict[str, Any] = Field(
        description="the outline: a GeoJSON Polygon or MultiPolygon, longitude before latitude"
    )


class OutlinesOut(BaseModel):
    """The city's neighbourhoods as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[OutlineOut]
