"""Where a limited action is counted: ``spend`` (or ``spend_async``) at the top of an endpoint,
before its session is first used, with the action's name and the account it is for.

Every use counts once by the client's address and once by the account; past either limit the
answer is 429 ``too_many_requests`` with ``Retry-After``. Keys hold a keyed digest of the address
or account, never the value itself. A storage that cannot be reached lets the request through
(and says so in the log): a limit protects the service, it must not be what stops it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, Literal, cast

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import RedisStorage, SlidingWindowCounterSupport, Storage
from limits.strategies import STRATEGIES, RateLimiter, SlidingWindowCounterRateLimiter
from sqlalchemy.orm import Session

from kernel.database import in_own_session
from kernel.errors import ToshavError
from kernel.i18n import Text
from kernel.limits.storage import DatabaseStorage
from kernel.runtime import Runtime, runtime_of
from kernel.settings import Settings

logger = logging.getLogger("toshav.limits")

Action = Literal[
    "sign_in",
    "enrolment",
    "password_reset",
    "card_verification",
    "card_token",
    "plate_inspection",
    "purchase",
]
ACTIONS: tuple[Action, ...] = (
    "sign_in",
    "enrolment",
    "password_reset",
    "card_verification",
    "card_token",
    "plate_inspection",
    "purchase",
)
Scope = Literal["address", "account"]
SCOPES: tuple[Scope, ...] = ("address", "account")


class TooManyRequests(ToshavError):
    status_code = 429
    code = "too_many_requests"
    message: ClassVar[Text] = {
        "he": "יותר מדי בקשות. נסו שוב בעוד {seconds} שניות.",
        "ar": "طلبات كثيرة جدًا. حاولوا مجددًا بعد {seconds} ثانية.",
        "en": "Too many requests. Try again in {seconds} seconds.",
    }

    def __init__(self, seconds: int) -> None:
        super().__init__(headers={"Retry-After": str(seconds)}, seconds=seconds)


def digest(settings: Settings, value: str) -> str:
    """A keyed digest of an address or an account, to count by without keeping it."""
    key = settings.id_hash_key.get_secret_value().encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def client_address(request: Request) -> str:
    """The address of the client: the socket's peer, or, when uvicorn trusts the proxy it came
    through (``--forwarded-allow-ips``), the address that proxy forwarded."""
    return request.client.host if request.client is not None else "unknown"


def client_digest(request: Request) -> str:
    """A keyed digest of the request's client address (see ``client_address``)."""
    return digest(runtime_of(request).settings, client_address(request))


def rates(settings: Settings, action: Action, scope: Scope) -> list[RateLimitItem]:
    field_name = f"limit_{action}" if scope == "address" else f"limit_{action}_per_account"
    value: str = getattr(settings, field_name)
    return parse_many(value) if value else []


@dataclass
class Limiter:
    """The process's limits: each action's rates by scope, counted by one strategy on a storage
    every process shares. With no strategy (``TOSHAV_LIMITS_ENABLED=false``) nothing is counted."""

    settings: Settings
    strategy: RateLimiter | None
    items: dict[tuple[Action, Scope], list[RateLimitItem]] = field(default_factory=dict)

    def spend(self, action: Action, *, address: str, account: str | None = None) -> None:
        """Count one use of ``action`` by ``address`` and by ``account``; refuse past a limit."""
        if self.strategy is None:
            return
        self._spend(action, "address", address)
        if account is not None:
            self._spend(action, "account", account)

    def _spend(self, action: Action, scope: Scope, who: str) -> None:
        assert self.strategy is not None
        identity = (action, scope, digest(self.settings, who))
        for item in self.items.get((action, scope), ()):
            try:
                if self.strategy.hit(item, *identity):
                    continue
                wait = self._wait(item, identity)
            except StorageError:
                logger.warning("limits: storage unreachable, %s let through", action, exc_info=True)
                return
            raise TooManyRequests(seconds=max(1, math.floor(wait) + 1))

    def forget(self, action: Action, *, account: str, session: Session) -> None:
        """Clear ``account``'s count of ``action`` (every window of every rate).

        On the database, in ``session``: cleared only if the caller's work commits, and without
        waiting for the write lock that work holds on SQLite. On Redis, at once.
        """
        if self.strategy is None:
            return
        identity = (action, "account", digest(self.settings, account))
        for item in self.items.get((action, "account"), ()):
            if isinstance(self.strategy.storage, DatabaseStorage):
                DatabaseStorage.clear_within(session, item.key_for(*identity))
                continue
            try:
                self.strategy.clear(item, *identity)
            except StorageError:
                logger.warning("limits: storage unreachable, %s not cleared", action, exc_info=True)
                return

    def _wait(self, item: RateLimitItem, identity: tuple[str, ...]) -> float:
        """Seconds until ``item`` lets one more use through (``Retry-After``, before rounding up).

        A sliding window counter allows a use while ``floor(P * p / E) + C < L``: ``P`` and ``C``
        the previous and current windows' counts, ``p`` the previous window's time to live (its
        weight is ``p / E``), ``E`` the window, ``L`` the limit. Past the limit, either the
        previous window's weight falls far enough within this window, or this window must end
        and then its own weight fall. (The library's ``get_window_stats`` gives the end of the
        current window, before which a use may still be refused.)
        """
        assert self.strategy is not None
        if not isinstance(self.strategy, SlidingWindowCounterRateLimiter):
            return self.strategy.get_window_stats(item, *identity).reset_time - time.time()
        storage = cast(SlidingWindowCounterSupport, self.strategy.storage)
        window, limit = item.get_expiry(), item.amount
        previous, previous_ttl, current, current_ttl = storage.get_sliding_window(
            item.key_for(*identity), window
        )
        if current < limit and previous > 0:
            return previous_ttl - (limit - current) * window / previous
        left_of_current = max(0.0, current_ttl - window)
        return left_of_current + (window * (1 - limit / current) if current else 0.0)


def _storage(runtime: Runtime) -> Storage:
    settings = runtime.settings
    if settings.redis_url:
        return RedisStorage(
            settings.redis_url, key_prefix=settings.redis_key_prefix, wrap_exceptions=True
        )
    return DatabaseStorage(runtime.database.sessionmaker)


@contextmanager
def limiter(runtime: Runtime) -> Iterator[Limiter]:
    """The kernel's part of the runtime: the limits on volume, on Redis or on the database."""
    settings = runtime.settings
    if not settings.limits_enabled:
        yield Limiter(settings, None)
        return
    storage = _storage(runtime)
    items = {
        (action, scope): rates(settings, action, scope) for action in ACTIONS for scope in SCOPES
    }
    try:
        yield Limiter(settings, STRATEGIES[settings.limits_strategy](storage), items)
    finally:
        if isinstance(storage, RedisStorage):
            storage.storage.close()


def spend(request: Request, action: Action, *, account: str | None = None) -> None:
    """Count one use of ``action`` by this request's client and ``account``; 429 past a limit.

    From a sync endpoint, before the request's session is first used: on SQLite the count's own
    transaction must not wait for the write lock the request would then hold.
    """
    runtime_of(request).part(Limiter).spend(
        action, address=client_address(request), account=account
    )


async def spend_async(request: Request, action: Action, *, account: str | None = None) -> None:
    """``spend`` from an async endpoint: in a thread counted among the sessions of its own (the
    database storage opens one per count)."""
    limits = runtime_of(request).part(Limiter)
    if limits.strategy is None:
        return
    address = client_address(request)
    await in_own_session(
        runtime_of(request).database.sessionmaker,
        lambda _session: limits.spend(action, address=address, account=account),
    )


def forget(request: Request, action: Action, session: Session, *, account: str) -> None:
    """Clear ``account``'s count of ``action``, as a password reset does for its sign-ins."""
    runtime_of(request).part(Limiter).forget(action, account=account, session=session)
