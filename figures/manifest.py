"""Figures as the root mounts them: the dashboard, the open data and the neighbourhoods' pages."""

from __future__ import annotations

from figures.open_data import cli, endpoints
from figures.settings import FiguresSettings
from kernel.manifest import Manifest

MANIFEST = Manifest(
    name="figures",
    routers=(endpoints.router,),
    commands=(cli.open_data,),
    settings=FiguresSettings,
)
