"""Parking as the root mounts it: zones, vehicles, permits and passes, free time, inspections."""

from __future__ import annotations

from kernel.manifest import Manifest
from parking import cli, demo, endpoints, plug_ins
from parking.settings import ParkingSettings

MANIFEST = Manifest(
    name="parking",
    routers=(endpoints.router,),
    commands=(cli.parking,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    runtime_parts=(endpoints.inspection_desk,),
    settings=ParkingSettings,
    plug_ins=(plug_ins.FACTS, plug_ins.PASS_HOLDERS),
)
