"""What the service writes to its log: one JSON object a line, and the request each line belongs to.

- Every line is a JSON object (``time``, ``level``, ``logger``, ``message``, and ``request_id``
  for a line logged while a request was handled). Every character that is not printable ASCII is
  escaped (``\\u0000``, ``\\u001b``, ``\\u007f``, ``\\u05d0``): no line a caller's text reaches can
  carry a raw control character into a terminal or split one line into two.
- ``RequestIds`` gives every request an id: the one a proxy in front sent in ``X-Request-ID``
  when it is well formed, else a new one. The answer carries it back in ``X-Request-ID``.
- uvicorn's access line keeps its fields without the query string, where a token could travel.

What the service itself logs never holds an ID number, a name, a password or a token; the
database engine hides the parameters of a failed statement (``kernel.database.make_engine``).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy may hand on: letters, digits and ``._:-``, 8 to 128 of them (a UUID, a trace id).
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_request_id: ContextVar[str | None] = ContextVar("toshav_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled here (its task, or a thread it handed work to)."""
    return _request_id.get()


def request_id_from(header: str | None) -> str:
    """The caller's id when it is well formed, else a new one."""
    if header is not None and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIds:
    """ASGI middleware: every request handled under an id, answered in ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = request_id_from(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


class RequestIdOnLine(logging.Filter):
    """Puts the current request's id on each line (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class NoQueryString(logging.Filter):
    """uvicorn's access line with its path cut at ``?``: a query string may hold a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            args = list(record.args)
            if len(args) >= 3 and isinstance(args[2], str):
                args[2] = args[2].split("?", 1)[0]
                record.args = tuple(args)
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line, every character outside printable ASCII escaped."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
            # uvicorn's coloured copy of its message: terminal escapes, never wanted in a log.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
            json_ensure_ascii=True,
        )

    def jsonify_log_record(self, log_record: Any) -> str:
        # JSON escapes the C0 controls and ensure_ascii all but ASCII; DEL is left, so escape it.
        return super().jsonify_log_record(log_record).replace("\x7f", "\\u007f")


def json_handler(stream: Any = None) -> logging.Handler:
    """A handler writing JSON lines (to stderr unless given a stream), with the request's id and
    access lines without query strings."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestIdOnLine())
    handler.addFilter(NoQueryString())
    return handler


def configure(level: str = "info") -> None:
    """This process logs JSON lines at ``level``: every logger, uvicorn's included, through one
    handler on the root logger."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
