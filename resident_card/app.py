"""The app factory: the only place (with the CLI) that sees every domain."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers
from starlette.types import Message, Scope

from resident_card.accounts.tokens import load_access_token_keys
from resident_card.clock import Clock, SystemClock
from resident_card.errors import install_error_handlers
from resident_card.guard import JsonBodyGuard
from resident_card.runtime import Database, Recipe, RuntimePart, open_database, running
from resident_card.schema import is_current
from resident_card.settings import Settings, check_settings, get_settings

logger = logging.getLogger("toshav")

API_PREFIX = "/api/v1"

# The foundation's routers, always mounted.
CORE_ROUTERS = (
    "resident_card.accounts.endpoints",
    "resident_card.residents.endpoints",
    "resident_card.city.endpoints",
    "resident_card.audit.endpoints",
    "resident_card.cards.endpoints",
    "resident_card.credentials.endpoints",
    "benefits.ledger.endpoints",
    "benefits.eligibility.endpoints",
)
# The domains a deployment turns on in settings (TOSHAV_MODULES), rolled out in stages.
MODULE_ROUTERS: dict[str, tuple[str, ...]] = {
    "parking": ("parking.endpoints",),
    "cashback": ("cashback.routers",),
}


def _domains(settings: Settings) -> list[ModuleType]:
    """Each enabled domain's routers module, the domains' first (see ``_routers``)."""
    names = [name for enabled in settings.modules for name in MODULE_ROUTERS[enabled]]
    names.extend(CORE_ROUTERS)
    modules: list[ModuleType] = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):  # a domain not built yet
                continue
            raise
    return modules


def _routers(settings: Settings) -> list[tuple[APIRouter, str]]:
    """Each enabled domain's routers under /api/v1 (its ``ROUTERS`` in order, or its one ``router``),
    and its ``root_router`` (if any) at the site's root.

    The domains' routers come first: a request is matched against the routes one by one in this
    order, and the busiest callers are devices (an inspector's scanner, a business's till), whose
    routes live there. No path of one router overlaps another's, so the order changes nothing else.
    """
    routers: list[tuple[APIRouter, str]] = []
    for module in _domains(settings):
        for router in getattr(module, "ROUTERS", None) or (module.router,):
            routers.append((router, API_PREFIX))
        root_router = getattr(module, "root_router", None)
        if root_router is not None:  # e.g. /.well-known/jwks.json
            routers.append((root_router, ""))
    return routers


def configure(
    app: FastAPI,
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Callable[[Settings], Database] = open_database,
) -> None:
    """What the app's lifespan will make its runtime from: these settings, this clock (the system's
    by default) and this way of opening the database. ``create_app`` calls it; so may whoever
    serves one built app (its routes are the costly part to make) again and again."""
    check_settings(settings)
    app.state.recipe = Recipe(
        settings=settings,
        clock=clock or SystemClock(),
        access_keys=load_access_token_keys(settings),  # refused here, before serving, if unusable
        database=database,
        parts=tuple(part for module in _domains(settings) for part in _runtime_parts(module)),
    )


def _runtime_parts(module: ModuleType) -> tuple[RuntimePart, ...]:
    parts: tuple[RuntimePart, ...] = getattr(module, "RUNTIME_PARTS", ())
    return parts


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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with running(app.state.recipe) as runtime:
            app.state.runtime = runtime
            await prepare(app)
            try:
                yield
            finally:
                del app.state.runtime

    app = FastAPI(
        title="Toshav",
        summary="The city's digital resident card and its benefits: parking, cashback, one ledger.",
        version="0.1.0",
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    configure(app, settings)
    install_error_handlers(app)
    app.add_middleware(JsonBodyGuard)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
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
        app.include_router(router, prefix=prefix)

    from resident_card.web import mount_pages

    mount_pages(app)
    return app
