"""What the log holds after a resident's whole day, served by uvicorn on PostgreSQL.

A resident enrols, a clerk verifies them, they sign in, show their card (a verifier checks it, a
business records a purchase), register a car and get a permit that an inspector checks by its
plate, then forget their password and reset it; a hostile caller sends a NUL and a token in a
query string. Every line the service wrote meanwhile (uvicorn's access lines included) is a JSON
object with no raw control character, each line of a request names its id, and none holds the ID
number, the resident's names, a token of any kind or a password. ``/metrics`` counted it all.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from kernel import logs
from kernel.notices import Notice
from parking.service import zones
from resident_card.accounts.models import Role
from tests.cashback.conftest import make_business, make_campaign, prepare_city
from tests.conftest import FreshDatabase, _free_port
from tests.factories import auth_headers, create_user, israeli_id
from tests.resident_card.residents_support import enrolment_body
from toshav.app import create_app

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
PASSWORD = "orange-Kettle-27-river"
NEW_PASSWORD = "seven-Lanterns-93-dawn"
FIRST, LAST = "Yasminah", "Haddadeen"
RESET_LINK = re.compile(r"#token=([A-Za-z0-9_-]+)$")


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """Every line any logger writes, through the service's own JSON handler, at info."""
    out = io.StringIO()
    handler = logs.json_handler(out)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    uvicorn_loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    kept = [(lg, lg.propagate, lg.level, list(lg.handlers)) for lg in uvicorn_loggers]
    client = logging.getLogger("httpx")  # the test's own client, not the service
    kept.append((client, client.propagate, client.level, list(client.handlers)))
    client.setLevel(logging.WARNING)
    for logger in uvicorn_loggers:  # as kernel.logs.configure leaves them
        logger.propagate, logger.handlers = True, []
        logger.setLevel(logging.NOTSET)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for logger, propagate, was, handlers in kept:
            logger.propagate, logger.handlers = propagate, handlers
            logger.setLevel(was)


@pytest.fixture
def served(fresh_database: FreshDatabase, written: io.StringIO) -> Iterator[tuple[str, FastAPI]]:
    """The app, served by uvicorn with its access log on, logging through the root logger."""
    app = create_app(fresh_database.settings)
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=True, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the server stopped"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _ok(answer: httpx.Response, status: int = 200) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else {}


@pytest.mark.postgres_only
def test_a_residents_day_leaves_nothing_personal_in_the_log(
    fresh_database: FreshDatabase,
    served: tuple[str, FastAPI],
    written: io.StringIO,
    notices_posted: list[Notice],
) -> None:
    base, app = served
    settings = fresh_database.settings
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        prepare_city(session, settings, now)
        zones.import_demo_zones(session)
        _, staff = make_business(session, settings, now=now)
        make_campaign(session, now=now)
        clerk = create_user(session, settings, role=Role.admin)
        inspector = create_user(session, settings, role=Role.inspector)
        session.commit()
        staff_headers = auth_headers(app, staff)
        clerk_headers = auth_headers(app, clerk)
        inspector_headers = auth_headers(app, inspector)
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, FIRST, LAST]
    number = israeli_id(4242)
    secrets += [number, f"{number[:3]}-{number[3:]}"]
    api = f"{base}/api/v1"
    ids: list[str] = []

    def call(method: str, path: str, **kwargs: object) -> httpx.Response:
        answer = httpx.request(method, f"{api}{path}", timeout=60, **kwargs)  # type: ignore[arg-type]
        ids.append(answer.headers["X-Request-ID"])
        return answer

    enrolled = _ok(
        call(
            "POST",
            "/residents",
            json=enrolment_body(
                username="yasminah.h",
                password=PASSWORD,
                first_name=FIRST,
                last_name=LAST,
                email="yasminah@example.org",
                identifier={"kind": "israeli_id", "value": number},
            ),
        ),
        201,
    )
    _ok(
        call(
            "POST",
            f"/admin/residents/{enrolled['id']}/status",
            json={"status": "verified", "reason": "documents seen at the desk"},
            headers=clerk_headers,
        )
    )
    signed_in = _ok(
        call("POST", "/auth/token", data={"username": "yasminah.h", "password": PASSWORD})
    )
    access, refresh = str(signed_in["access_token"]), str(signed_in.get("refresh_token", ""))
    secrets += [access, refresh] if refresh else [access]
    resident = {"Authorization": f"Bearer {access}"}

    shown = str(_ok(call("POST", "/cards/me/token", headers=resident))["token"])
    verified = _ok(call("POST", "/cards/verify", json={"token": shown}, headers=staff_headers))
    assert verified["valid"] is True, verified
    paid_with = str(_ok(call("POST", "/cards/me/token", headers=resident))["token"])
    secrets += [shown, paid_with]
    _ok(
        call(
            "POST",
            "/cashback/purchases",
            json={"card_token": paid_with, "amount_agorot": 12_000, "receipt": "R-77"},
            headers={**staff_headers, "Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )

    _ok(
        call(
            "POST",
            "/parking/vehicles",
            json={"plate": "54-321-76", "relation": "owner"},
            headers=resident,
        ),
        201,
    )
    _ok(call("POST", "/parking/permits", json={"plate": "54-321-76"}, headers=resident), 201)
    inspected = _ok(
        call(
            "POST",
            "/parking/inspections",
            json={"plate": "5432176", "zone": "hadar_west"},
            headers=inspector_headers,
        )
    )
    assert inspected["allowed"] is True, inspected

    _ok(call("POST", "/auth/password-reset", json={"username": "yasminah.h"}), 202)
    link = next(n.link for n in notices_posted if n.link and RESET_LINK.search(n.link))
    reset = RESET_LINK.search(link)
    assert reset is not None
    secrets.append(reset.group(1))
    confirm = {"token": reset.group(1), "new_password": NEW_PASSWORD}
    _ok(call("POST", "/auth/password-reset/confirm", json=confirm), 204)
    _ok(call("POST", "/auth/token", data={"username": "yasminah.h", "password": NEW_PASSWORD}))

    # A hostile caller: a NUL, and a token where a query string would carry it to the access log.
    call("GET", "/city/streets", params={"q": "\x00"})
    call("GET", "/city/streets", params={"q": "Herzl", "token": access})
    metrics = httpx.get(f"{base}/metrics", timeout=30).text

    log = written.getvalue()
    assert RAW_CONTROL.search(log) is None
    lines = [json.loads(line) for line in log.splitlines()]
    for secret in secrets:
        assert secret not in log, f"the log holds {secret[:6]}…"
        assert json.dumps(secret)[1:-1] not in log  # nor escaped
    access_lines = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert {line["request_id"] for line in access_lines} >= set(ids)
    assert all("?" not in str(line["message"]) for line in access_lines)

    def counted(name: str, **labels: str) -> float:
        found = 0.0
        for sample in re.finditer(rf"^{name}(\{{.*\}})? (\S+)$", metrics, re.MULTILINE):
            given = sample.group(1) or ""
            if all(f'{key}="{value}"' in given for key, value in labels.items()):
                found += float(sample.group(2))
        return found

    assert counted("toshav_cashback_purchases_total") >= 1
    assert counted("toshav_parking_inspections_total", method="plate", reason="valid_permit") >= 1
    assert counted("toshav_ledger_transactions_total") >= 1
    assert counted("toshav_outbox_backlog", channel="email") >= 1
    assert (
        counted("toshav_http_requests_total", route="/api/v1/admin/residents/{resident_id}/status")
        >= 1
    )
    assert "# TYPE toshav_job_runs gauge" in metrics
