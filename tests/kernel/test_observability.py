"""What an operator reads: JSON log lines with the request's id, and ``/metrics``.

Every answer carries ``X-Request-ID`` (the proxy's, when well formed), and each line logged while
a request was handled names it; no line holds a raw control character or a failed statement's
values; ``/metrics`` counts requests by the route they matched, for whoever may read it.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import Counter
from pydantic import SecretStr
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kernel import logs
from kernel.database import make_engine, make_sessionmaker
from kernel.errors import install_error_handlers
from kernel.metrics import KERNEL_METRICS, Reading, count_when_committed, exposition, may_read
from kernel.settings import Settings
from tests.conftest import built_app, make_settings
from toshav.app import Toshav

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the service's JSON handler writes, from every logger, while the test runs."""
    out = io.StringIO()
    handler = logs.json_handler(out)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_answer_carries_a_request_id_and_a_proxys_well_formed_one_is_kept(
    client: TestClient,
) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    other = client.get("/api/v1/parking/zones/nowhere").headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c1e-0001"})
    for bad in ("short", "with space in it", "a" * 200, "id\x1b[31mred"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch("[0-9a-f]{32}", replaced), bad

    assert re.fullmatch("[0-9a-f]{32}", made)
    assert made != other
    assert kept.headers["X-Request-ID"] == "edge-7f3a9c1e-0001"


def test_each_line_logged_during_a_request_names_it(log_lines: io.StringIO) -> None:
    app = FastAPI()
    logger = logging.getLogger("toshav.test")

    @app.get("/work")
    def work() -> dict[str, str]:  # a thread of the pool, as the service's sync routes run
        logger.warning("working")
        return {}

    with TestClient(logs.RequestIds(app)) as client:
        first = client.get("/work", headers={"X-Request-ID": "trace-0000000001"})
        second = client.get("/work")
    logger.warning("between requests")

    lines = [line for line in _lines(log_lines) if line["logger"] == "toshav.test"]
    assert [(line["message"], line["request_id"]) for line in lines] == [
        ("working", "trace-0000000001"),
        ("working", second.headers["X-Request-ID"]),
        ("between requests", None),
    ]
    assert first.headers["X-Request-ID"] == "trace-0000000001"


def test_no_line_holds_a_raw_control_character(log_lines: io.StringIO) -> None:
    hostile = "a\x00b\x1b[2Jc\x7fd\x85e\u2028f\nforged line\r"
    logging.getLogger("toshav.test").warning("got %s", hostile)
    try:
        raise ValueError(hostile)
    except ValueError:
        logging.getLogger("toshav.test").exception("failed")

    written = log_lines.getvalue()
    assert RAW_CONTROL.search(written) is None
    lines = _lines(log_lines)
    assert len(lines) == 2  # the newline inside stayed inside its line
    assert lines[0]["message"] == f"got {hostile}"
    assert hostile in str(lines[1]["exc_info"])


def test_the_access_line_leaves_the_query_string_out() -> None:
    out = io.StringIO()
    line = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/reset-password?token=s3cr3t-t0ken", "1.1", 200),
        None,
    )

    logs.json_handler(out).handle(line)

    (written,) = _lines(out)
    assert written["message"] == '127.0.0.1:5000 - "GET /reset-password HTTP/1.1" 200'
    assert "s3cr3t" not in out.getvalue()


def test_a_failed_statement_names_no_value(connection: Connection) -> None:
    with pytest.raises(DBAPIError) as failed, connection.begin_nested():
        connection.execute(
            text("INSERT INTO change_counters (topic, changes) VALUES (:topic, :changes)"),
            {"topic": "parking", "changes": 987654321},
        )

    assert "987654321" not in str(failed.value)
    assert "hidden" in str(failed.value)


def _metrics(client: TestClient, **headers: str) -> tuple[int, str]:
    answer = client.get("/metrics", headers=headers)
    return answer.status_code, answer.text


def test_metrics_count_requests_by_route_template_for_a_caller_on_this_machine(
    app: FastAPI,
) -> None:
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        local.get("/api/v1/parking/zones/no-such-zone-4711")
        status, body = _metrics(local)

    assert status == 200
    assert re.search(
        r'toshav_http_requests_total\{method="GET",route="/api/v1/parking/zones/\{code\}",'
        r'status="404"\} [1-9]',
        body,
    )
    assert "no-such-zone-4711" not in body
    assert "toshav_http_request_duration_seconds_bucket" in body
    with TestClient(app, client=("203.0.113.7", 50000)) as remote:
        refused = remote.get("/metrics")
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"


def test_with_a_metrics_token_only_its_bearer_reads_them(
    settings: Settings, connection: Connection
) -> None:
    with_token = make_settings(
        settings.database_url, settings.var_dir, metrics_token=SecretStr("prom-scrape-secret")
    )
    app = built_app(with_token, connection=connection)
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert _metrics(local)[0] == 404
        assert _metrics(local, Authorization="Bearer wrong")[0] == 404
    with TestClient(app, client=("203.0.113.7", 50000)) as remote:
        assert _metrics(remote, Authorization="Bearer prom-scrape-secret")[0] == 200


def test_in_production_without_a_token_nobody_reads_them(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    assert not may_read(production, None, "127.0.0.1")
    assert may_read(settings, None, "::1")
    assert not may_read(settings, None, "203.0.113.7")


def test_an_event_is_counted_only_when_its_transaction_commits(connection: Connection) -> None:
    events = Counter("toshav_test_events_total", "Events of the test.", registry=None)
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        session.execute(text("SELECT 1"))
        count_when_committed(session, events)
        session.rollback()
        session.execute(text("SELECT 1"))
        with session.begin_nested():  # a savepoint's end is not the transaction's
            count_when_committed(session, events, 2)
        count_when_committed(session, events, 3)
        session.commit()

    (family,) = events.collect()
    (total,) = [s.value for s in family.samples if s.name.endswith("_total")]
    assert total == 5


def test_a_server_error_is_answered_and_logged_under_the_requests_id(
    log_lines: io.StringIO,
) -> None:
    app = Toshav()
    install_error_handlers(app)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/broken", headers={"X-Request-ID": "edge-500-0000001"})

    assert answer.status_code == 500
    assert answer.json()["error"] == "internal_error"
    assert answer.headers["X-Request-ID"] == "edge-500-0000001"
    logged = [line for line in _lines(log_lines) if line["logger"] == "toshav.errors"]
    assert logged
    assert {line["request_id"] for line in logged} == {"edge-500-0000001"}


def test_while_the_database_does_not_answer_metrics_still_show_the_processs_counts() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/nowhere", pool_pre_ping=False)

    def rows(session: Session) -> list[tuple[tuple[str, ...], float]]:
        return [((), float(session.scalar(text("SELECT 1")) or 0))]

    reading = Reading("toshav_test_rows", "Rows of the test.", (), rows)
    try:
        body = exposition((*KERNEL_METRICS, reading), make_sessionmaker(engine)).decode()
    finally:
        engine.dispose()

    assert "# TYPE toshav_http_requests_total counter" in body
    assert "toshav_test_rows" not in body
