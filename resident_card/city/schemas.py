"""What the city API gives: neighbourhoods and streets, named in Hebrew, Arabic and English."""

from __future__ import annotations

from pydantic import BaseModel


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
