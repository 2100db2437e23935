"""The app's keyring, for endpoints that sign credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.runtime import runtime_of
from resident_card.credentials.service import Keyring


def app_keyring(request: Request) -> Keyring:
    return runtime_of(request).part(Keyring)


AppKeyring = Annotated[Keyring, Depends(app_keyring)]
