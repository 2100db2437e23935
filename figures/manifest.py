"""Figures as the root mounts them: the dashboard, the open data and the neighbourhoods' pages."""

from __future__ import annotations

from figures.open_data import cli, endpoints, tasks
from figures.settings import FiguresSettings
from figures.web import pages
from kernel.manifest import Manifest
from kernel.pages import STATIC_URL

MANIFEST = Manifest(
    name="figures",
    routers=(endpoints.router,),
    commands=(cli.open_data,),
    pages=(pages.router,),
    static=((STATIC_URL, pages.STATIC),),
    settings=FiguresSettings,
    page_parts=pages.PARTS,
    jobs=(tasks.PUBLISH_OPEN_DATA,),
)
