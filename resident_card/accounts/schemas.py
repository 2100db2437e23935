"""What the accounts API takes and gives."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from resident_card.accounts.models import Role


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class Me(BaseModel):
    id: uuid.UUID
    username: str
    roles: list[Role]
    display_name: str | None
    preferred_language: str
