"""Who may call the card's routes, beyond the house-wide roles in ``resident_card.accounts.dependencies``
(``AdminCaller``, ``StaffReader``, ``ResidentCaller``). Roles are checked before the body is
read, so a caller without the role learns nothing (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from resident_card.accounts.dependencies import Caller, require_roles
from resident_card.accounts.models import Role

# Those who check a card presented to them: inspectors in the street, merchants at the till, clerks.
VERIFIER_ROLES = (Role.inspector, Role.merchant, Role.admin)
Verifier = Annotated[Caller, Depends(require_roles(*VERIFIER_ROLES))]
# The holder (or their guardian) sees their own photo; verifiers see the photo of a card shown them.
PhotoViewer = Annotated[Caller, Depends(require_roles(Role.resident, *VERIFIER_ROLES))]
# The holder revokes their own card (lost, stolen); a clerk revokes any.
CardRevoker = Annotated[Caller, Depends(require_roles(Role.resident, Role.admin))]
