"""Cashback as the root mounts it: businesses, campaigns, purchases, refunds, settlement."""

from __future__ import annotations

from cashback import cli, demo, routers
from kernel.manifest import Manifest

MANIFEST = Manifest(
    name="cashback",
    routers=routers.ROUTERS,
    commands=(cli.cashback,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
)
