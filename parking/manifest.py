"""Parking as the root mounts it: zones, vehicles, permits and passes, free time, inspections."""

from __future__ import annotations

from kernel.manifest import Manifest
from parking import cli, demo
from parking.endpoints import (
    inspections,
    parking_time,
    passes,
    permits,
    records,
    residents,
    vehicles,
    zones,
)

MANIFEST = Manifest(
    name="parking",
    # In the order their routes are matched: the inspectors' scans, the busiest, first.
    routers=(
        inspections.router,
        zones.router,
        residents.router,
        vehicles.router,
        permits.router,
        passes.router,
        parking_time.router,
        records.router,
    ),
    commands=(cli.parking,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    runtime_parts=(inspections.inspection_desk,),
)
