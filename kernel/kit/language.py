"""The language a request asks for, from its Accept-Language header (Hebrew when none of ours fits)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.i18n import Language, negotiate


def language_of(request: Request) -> Language:
    """The best of our languages for the request's Accept-Language; Hebrew when none fits."""
    return negotiate(request.headers.get("accept-language"))


def asks_for_language(request: Request) -> bool:
    """Whether the request names languages at all (a non-empty Accept-Language header)."""
    return bool(request.headers.get("accept-language"))


async def request_language(request: Request) -> Language:
    # async: it reads only the headers, so it runs on the event loop, not in a worker thread.
    return language_of(request)


RequestLanguage = Annotated[Language, Depends(request_language)]
