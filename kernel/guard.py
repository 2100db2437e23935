"""The gate every JSON body passes: a size limit, and text a person could have typed.

NUL bytes, other control characters and lone surrogates are refused here, once for every route,
so no domain has to remember them: PostgreSQL cannot store some of them, and none belongs in a
name, a reason or a receipt number.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.errors import error_response
from kernel.i18n import Text, negotiate

MAX_JSON_BYTES = 1_000_000
# Unicode's control characters (Cc) but tab and line breaks, and the surrogates (Cs), which only
# ever stand alone in a decoded string.
_UNTYPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_BAD_TEXT: Text = {
    "he": "הטקסט מכיל תווים שאינם מותרים (תווי בקרה או קידוד שבור).",
    "ar": "يحتوي النص على أحرف غير مسموح بها (أحرف تحكم أو ترميز تالف).",
    "en": "The text holds characters that are not allowed (control characters or broken encoding).",
}
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
            response = error_response(422, "invalid_text", _BAD_TEXT[language])
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
