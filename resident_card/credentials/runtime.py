"""Credentials' part of a process's runtime: the keyring that signs QR credentials."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kernel.runtime import Runtime
from resident_card.credentials.service import Keyring


@contextmanager
def keyring_part(runtime: Runtime) -> Iterator[Keyring]:
    yield Keyring(runtime.settings)
