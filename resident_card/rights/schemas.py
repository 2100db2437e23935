"""Erasure requests in and out of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kernel.kit.pagination import Page
from resident_card.rights.models import ErasureStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ErasureAsk(BaseModel):
    """A request to be erased, with what the clerk should know."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class Outcome(StrEnum):
    granted = "granted"
    refused = "refused"


class ErasureDecide(BaseModel):
    """A clerk's answer to an erasure request, with the reason the person will read."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: Reason


class ErasureOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(
        default="erasure", description="Always erasure: how the person's requests list it."
    )
    status: ErasureStatus
    reason: str = Field(description="The person's reason for asking.")
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str | None = Field(description="The clerk's reason, once decided.")


class ErasureForClerk(ErasureOut):
    user_id: uuid.UUID
    resident_id: uuid.UUID | None
    name: str = Field(
        description="Who asked, as the record named them when asked (empty once erased)."
    )


class ErasurePage(Page[ErasureForClerk]):
    """A page of erasure requests for the clerks' desk."""
