"""What parking's endpoints ask of a request: the errors any signed-in call may answer, and the
process's inspection desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import Forbidden, InvalidToken, NotAuthenticated
from kernel.runtime import runtime_of
from parking.service import inspections

AUTH = (NotAuthenticated, InvalidToken, Forbidden)


async def the_desk(request: Request) -> inspections.InspectionDesk:
    return runtime_of(request).part(inspections.InspectionDesk)


Desk = Annotated[inspections.InspectionDesk, Depends(the_desk)]
