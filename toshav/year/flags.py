"""The fraud signals of the year's purchases, and how a clerk settled them."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cashback import earning
from cashback.models import FlagOutcome, FlagStatus

DISMISSED = "receipt checked with the business: a real sale"
CONFIRMED = "the same card at the same till again and again: abuse"


class Signals:
    """What the signals look at: each business's earlier amounts, and how often a resident came to
    a business on a day. The velocity signals never fire: the year's purchases are spread out."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], uuid.UUID],
        thresholds: earning.Thresholds,
        *,
        clerk_id: uuid.UUID | None,
        until: datetime,
    ) -> None:
        self.rng = rng
        self.new_id = new_id
        self.thresholds = thresholds
        self.clerk_id = clerk_id
        self.until = until
        self.pairs: dict[tuple[uuid.UUID, uuid.UUID, str], int] = defaultdict(int)
        self.history: dict[uuid.UUID, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    def raised(self, row: dict[str, Any], *, day: str, at: datetime) -> list[dict[str, Any]]:
        """The flags a purchase raises, as the till's ``signals_raised`` finds them, a clerk
        settling most of them within days, either way."""
        business_id: uuid.UUID = row["merchant_id"]
        pair = (row["resident_id"], business_id, day)
        self.pairs[pair] += 1
        history = self.history[business_id]
        count, total, squares = history
        mean = total / count if count else 0.0
        deviation = max(squares / count - mean**2, 0.0) ** 0.5 if count else 0.0
        signals = earning.fraud_signals(
            earning.PurchaseFigures(
                amount_agorot=row["amount_agorot"],
                resident_last_hour=1,
                business_last_ten_minutes=1,
                pair_today=self.pairs[pair],
                business_history=min(int(count), 200),
                business_mean=mean,
                business_deviation=deviation,
            ),
            self.thresholds,
        )
        history[0] += 1
        history[1] += row["amount_agorot"]
        history[2] += row["amount_agorot"] ** 2
        flags = []
        for signal, details in signals:
            resolved_at = at + timedelta(days=self.rng.uniform(0.5, 8))
            resolved = self.rng.random() < 0.8 and resolved_at < self.until
            outcome = FlagOutcome.confirmed if self.rng.random() < 0.3 else FlagOutcome.dismissed
            flags.append(
                {
                    "id": self.new_id(),
                    "created_at": at,
                    "purchase_id": row["id"],
                    "merchant_id": business_id,
                    "signal": signal,
                    "details": details,
                    "status": (FlagStatus.resolved if resolved else FlagStatus.open).value,
                    "outcome": outcome.value if resolved else None,
                    "resolution_reason": (
                        (DISMISSED if outcome == FlagOutcome.dismissed else CONFIRMED)
                        if resolved
                        else None
                    ),
                    "resolved_by": self.clerk_id if resolved else None,
                    "resolved_at": resolved_at if resolved else None,
                }
            )
        return flags
