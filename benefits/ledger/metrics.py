"""What the operators' /metrics shows of the ledger: the transactions posted, by kind."""

from __future__ import annotations

from prometheus_client import Counter

from kernel.metrics import Metrics

TRANSACTIONS = Counter(
    "toshav_ledger_transactions_total",
    "Ledger transactions posted (committed) by this service's processes, by kind (grant, "
    "cashback, parking, reversal, ...).",
    ("kind",),
    registry=None,
)
METRICS: Metrics = (TRANSACTIONS,)
