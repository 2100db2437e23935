"""The app's keyring, for endpoints that sign credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from resident_card.credentials.service import Keyring


def app_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.runtime.keyring
    return keyring


AppKeyring = Annotated[Keyring, Depends(app_keyring)]
