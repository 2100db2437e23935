"""The open data as files: one CSV per resource, the same rows as JSON, and the Frictionless Data
package (``datapackage.json``) that describes every field. The export command writes these files;
the API serves the same bytes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from figures.open_data.service import ALL, Publication, Row, Table

DESCRIPTOR = "datapackage.json"
NEIGHBOURHOODS = "neighbourhoods"
LICENCE = {
    "name": "ODC-PDDL-1.0",
    "path": "https://opendatacommons.org/licenses/pddl/1-0/",
    "title": "Open Data Commons Public Domain Dedication and License v1.0",
}
# How a hidden figure is written: an empty field, declared missing.
HIDDEN = ""
UNITS = {
    "count": "a count",
    "agorot": "an amount in agorot (1/100 of a new Israeli shekel)",
    "minutes": "a number of minutes",
}


def _fields(table: Table, publication: Publication) -> list[dict[str, Any]]:
    source = table.source
    codes = [place.code for place in publication.places]
    fields: list[dict[str, Any]] = [
        {
            "name": "neighbourhood",
            "type": "string",
            "description": "The neighbourhood's code (see neighbourhoods.csv), or 'all' for the "
            "whole city: the sum of every neighbourhood's row.",
            "constraints": {"required": True, "enum": [*codes, ALL]},
        },
        {
            "name": "month",
            "type": "yearmonth",
            "description": "The city month (Asia/Jerusalem calendar), YYYY-MM.",
            "constraints": {"required": True},
        },
    ]
    if source.categories is not None:
        fields.append(
            {
                "name": "category",
                "type": "string",
                "description": "The business category's code, or 'all' for every category: the "
                "sum of the categories' rows.",
                "constraints": {"required": True, "enum": [*source.categories, ALL]},
            }
        )
    for measure in source.measures:
        fields.append(
            {
                "name": measure.name,
                "type": "integer",
                "description": f"{measure.description} ({UNITS[measure.unit]}). Empty when the "
                "row is suppressed.",
                "constraints": {"minimum": 0},
            }
        )
    fields += [
        {
            "name": "people",
            "type": "integer",
            "description": f"The distinct {source.people} the row describes (not a sum: one "
            "person may count in several rows). Empty when the row is suppressed.",
            "constraints": {"minimum": 0},
        },
        {
            "name": "suppressed",
            "type": "boolean",
            "description": f"Whether the row's figures are withheld: it describes fewer than "
            f"{publication.k} people, or its figures would let a withheld row be worked out from "
            "the totals.",
            "constraints": {"required": True},
        },
    ]
    return fields


def _key_fields(table: Table) -> list[str]:
    if table.source.categories is None:
        return ["neighbourhood", "month"]
    return ["neighbourhood", "month", "category"]


def _neighbourhoods_resource() -> dict[str, Any]:
    return {
        "name": NEIGHBOURHOODS,
        "path": f"{NEIGHBOURHOODS}.csv",
        "profile": "tabular-data-resource",
        "title": "Neighbourhoods",
        "description": "The city's neighbourhoods: the codes the other resources use, and their "
        "names in Hebrew, Arabic and English.",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {
                    "name": "code",
                    "type": "string",
                    "description": "The neighbourhood's code.",
                    "constraints": {"required": True, "unique": True},
                },
                *(
                    {
                        "name": f"name_{language}",
                        "type": "string",
                        "description": f"The neighbourhood's name in {title}.",
                        "constraints": {"required": True},
                    }
                    for language, title in (("he", "Hebrew"), ("ar", "Arabic"), ("en", "English"))
                ),
            ],
            "primaryKey": ["code"],
        },
    }


def descriptor(publication: Publication) -> dict[str, Any]:
    """The package's descriptor: every resource, each field's type, meaning and constraints."""
    months = publication.months
    resources = [_neighbourhoods_resource()]
    for table in publication.tables:
        source = table.source
        resources.append(
            {
                "name": source.resource,
                "path": f"{source.resource}.csv",
                "profile": "tabular-data-resource",
                "title": source.title,
                "description": f"{source.description} Also as {source.resource}.json (the same "
                "rows, suppressed figures null).",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": _fields(table, publication),
                    "missingValues": [HIDDEN],
                    "primaryKey": _key_fields(table),
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "toshav-open-data",
        "title": "The city's resident-card figures by neighbourhood and month",
        "description": (
            "What the resident card's benefits did in each neighbourhood, month by month "
            f"({months[0]} to {months[-1]}, whole city months): no personal data, and a row about "
            f"fewer than {publication.k} people is suppressed, with the rows that would let it "
            "be worked out from the totals. Totals are the sums of every row, suppressed or not."
        ),
        "licenses": [LICENCE],
        "temporal": {"start": months[0], "end": months[-1]},
        "resources": resources,
    }


def _cells(table: Table, row: Row) -> list[str]:
    cells = [row.neighbourhood, row.month]
    if table.source.categories is not None:
        cells.append(row.category or "")
    for measure in table.source.measures:
        cells.append(HIDDEN if row.values is None else str(row.values[measure.name]))
    cells.append(HIDDEN if row.people is None else str(row.people))
    cells.append("true" if row.suppressed else "false")
    return cells


def _csv(header: list[str], lines: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


def table_csv(publication: Publication, resource: str) -> str | None:
    """A resource as CSV (``None``: no such resource)."""
    if resource == NEIGHBOURHOODS:
        return _csv(
            ["code", "name_he", "name_ar", "name_en"],
            [[p.code, p.names["he"], p.names["ar"], p.names["en"]] for p in publication.places],
        )
    table = publication.table(resource)
    if table is None:
        return None
    header = [str(field["name"]) for field in _fields(table, publication)]
    return _csv(header, [_cells(table, row) for row in table.rows])


def row_json(table: Table, row: Row) -> dict[str, Any]:
    """One row as JSON: suppressed figures are null."""
    found: dict[str, Any] = {"neighbourhood": row.neighbourhood, "month": row.month}
    if table.source.categories is not None:
        found["category"] = row.category
    for measure in table.source.measures:
        found[measure.name] = None if row.values is None else row.values[measure.name]
    found["people"] = row.people
    found["suppressed"] = row.suppressed
    return found


def table_json(publication: Publication, resource: str) -> list[dict[str, Any]] | None:
    """A resource as a JSON array of rows (``None``: no such resource)."""
    if resource == NEIGHBOURHOODS:
        return [
            {"code": p.code, **{f"name_{lang}": name for lang, name in p.names.items()}}
            for p in publication.places
        ]
    table = publication.table(resource)
    if table is None:
        return None
    return [row_json(table, row) for row in table.rows]


def resource_names(publication: Publication) -> list[str]:
    return [NEIGHBOURHOODS, *(table.source.resource for table in publication.tables)]


def write(publication: Publication, folder: Path) -> list[Path]:
    """Write the package into ``folder`` (made if missing): the descriptor, and each resource as
    CSV and JSON. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / DESCRIPTOR]
    written[0].write_text(
        json.dumps(descriptor(publication), ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    for resource in resource_names(publication):
        as_csv = folder / f"{resource}.csv"
        as_csv.write_bytes((table_csv(publication, resource) or "").encode("utf-8"))
        as_json = folder / f"{resource}.json"
        as_json.write_text(
            json.dumps(table_json(publication, resource), ensure_ascii=False, indent=1) + "\n",
            "utf-8",
        )
        written += [as_csv, as_json]
    return written
