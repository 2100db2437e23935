"""What cashback's routes take from a request besides its body and what the kit gives (a page of
a list, the request's language, the Idempotency-Key header): the errors a signed-in route can
answer, and a month."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from kernel.errors import Forbidden, InvalidToken, NotAuthenticated

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
Period = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="A month: YYYY-MM.")]
