"""Parking as the root mounts it: zones, vehicles, permits and passes, free time, inspections."""

from __future__ import annotations

from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from parking import cli, demo, metrics, notices, open_data, plug_ins, rights, tasks
from parking.endpoints import (
    inspections,
    parking_time,
    passes,
    permits,
    records,
    residents,
    statistics,
    vehicles,
    zones,
)
from parking.service import follow_ups, requests
from parking.settings import ParkingSettings
from parking.web import pages

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
        statistics.router,
    ),
    commands=(cli.parking,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    pages=(pages.router,),
    static=((STATIC_URL, pages.STATIC),),
    page_parts=pages.PARTS,
    runtime_parts=(inspections.inspection_desk,),
    jobs=(*tasks.JOBS, notices.EXPIRING_PERMITS),
    retention=tasks.RULES,
    settings=ParkingSettings,
    plug_ins=(
        plug_ins.FACTS,
        plug_ins.PASS_HOLDERS,
        requests.SOURCE,
        follow_ups.FOLLOW_UPS,
        *open_data.SOURCES,
        rights.EXPORT,
        rights.ERASURE,
    ),
    metrics=metrics.METRICS,
)
