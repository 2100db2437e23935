"""What the open data's API answers for one neighbourhood (the files answer the package's own
shapes, ``figures.open_data.package``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NamedCode(BaseModel):
    code: str
    name: str = Field(description="In the caller's language.")


class MeasureOut(BaseModel):
    name: str = Field(description="The measure's column, as in the resource's CSV.")
    unit: str = Field(description="count, agorot or minutes.")
    title: str = Field(description="What it counts, in the caller's language.")


class FigureRowOut(BaseModel):
    month: str = Field(description="The city month, YYYY-MM.")
    category: str | None = Field(
        description="The business category's code, 'all' over every category; null where the "
        "resource has no categories."
    )
    values: dict[str, int] | None = Field(description="Each measure's value; null: suppressed.")
    people: int | None = Field(description="The distinct people described; null: suppressed.")
    suppressed: bool


class ResourceFiguresOut(BaseModel):
    resource: str
    name: str = Field(description="In the caller's language.")
    people: str = Field(description="Who the people counted are (English, as in the package).")
    measures: list[MeasureOut]
    rows: list[FigureRowOut]


class NeighbourhoodFiguresOut(BaseModel):
    neighbourhood: NamedCode
    months: list[str] = Field(description="The published city months, oldest first.")
    k: int = Field(description="A figure about fewer people than this is suppressed.")
    resources: list[ResourceFiguresOut]
