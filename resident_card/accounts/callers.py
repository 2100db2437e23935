"""Users' standing (may they act, and as what), kept per process for a short while.

``KnownCallers`` keeps whether a user is active, and their roles, for
``TOSHAV_CALLER_CACHE_TTL_SECONDS``. Any change to ``User.is_active`` or ``User.roles`` made in
this process drops the user at once (when set, and again when its transaction commits); a change
made by another process is seen when the entry ages out.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from resident_card.accounts.models import Role, User


@dataclass(frozen=True)
class Standing:
    """What the access check needs of a user: may they act, and as what."""

    active: bool
    roles: frozenset[Role]


GONE = Standing(active=False, roles=frozenset())


class KnownCallers:
    """Users' standing (active, roles) by id, each kept ``ttl_seconds`` from when it was read.

    Any change to ``User.is_active`` or ``User.roles`` made in this process drops the user from
    every ``KnownCallers`` here (when set, and again when its transaction commits), and a reading
    that began before such a change is not kept. Changes made by another process are seen when the
    entry ages out. Entries age by the app's clock.
    """

    def __init__(self, ttl_seconds: int, *, max_size: int = 10_000) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self._max_size = max_size
        self._known: dict[uuid.UUID, tuple[datetime, Standing]] = {}
        self._changes: dict[uuid.UUID, int] = {}
        self._reading: dict[tuple[int, uuid.UUID], asyncio.Future[Standing]] = {}
        _LIVE.add(self)

    async def read(
        self, user_id: uuid.UUID, now: datetime, load: Callable[[], Awaitable[Standing]]
    ) -> Standing:
        """A user's standing, read with ``load`` and kept. Requests that come while a read of the
        same user is under way wait for that one instead of each reading again: an entry ageing
        out costs one thread and one connection, however many of the user's requests are in
        flight."""
        key = (id(asyncio.get_running_loop()), user_id)
        pending = self._reading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        mark = self.change_mark(user_id)
        reading = asyncio.ensure_future(load())
        self._reading[key] = reading
        try:
            standing = await asyncio.shield(reading)  # a caller gone away leaves the read to finish
        finally:
            if self._reading.get(key) is reading:
                del self._reading[key]
        self.keep(user_id, standing, read_at=now, mark=mark)
        return standing

    def get(self, user_id: uuid.UUID, now: datetime) -> Standing | None:
        found = self._known.get(user_id)
        if found is None:
            return None
        read_at, standing = found
        if not read_at <= now < read_at + self.ttl:
            self._known.pop(user_id, None)
            return None
        return standing

    def change_mark(self, user_id: uuid.UUID) -> int:
        """Take before reading a user's standing; ``keep`` needs it to know nothing changed since."""
        return self._changes.get(user_id, 0)

    def keep(self, user_id: uuid.UUID, standing: Standing, *, read_at: datetime, mark: int) -> None:
        if not self.ttl or self._changes.get(user_id, 0) != mark:
            return
        while len(self._known) >= self._max_size:
            try:
                self._known.pop(next(iter(self._known)), None)
            except (StopIteration, RuntimeError):  # emptied or changed meanwhile
                break
        self._known[user_id] = (read_at, standing)

    def forget(self, user_id: uuid.UUID) -> None:
        self._changes[user_id] = self._changes.get(user_id, 0) + 1
        self._known.pop(user_id, None)


_LIVE: weakref.WeakSet[KnownCallers] = weakref.WeakSet()
_CHANGED = "toshav_changed_users"


def forget_user(user_id: uuid.UUID) -> None:
    """Drop a user's standing from every cache in this process (done for you on any change)."""
    for callers in list(_LIVE):
        callers.forget(user_id)


@event.listens_for(User.is_active, "set")
@event.listens_for(User.roles, "set")
def _standing_changed(target: User, value: Any, old: Any, _initiator: Any) -> None:
    if target.id is None or value == old:
        return
    forget_user(target.id)
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(target.id)


@event.listens_for(Session, "after_commit")
def _standing_committed(session: Session) -> None:
    # Again once committed: a reading taken between the change and its commit saw the old standing.
    for user_id in session.info.pop(_CHANGED, ()):
        forget_user(user_id)


@event.listens_for(Session, "after_soft_rollback")
def _standing_rolled_back(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)
