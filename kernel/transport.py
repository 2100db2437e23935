"""What an answer says about the connection it travels on: an answer served over HTTPS tells the
browser to come back over HTTPS only (``Strict-Transport-Security``).

The request's scheme is the one the ASGI server gives: behind a reverse proxy that terminates TLS,
uvicorn takes it from ``X-Forwarded-Proto`` when the proxy is one it trusts (``FORWARDED_ALLOW_IPS``,
loopback by default), so a forged header from anyone else changes nothing. An answer over plain
HTTP never carries the header: browsers ignore it there, and a development server on
``http://127.0.0.1`` must not be pinned to HTTPS.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One year: long enough that browsers keep it between visits; no includeSubDomains, since the
# city's other hosts under the same name are not this service's to pin.
HSTS = "max-age=31536000"


class StrictTransportSecurity:
    """Adds ``Strict-Transport-Security`` to every answer to a request made over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_hsts)
