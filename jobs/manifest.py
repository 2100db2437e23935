"""Jobs as the root mounts it: the record of the periodic runs, read by admins and auditors."""

from __future__ import annotations

from jobs import endpoints, metrics
from kernel.manifest import Manifest

MANIFEST = Manifest(
    name="jobs",
    routers=(endpoints.router,),
    metrics=metrics.METRICS,
)
