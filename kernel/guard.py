"""The gates every request passes: its path and query, then its JSON body (a size limit), must be
text a person could have typed.

NUL bytes, other control characters, lone surrogates and broken UTF-8 are refused here, once for
every route and page, so no domain has to remember them: PostgreSQL cannot store or compare some of
them, and none belongs in a name, a search, an id or a receipt number.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.errors import InvalidText, error_response
from kernel.i18n import Text, negotiate

MAX_JSON_BYTES = 1_000_000
# Unicode's control characters (Cc) but tab and line breaks, and the surrogates (Cs), which only
# ever stand alone in a decoded string.
_UNTYPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# In a path or a query no control character belongs, tab and line breaks included.
_UNTYPED_IN_ADDRESS = re.compile("[\x00-\x1f\x7f-\x9f]")
_TOO_LARGE: Text = {
    "he": "גוף הבקשה גדול מדי.",
    "ar": "نص الطلب كبير جدًا.",
    "en": "The request body is too large.",
}


def is_typed_text(value: str) -> bool:
    """No control characters (but tab and line breaks) and no lone surrogates."""
    return _UNTYPED.search(value) is None


def body_is_typed(body: bytes) -> bool:
    """Whether every string of a JSON body is typed text.

    Without an escape, every character of every string stands in the body as it is, so one look at
    the whole body answers and the body need not be parsed here; with one (``\\u``, but also
    ``\\b`` and ``\\f``, which stand for control characters), each decoded string is looked at.
    """
    if b"\\" not in body:
        try:
            return is_typed_text(body.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return True  # FastAPI answers malformed JSON with its own 422
    return _all_text_typed(parsed)


def _all_text_typed(value: Any) -> bool:
    # A loop, not recursion: a deeply nested body must not exhaust the stack.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_typed_text(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def address_is_typed(raw_path: bytes, query_string: bytes) -> bool:
    """Whether a request's path and every name and value of its query, percent-decoded, are UTF-8
    without control characters.

    Strict UTF-8 refuses lone surrogates (``%ED%A0%80``) as it refuses any broken sequence, where a
    server's lenient decoding would have turned them into replacement characters.
    """
    pieces = [raw_path]
    for pair in query_string.split(b"&"):
        pieces.extend(pair.replace(b"+", b" ").split(b"=", 1))
    for piece in pieces:
        if b"%" in piece:
            piece = unquote_to_bytes(piece)
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if _UNTYPED_IN_ADDRESS.search(text) is not None:
            return False
    return True


class AddressGuard:
    """ASGI middleware: a path or query that is not typed text is refused before any route runs,
    API or page alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or str(scope["path"]).encode("utf-8", "surrogatepass")
            if not address_is_typed(bytes(raw_path), bytes(scope.get("query_string", b""))):
                language = negotiate(header(scope, b"accept-language"))
                response = error_response(422, InvalidText.code, InvalidText.message[language])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class JsonBodyGuard:
    """ASGI middleware: reads a JSON body once, checks it, and hands it on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BYTES:
                language = negotiate(header(scope, b"accept-language"))
                response = error_response(413, "body_too_large", _TOO_LARGE[language])
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not body_is_typed(body):
            language = negotiate(header(scope, b"accept-language"))
            response = error_response(422, InvalidText.code, InvalidText.message[language])
            await response(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (``name`` in lower case), as the ASGI scope holds it."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def is_json_body(scope: Scope) -> bool:
    """Whether a request says its body is JSON (what this gate checks, and FastAPI parses)."""
    content_type = (header(scope, b"content-type") or "").lower()
    return content_type.startswith("application/json") or "+json" in content_type


def _is_json(scope: Scope) -> bool:
    return scope.get("method") in ("POST", "PUT", "PATCH") and is_json_body(scope)
