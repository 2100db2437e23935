"""Who may call cashback's routes, beyond the house-wide roles in ``resident_card.accounts.dependencies``
(``AdminCaller`` changes, ``StaffReader`` reads, ``ResidentCaller`` for a resident's own wallet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from resident_card.accounts.dependencies import Caller, require_roles
from resident_card.accounts.models import Role

# A business's staff at the till: purchases, refunds, redemptions, their business's statements.
# Which business is theirs is the service's question (``merchants.staff_merchant``), not the role's.
MerchantCaller = Annotated[Caller, Depends(require_roles(Role.merchant))]

# Who may apply a business with their own login: a resident (their one login serves both) or a
# business's login that belongs to no business yet.
ApplicantCaller = Annotated[Caller, Depends(require_roles(Role.resident, Role.merchant))]
