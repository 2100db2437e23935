"""What the operators' /metrics shows of cashback: the purchases recorded at the tills."""

from __future__ import annotations

from prometheus_client import Counter

from kernel.metrics import Metrics

PURCHASES = Counter(
    "toshav_cashback_purchases_total",
    "Purchases recorded at a business's till, with their cashback held.",
    registry=None,
)
PURCHASED_AGOROT = Counter(
    "toshav_cashback_purchase_agorot_total",
    "What those purchases came to, in agorot.",
    registry=None,
)
CASHBACK_AGOROT = Counter(
    "toshav_cashback_held_agorot_total",
    "The cashback held for those purchases, in agorot.",
    registry=None,
)
METRICS: Metrics = (PURCHASES, PURCHASED_AGOROT, CASHBACK_AGOROT)
