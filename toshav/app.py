"""The app factory: the app, its runtime and its routes, from the enabled domains' manifests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers
from starlette.types import ASGIApp, Message, Scope

from kernel.answers import EVERY_ROUTE, declare, declare_answers
from kernel.clock import Clock, SystemClock
from kernel.errors import install_error_handlers
from kernel.guard import AddressGuard, JsonBodyGuard
from kernel.limits.gate import limiter
from kernel.logs import RequestIds
from kernel.metrics import (
    KERNEL_METRICS,
    RequestMetrics,
    metrics_router,
    started_serving,
    stopped_serving,
)
from kernel.runtime import Database, Recipe, open_database, running, runtime_of
from kernel.settings import Settings, check_settings, settings_as
from kernel.transport import StrictTransportSecurity
from resident_card.accounts.runtime import sessions_part
from resident_card.accounts.tokens import load_access_token_keys
from toshav import obligations, plug_ins
from toshav.docs import OPENAPI_URL, mount_docs
from toshav.domains import CORE, enabled
from toshav.schema import is_current
from toshav.settings import get_settings
from toshav.web import mount_pages

logger = logging.getLogger("toshav")

API_PREFIX = "/api/v1"
NOT_READY = (503, "not_ready")


def _routers(settings: Settings) -> list[tuple[APIRouter, str]]:
    """The enabled domains' routers under /api/v1, and their root routers at the site's root.

    The optional domains' routers come first: a request is matched against the routes one by one
    in this order, and the busiest callers are devices (an inspector's scanner, a business's
    till), whose routes live there. No path of one router overlaps another's, so the order
    changes nothing else.
    """
    manifests = enabled(settings)
    ordered = [m for m in manifests if m not in CORE] + [m for m in manifests if m in CORE]
    routers: list[tuple[APIRouter, str]] = []
    for manifest in ordered:
        routers.extend((router, API_PREFIX) for router in manifest.routers)
        routers.extend((router, "") for router in manifest.root_routers)
    return routers


def configure(
    app: FastAPI,
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Callable[[Settings], Database] = open_database,
) -> None:
    """What the app's lifespan will make its runtime from: these settings, this clock (the system's
    by default) and this way of opening the database; and installs the enabled domains' plug-ins,
    in place of any installed before. ``create_app`` calls it; so may whoever serves one built app
    (its routes are the costly part to make) again and again."""
    check_settings(settings)
    manifests = enabled(settings)
    for manifest in manifests:  # settings made without a running domain's fields: refused now
        if manifest.settings is not None:
            settings_as(settings, manifest.settings)
    keys = load_access_token_keys(settings)  # refused here, before serving, if unusable
    plug_ins.install(manifests)
    app.state.recipe = Recipe(
        settings=settings,
        clock=clock or SystemClock(),
        database=database,
        parts=(
            limiter,
            sessions_part(keys),
            *(part for manifest in manifests for part in manifest.runtime_parts),
        ),
    )


async def prepare(app: FastAPI) -> None:
    """Make every route and model ready before the first caller comes.

    FastAPI readies an included router's routes when the first request reaches them, and
    SQLAlchemy its models on the first query: a few hundred milliseconds in all for ours, which the
    first resident, inspector or till after each start would wait. One request that no route
    answers walks every router, so sending it to the router (past the middleware: nothing is logged
    or counted) readies them all.
    """
    configure_mappers()
    path = f"{API_PREFIX}/.prepare"
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": None,
        "server": None,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    await app.router(scope, receive, send)


class Toshav(FastAPI):
    """The app, with every request under an id and counted outside everything else, so the lines
    logged about a failure and its 500 answer carry the request's id, and the 500 is counted."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestIds(RequestMetrics(super().build_middleware_stack()))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with running(app.state.recipe) as runtime:
            app.state.runtime = runtime
            await prepare(app)
            started_serving()
            try:
                yield
            finally:
                stopped_serving()
                del app.state.runtime

    app = Toshav(
        title="Toshav",
        summary="The city's digital resident card and its benefits: parking, cashback, one ledger.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # toshav.docs serves /docs and /redoc with their own files
        redoc_url=None,
        openapi_url=OPENAPI_URL if settings.serves_docs else None,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    configure(app, settings)
    install_error_handlers(app)
    if settings.serves_docs:
        mount_docs(app)
    app.add_middleware(JsonBodyGuard)
    app.add_middleware(AddressGuard)  # before the body is read
    app.add_middleware(StrictTransportSecurity)

    @app.get("/healthz", tags=["operations"], responses=declare({}, EVERY_ROUTE))
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=declare({}, [*EVERY_ROUTE, NOT_READY]))
    def readyz() -> JSONResponse:
        """The database answers and its schema is at the newest migration."""
        try:
            with app.state.runtime.database.sessionmaker() as session:
                session.execute(text("SELECT 1"))
                current = is_current(session.connection())
        except Exception:
            logger.warning("readiness check: database unreachable", exc_info=True)
            return JSONResponse(
                status_code=503,
                content={"error": "not_ready", "detail": "The database does not answer."},
            )
        if not current:
            return JSONResponse(
                status_code=503,
                content={
                    "error": "not_ready",
                    "detail": "The database schema is not at the newest migration.",
                },
            )
        return JSONResponse({"status": "ready"})

    for router, prefix in _routers(settings):
        declare_answers(router)
        app.include_router(router, prefix=prefix)
    declare_answers(obligations.router)
    app.include_router(obligations.router, prefix=API_PREFIX)
    app.include_router(obligations.source_router)

    metrics = (*KERNEL_METRICS, *(m for manifest in enabled(settings) for m in manifest.metrics))
    app.include_router(metrics_router(metrics, runtime_of), tags=["operations"])
    mount_pages(app, enabled(settings))
    return app
