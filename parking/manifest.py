"""Parking as the root mounts it: zones, vehicles, permits and passes, free time, inspections."""

from __future__ import annotations

from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from parking import cli, demo, endpoints
from parking.web import pages

MANIFEST = Manifest(
    name="parking",
    routers=(endpoints.router,),
    commands=(cli.parking,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    pages=(pages.router,),
    static=((STATIC_URL, pages.STATIC),),
    page_parts=pages.PARTS,
    runtime_parts=(endpoints.inspection_desk,),
)
