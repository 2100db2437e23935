"""What one process of the service holds while it serves: one typed object, made by the app's
lifespan from a ``Recipe`` and let go when the lifespan ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.changes.feed import ChangeFeed, listen_url
from kernel.clock import Clock
from kernel.database import make_engine, make_sessionmaker
from kernel.settings import Settings

T = TypeVar("T")


@dataclass
class Database:
    """Where sessions come from; the engine, when this process made one, is disposed of at the end."""

    sessionmaker: Callable[[], Session]
    engine: Engine | None = None

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def open_database(settings: Settings) -> Database:
    engine = make_engine(settings.database_url)
    return Database(make_sessionmaker(engine), engine)


@dataclass
class Runtime:
    """The process's state: settings, clock, database, the change feed, and each enabled domain's
    own part (its keys, caches and writers), found by type with ``part``."""

    settings: Settings
    clock: Clock
    database: Database
    changes: ChangeFeed
    parts: dict[type[Any], Any] = field(default_factory=dict)

    def part(self, kind: type[T]) -> T:
        found = self.parts.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"this process runs no {kind.__name__}")
        return found


# A domain's part of the runtime: made from the runtime, started, and stopped when the lifespan ends.
RuntimePart = Callable[[Runtime], AbstractContextManager[Any]]


@dataclass
class Recipe:
    """What a runtime is made from: the settings, the clock, how to open the database, and the
    enabled domains' parts (in order: a part may use those made before it)."""

    settings: Settings
    clock: Clock
    database: Callable[[Settings], Database] = open_database
    parts: tuple[RuntimePart, ...] = ()


@contextmanager
def running(recipe: Recipe) -> Iterator[Runtime]:
    """The runtime a recipe makes, with its change feed listening and every part started; all of
    it stopped (the inspection writer flushed) and the database let go at the end."""
    settings = recipe.settings
    with ExitStack() as stack:
        database = recipe.database(settings)
        stack.callback(database.close)
        changes = ChangeFeed(listen_url=listen_url(settings.database_url))
        changes.start()
        stack.callback(changes.stop)
        runtime = Runtime(settings=settings, clock=recipe.clock, database=database, changes=changes)
        for make_part in recipe.parts:
            part = stack.enter_context(make_part(runtime))
            runtime.parts[type(part)] = part
        yield runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
