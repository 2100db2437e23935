"""Accounts' part of a process's runtime: the keys that sign access tokens, the bearer tokens
verified once, and users' standing read not long ago."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from kernel.runtime import Runtime
from resident_card.accounts.callers import KnownCallers
from resident_card.accounts.tokens import AccessTokenKeys, VerifiedTokens


@dataclass
class Sessions:
    """Who is signed in, as this process knows it."""

    access_keys: AccessTokenKeys
    verified_tokens: VerifiedTokens
    known_callers: KnownCallers


def sessions_part(keys: AccessTokenKeys) -> Callable[[Runtime], AbstractContextManager[Sessions]]:
    """The part, with access-token keys loaded (and refused, if unusable) before serving."""

    @contextmanager
    def part(runtime: Runtime) -> Iterator[Sessions]:
        settings = runtime.settings
        yield Sessions(
            keys, VerifiedTokens(keys, settings), KnownCallers(settings.caller_cache_ttl_seconds)
        )

    return part
