"""Appeals in and out of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from benefits.appeals.models import AppealStatus
from kernel.kit.pagination import Page

Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class AppealCreate(BaseModel):
    """An appeal against a refused decision of yours (or of a ward's), with what the clerk should know."""

    model_config = ConfigDict(extra="forbid")

    decision_id: uuid.UUID
    message: Message


class Outcome(StrEnum):
    granted = "granted"
    refused = "refused"


class AppealDecide(BaseModel):
    """A clerk's answer to an appeal, with the reason the resident will read."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: Reason


class AppealOut(BaseModel):
    id: uuid.UUID
    status: AppealStatus
    decision_id: uuid.UUID
    programme: str = Field(description="The programme's code.")
    programme_name: str = Field(description="The programme's name, in the language asked for.")
    resident_id: uuid.UUID
    resident_name: str
    message: str
    created_at: datetime
    decided_at: datetime | None
    reason: str | None = Field(description="The clerk's reason, once decided.")
    outcome_decision_id: uuid.UUID | None = Field(
        description="A granted appeal's decision: eligible, naming this appeal."
    )
    transaction_id: uuid.UUID | None = Field(
        description="The ledger grant a granted appeal credited, if any (reference appeal:<id>)."
    )


class AppealPage(Page[AppealOut]):
    """A page of appeals for the clerks' desk."""
