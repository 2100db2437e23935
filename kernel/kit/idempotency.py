"""The Idempotency-Key header, which lets a client send a request again safely, and the hash of a
request that tells a retry (the same request under the same key) from a different one.

A key is 1 to ``MAX_KEY_LENGTH`` visible ASCII characters (``!`` to ``~``). A route that answers a
request it has seen before (same key, same hash) says so in the ``Idempotent-Replayed`` header.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, TypeGuard

from fastapi import Header

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEY_PATTERN = r"^[!-~]+$"
_DESCRIPTION = (
    f"Your id for this request (1 to {MAX_KEY_LENGTH} visible characters): send it again to "
    "retry safely."
)

# The header as sent: the route's service judges it with ``is_idempotency_key`` and refuses a
# missing or malformed key with its own error.
IdempotencyKey = Annotated[str | None, Header(alias=HEADER, description=_DESCRIPTION)]

# The header checked at the door: a malformed key is a 422 ``validation_error`` before the route
# runs; a missing one is None.
CheckedIdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description=_DESCRIPTION,
    ),
]


def is_idempotency_key(key: str | None) -> TypeGuard[str]:
    """1 to ``MAX_KEY_LENGTH`` visible ASCII characters."""
    return (
        key is not None
        and 1 <= len(key) <= MAX_KEY_LENGTH
        and all("!" <= char <= "~" for char in key)
    )


def request_hash(content: Mapping[str, object]) -> str:
    """The SHA-256 of the request's content as canonical JSON (keys sorted, no spaces; what JSON
    cannot hold, as its ``str``). Stored beside the key, so it must never change for the same
    content: a retry after an upgrade still matches."""
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
