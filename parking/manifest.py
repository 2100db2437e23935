"""Parking as the root mounts it: zones, vehicles, permits and passes, free time, inspections."""

from __future__ import annotations

from kernel.manifest import Manifest
from parking import cli, demo, endpoints

MANIFEST = Manifest(
    name="parking",
    routers=(endpoints.router,),
    commands=(cli.parking,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    runtime_parts=(endpoints.inspection_desk,),
)
