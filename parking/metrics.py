"""What the operators' /metrics shows of parking: the inspections recorded, by verdict."""

from __future__ import annotations

from prometheus_client import Counter

from kernel.metrics import Metrics

INSPECTIONS = Counter(
    "toshav_parking_inspections_total",
    "Inspections recorded, by how the vehicle was checked (a scanned pass, a typed plate) and the "
    "verdict's reason (valid_permit, revoked, wrong_zone, ...).",
    ("method", "reason"),
    registry=None,
)
METRICS: Metrics = (INSPECTIONS,)
