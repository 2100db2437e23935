"""What the service counts for its operators, in Prometheus' text format at ``/metrics``.

Metrics are a part of the kernel, not a domain: every domain counts what happens in it (a scan, a
purchase, a ledger transaction), and a domain may import only the kernel below it; nothing here
has tables, pages or rules of its own. A domain declares its metrics in its manifest
(``Manifest.metrics``): counters it raises where the event happens, made with
``registry=None``, and ``Reading``s, numbers read from the database when ``/metrics`` is read
(what another process, the worker, did: job runs, deliveries, the outbox's backlog). The root
serves the enabled domains' metrics beside the kernel's own (requests by route and status, with
their latency).

Several processes (``toshav serve --workers N``): ``PROMETHEUS_MULTIPROC_DIR`` names a folder
the server made empty before its workers started; each worker writes its counts there and any
of them answers ``/metrics`` with the sum of all (prometheus-client's multiprocess mode).

Who may read ``/metrics``: with ``TOSHAV_METRICS_TOKEN`` set, a caller with that bearer token;
without it, outside production only, a caller on this machine (loopback). Anyone else is
answered 404, as for a page that does not exist.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.errors import NotFound
from kernel.settings import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
logger = logging.getLogger("toshav.metrics")
LOOPBACK = frozenset({"127.0.0.1", "::1"})

# One sample per (labels, value) a reading found; labels in the order of ``Reading.labels``.
Samples = Iterable[tuple[Sequence[str], float]]


@dataclass(frozen=True)
class Reading:
    """A gauge read from the database each time ``/metrics`` is read: ``read(session)`` gives its
    samples (one small grouped query; it never writes)."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[Session], Samples]


# What every request is counted by: the route it matched as declared (``/api/v1/zones/{code}``,
# never the path as sent, which could hold anything), its method and its status.
REQUESTS = Counter(
    "toshav_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ("route", "method", "status"),
    registry=None,
)
LATENCY = Histogram(
    "toshav_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ("route", "method"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
# Per process (a ``pid`` label when several serve): how many requests each answered, so an
# operator sees every worker serving; a worker that stops cleanly takes its line away.
SERVED = Gauge(
    "toshav_process_requests_served",
    "Requests this server process answered since it started.",
    registry=None,
    multiprocess_mode="liveall",
)
# A domain's metrics, as its manifest declares them.
Metrics = tuple[Collector | Reading, ...]
KERNEL_METRICS: Metrics = (REQUESTS, LATENCY, SERVED)
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(scope: Scope) -> str:
    """The template of the route that answered, prefixes included (``/api/v1/zones/{code}``);
    a mounted folder's prefix and ``/{path}``; ``unmatched`` when no route answered.

    A route declares its path without the prefix of the router that includes it (depending on
    FastAPI's version), and a prefix holds no parameter, so the segments the route's own path
    does not cover are taken, as they are, from the path sent.
    """
    route = scope.get("route")
    declared = getattr(route, "path", None)
    if not isinstance(declared, str) or not declared:
        return UNMATCHED
    if isinstance(route, Mount):
        return declared.rstrip("/") + "/{path}"
    sent = [part for part in str(scope.get("path", "")).split("/") if part]
    own = [part for part in declared.split("/") if part]
    lead = len(sent) - len(own)
    if lead <= 0:
        return declared
    return "/" + "/".join(sent[:lead]) + declared


class RequestMetrics:
    """ASGI middleware: counts each answered request and times it to the end of its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before an answer began is answered 500 by the server

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route, method = route_of(scope), str(scope.get("method", ""))
            method = method if method in METHODS else "other"
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route, method).observe(time.perf_counter() - started)
            SERVED.inc()


def started_serving() -> None:
    """This process serves: its line appears at once (with 0), before its first request."""
    SERVED.set(0)


def stopped_serving() -> None:
    """This process stops serving: its per-process lines go (its counts stay in the sums)."""
    if os.environ.get(MULTIPROCESS_DIR):
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Readings(Collector):
    """The readings, read in one session of their own when ``/metrics`` is read."""

    def __init__(self, readings: Sequence[Reading], sessionmaker: Callable[[], Session]) -> None:
        self._readings = readings
        self._sessionmaker = sessionmaker

    def collect(self) -> Iterator[Metric]:
        """Every reading, or none while the database does not answer: the process's own counts
        are still served (and ``/readyz`` tells the database is down)."""
        if not self._readings:
            return
        families: list[Metric] = []
        try:
            with self._sessionmaker() as session:
                for reading in self._readings:
                    family = GaugeMetricFamily(
                        reading.name, reading.documentation, labels=list(reading.labels)
                    )
                    for labels, value in reading.read(session):
                        family.add_metric(list(labels), value)
                    families.append(family)
        except SQLAlchemyError:
            logger.warning("metrics: the database's readings are left out", exc_info=True)
            return
        yield from families


def exposition(
    metrics: Sequence[Collector | Reading], sessionmaker: Callable[[], Session]
) -> bytes:
    """Every metric in Prometheus' text format: this process's counts (every worker's, summed,
    when several serve) and the readings, read now."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_DIR):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in metrics:
            if not isinstance(collector, Reading):
                registry.register(collector)
    readings = [reading for reading in metrics if isinstance(reading, Reading)]
    registry.register(_Readings(readings, sessionmaker))
    return generate_latest(registry)


def may_read(settings: Settings, authorization: str | None, client_host: str | None) -> bool:
    """Who may read the metrics (see the module)."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    return not settings.is_production and client_host in LOOPBACK


def metrics_router(
    metrics: Sequence[Collector | Reading], runtime_of: Callable[[Request], Any]
) -> APIRouter:
    """``GET /metrics``, for the operators' Prometheus; not part of the API reference."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def read_metrics(request: Request) -> Response:
        """The service's metrics, in Prometheus' text format."""
        runtime = runtime_of(request)
        client = request.client.host if request.client else None
        if not may_read(runtime.settings, request.headers.get("authorization"), client):
            raise NotFound()
        body = exposition(metrics, runtime.database.sessionmaker)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


_PENDING = "toshav.metrics.pending"
_listening = threading.Lock()
_listened: list[bool] = []  # not empty once the listeners are in place


def count_when_committed(session: Session, counter: Any, amount: float = 1.0) -> None:
    """Raise ``counter`` (a counter, with its labels chosen) by ``amount`` once ``session``
    commits; never if it rolls back. For events that are only events if kept (a transaction
    posted, a purchase recorded)."""
    # Listened for once per process on every session, the first time anything is counted: a
    # listener added to each session costs more than the posting it counts.
    if not _listened:
        with _listening:
            if not _listened:
                event.listen(Session, "after_soft_rollback", _forget_pending)
                event.listen(Session, "after_commit", _count_pending)
                _listened.append(True)
    session.info.setdefault(_PENDING, []).append((counter, amount))


def _count_pending(session: Session) -> None:
    for counter, amount in session.info.pop(_PENDING, ()):
        counter.inc(amount)


def _forget_pending(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the session's own transaction, not a savepoint within it
        session.info.pop(_PENDING, None)
