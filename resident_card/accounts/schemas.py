"""What the accounts API takes and gives."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from kernel.i18n import Language
from kernel.kit.pagination import Page
from resident_card.accounts.models import Role
from resident_card.accounts.passwords import MAX_PASSWORD_BYTES, password_input_problem


def _password(value: str) -> str:
    problem = password_input_problem(value)
    if problem is not None:
        raise ValueError(f"a password is 1 to {MAX_PASSWORD_BYTES} bytes of text ({problem})")
    return value


def is_plain_text(value: str) -> bool:
    """Text a person typed: no control characters, nothing that is not valid Unicode."""
    return not any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def _plain_text(value: str) -> str:
    if not is_plain_text(value):
        raise ValueError("must not contain control characters")
    return value


# Never stripped, never echoed back in an error.
Password = Annotated[str, AfterValidator(_password)]
PlainText = Annotated[str, AfterValidator(_plain_text)]
Username = Annotated[PlainText, Field(min_length=1, max_length=150)]
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_plain_text),
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_plain_text),
]


class SignInForm(BaseModel):
    """The OAuth2 password grant (RFC 6749 §4.3), as the /docs Authorize button sends it."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    grant_type: Literal["password"] | None = None
    scope: str = Field(default="", max_length=200)
    client_id: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=200)
    known_device: str | None = Field(
        default=None,
        max_length=200,
        description=(
            "Optional: the `known_device` of an earlier sign-in as this username. A live one "
            "lets this sign-in through when others have filled the username's sign-in limit; "
            "one that is not live, or is for another username, counts as none."
        ),
    )

    @model_validator(mode="after")
    def _username_not_blank(self) -> Self:
        if not self.username.strip():
            raise ValueError("username must not be blank")
        return self


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class SignedIn(TokenPair):
    known_device: str = Field(
        description=(
            "Proof, for 180 days, that this client signed in as this username: send it back as "
            "the sign-in form's `known_device`. It holds no password and no personal data."
        )
    )


class SessionAccess(BaseModel):
    """A browser session's access token; its refresh token is in an HttpOnly cookie, never here."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Ours are 43 characters of base64url; anything else cannot be one.
    refresh_token: str = Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")


class Me(BaseModel):
    id: uuid.UUID
    username: str
    roles: list[Role]
    display_name: str | None
    preferred_language: Language


class MeUpdate(BaseModel):
    """What a user may change about themselves. ``display_name: null`` clears the name."""

    model_config = ConfigDict(extra="forbid")

    preferred_language: Language | None = None
    display_name: DisplayName | None = None

    @model_validator(mode="after")
    def _language_not_null(self) -> Self:
        if "preferred_language" in self.model_fields_set and self.preferred_language is None:
            raise ValueError("preferred_language must be one of he, ar, en")
        return self


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


# Ours are 43 characters of base64url; anything else cannot be one.
LinkToken = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")]


class PasswordResetRequest(BaseModel):
    """A forgotten password: the account's username, or the email address it was given."""

    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    email: Annotated[EmailStr, Field(max_length=254)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [value for value in (self.username, self.email) if value is not None]
        if len(given) != 1:
            raise ValueError("give either username or email, not both")
        if self.username is not None and not self.username.strip():
            raise ValueError("username must not be blank")
        return self


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: LinkToken = Field(repr=False)
    new_password: Password = Field(repr=False)


class UserCreate(BaseModel):
    """A staff account: inspector, merchant staff, clerk (admin) or auditor."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[Username, Field(min_length=3)]
    password: Password
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    display_name: DisplayName | None = None


class UserOut(BaseModel):
    """A user as staff see them. Never the password hash."""

    id: uuid.UUID
    username: str
    roles: list[Role]
    display_name: str | None
    preferred_language: Language
    is_active: bool
    created_at: datetime


class UserPage(Page[UserOut]):
    pass


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
