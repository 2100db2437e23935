"""What every request to the till must carry: an idempotency key, an amount of agorot, and the
hash of its body that tells a retry from a different request under the same key.
"""

from __future__ import annotations

import hashlib
import json

from cashback import earning
from cashback.exceptions import AmountInvalid, IdempotencyKeyRequired

MAX_KEY_LENGTH = 200


def check_idempotency_key(key: str | None) -> str:
    """1 to 200 visible ASCII characters, or ``idempotency_key_required``."""
    if key is None or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyRequired()
    if not all("!" <= char <= "~" for char in key):
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


def request_hash(**content: object) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
