"""What ``GET /requests/me`` gives: each request with its status and its timeline, in the reader's
language."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class RequestStepOut(BaseModel):
    status: str = Field(description="The status the request reached at this step.")
    status_text: str = Field(description="That status in the reader's language.")
    at: datetime
    note: str | None = Field(
        default=None,
        description="What came with the step: a clerk's reason (in the clerk's words) or the "
        "system's note (in the reader's language).",
    )


class RequestOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(
        description="enrolment, permit, business_application, appeal (more kinds may come).",
        examples=["enrolment"],
    )
    status: str = Field(description="Where the request stands: its last step's status.")
    status_text: str = Field(description="That status in the reader's language.")
    created_at: datetime
    updated_at: datetime = Field(description="When its last step happened.")
    timeline: list[RequestStepOut] = Field(description="Every step, oldest first.")
