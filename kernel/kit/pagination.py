"""A page of a list: the ``limit`` and ``offset`` a list route takes, and the page it answers with.

Every list paged by offset takes the same two query parameters with the same bounds: at most
``MAX_LIMIT`` items a page (``DEFAULT_LIMIT`` unless asked), starting at most ``MAX_OFFSET`` items
in. Out of bounds is a 422 ``validation_error``, never a silently clipped page. (A list paged by a
cursor over an ordered sequence takes that cursor instead of an offset.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Pagination:
    """Which part of a list to read: ``limit`` items after the first ``offset``."""

    limit: int
    offset: int


async def pagination(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Pagination:
    # async: it reads only the query, so it runs on the event loop, not in a worker thread.
    return Pagination(limit=limit, offset=offset)


PaginationQuery = Annotated[Pagination, Depends(pagination)]


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: its items, how many the whole list holds, and the part that was read.

    A domain names its page by subclassing (``class UserPage(Page[UserOut])``), so the OpenAPI
    document keeps one schema per list under that name.
    """

    items: list[ItemT]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[ItemT], *, total: int, pagination: Pagination) -> Self:
        return cls(items=list(items), total=total, limit=pagination.limit, offset=pagination.offset)


class PageWithoutTotal(BaseModel, Generic[ItemT]):
    """One page of a list not counted on each read (a log that only grows): its items and the
    part that was read. The client asks for the next page until one comes back short."""

    items: list[ItemT]
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[ItemT], *, pagination: Pagination) -> Self:
        return cls(items=list(items), limit=pagination.limit, offset=pagination.offset)
