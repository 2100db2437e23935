"""What every request to the till must carry: an idempotency key and an amount of agorot."""

from __future__ import annotations

from cashback import earning
from cashback.exceptions import AmountInvalid, IdempotencyKeyRequired
from kernel.kit.idempotency import is_idempotency_key


def check_idempotency_key(key: str | None) -> str:
    """1 to 200 visible ASCII characters, or ``idempotency_key_required``."""
    if not is_idempotency_key(key):
        raise IdempotencyKeyRequired()
    return key


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountInvalid(problem="a whole number of agorot")
    if amount < 1:
        raise AmountInvalid(problem="at least 1 agora")
    if amount > earning.MAX_AMOUNT_AGOROT:
        raise AmountInvalid(problem=f"at most {earning.format_agorot(earning.MAX_AMOUNT_AGOROT)}")
    return amount
