"""What cashback's routes take from a request besides its body: the caller, a page of a list, a
month, the Idempotency-Key header and the request's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from kernel.errors import Forbidden, InvalidToken, NotAuthenticated
from kernel.i18n import Language, negotiate
from resident_card.accounts.dependencies import Caller, require_roles
from resident_card.accounts.models import Role

MAX_PAGE = 200

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
MerchantCaller = Annotated[Caller, Depends(require_roles(Role.merchant))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Period = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="A month: YYYY-MM.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Your id for this request (1 to 200 visible characters): send it again to "
        "retry safely.",
    ),
]
REPLAYED = "Idempotent-Replayed"


def request_language(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


RequestLanguage = Annotated[Language, Depends(request_language)]
