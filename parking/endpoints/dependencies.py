"""What parking's endpoints ask of a request: the errors any signed-in call may answer, the
inspector, the process's inspection desk, and the caller's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import Forbidden, InvalidToken, NotAuthenticated
from kernel.i18n import Language, negotiate
from kernel.runtime import runtime_of
from parking.service import inspections
from resident_card.accounts.dependencies import Caller, require_roles
from resident_card.accounts.models import Role

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
InspectorCaller = Annotated[Caller, Depends(require_roles(Role.inspector))]


async def the_desk(request: Request) -> inspections.InspectionDesk:
    return runtime_of(request).part(inspections.InspectionDesk)


Desk = Annotated[inspections.InspectionDesk, Depends(the_desk)]


async def request_language(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


RequestLanguage = Annotated[Language, Depends(request_language)]
