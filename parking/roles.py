"""Who may do what in parking: the inspector checks vehicles (residents and staff aliases live with
the accounts that define them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from resident_card.accounts.dependencies import Caller, require_roles
from resident_card.accounts.models import Role

InspectorCaller = Annotated[Caller, Depends(require_roles(Role.inspector))]
