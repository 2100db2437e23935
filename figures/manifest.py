"""Figures as the root mounts them: the dashboard, the open data and the neighbourhoods' pages."""

from __future__ import annotations

from figures.settings import FiguresSettings
from kernel.manifest import Manifest

MANIFEST = Manifest(
    name="figures",
    settings=FiguresSettings,
)
