"""The year's events in time order: what happens when, played one after another."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

Event = Callable[[datetime], None]


class Timeline:
    """Events to play in time order (ties in the order they were scheduled), up to a bound."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        self._events: list[tuple[datetime, int, Event]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._events)

    def schedule(self, at: datetime, event: Event, *, until: datetime | None = None) -> bool:
        """Play ``event`` at ``at`` if that is before the bound (False: it is not, and will not)."""
        if at >= (until or self.until):
            return False
        heapq.heappush(self._events, (at, next(self._order), event))
        return True

    def play(self, tick: Callable[[int], None]) -> int:
        """Every event in time order, including those the events schedule."""
        done = 0
        while self._events:
            at, _, event = heapq.heappop(self._events)
            event(at)
            done += 1
            if done % 1000 == 0:
                tick(1000)
        tick(done % 1000)
        return done
