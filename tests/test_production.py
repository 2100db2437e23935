"""Production is production: no demo data with its published password, no public API reference
unless the operator opens it, and HTTPS answers that tell browsers to keep to HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from resident_card.accounts.models import User
from tests.conftest import ACCESS_KEY, FreshDatabase, LiveServer, make_settings
from toshav.app import create_app
from toshav.cli import main
from toshav.settings import ServiceSettings, get_settings

PRODUCTION = {
    "TOSHAV_ENV": "production",
    "TOSHAV_ID_HASH_KEY": "production-id-hash-key-" + "p" * 32,
    "TOSHAV_CREDENTIAL_KEY": "production-credential-key-" + "c" * 32,
    "TOSHAV_ACCESS_TOKEN_KEY": ACCESS_KEY,
    "TOSHAV_PUBLIC_URL": "https://toshav.example.city",
}
REFERENCE = ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")


def _production(tmp_path: Path, **overrides: object) -> ServiceSettings:
    return make_settings(
        f"sqlite:///{tmp_path / 'production.db'}",
        tmp_path,
        env="production",
        id_hash_key=SecretStr(PRODUCTION["TOSHAV_ID_HASH_KEY"]),
        credential_key=SecretStr(PRODUCTION["TOSHAV_CREDENTIAL_KEY"]),
        public_url=PRODUCTION["TOSHAV_PUBLIC_URL"],
        **overrides,
    )


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """The ``toshav`` command over a database of the test's own, in production."""
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_demo_data_is_refused_in_production(
    fresh_database: FreshDatabase, toshav: CliRunner
) -> None:
    result = toshav.invoke(main, ["demo", "load"])

    assert result.exit_code != 0
    assert "Refusing to load demo data in production" in result.output
    with fresh_database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_the_demo_password_is_not_printed_in_production(toshav: CliRunner) -> None:
    result = toshav.invoke(main, ["demo", "logins"])

    assert result.exit_code != 0
    assert "Refusing to print the demo logins in production" in result.output
    assert "password for all" not in result.output


@pytest.fixture(scope="module")
def closed_reference(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(_production(tmp_path_factory.mktemp("closed")))


@pytest.mark.parametrize("path", REFERENCE)
def test_the_reference_is_closed_in_production(closed_reference: FastAPI, path: str) -> None:
    response = TestClient(closed_reference).get(path, headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_the_operator_may_open_the_reference_in_production(tmp_path: Path) -> None:
    app = create_app(_production(tmp_path, public_docs=True))
    client = TestClient(app)

    for path in REFERENCE:
        assert client.get(path).status_code == 200, path
    assert "/api/v1/residents" in client.get("/openapi.json").json()["paths"]


def test_an_answer_over_https_keeps_the_browser_on_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://toshav.example.city") as client:
        for path in ("/healthz", "/", "/api/v1/nope"):
            response = client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000", path


def test_an_answer_over_http_does_not(app: FastAPI) -> None:
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for path in ("/healthz", "/", "/api/v1/nope"):
            assert "strict-transport-security" not in client.get(path).headers, path


def test_https_behind_a_trusted_proxy_is_https(live_server: LiveServer) -> None:
    """uvicorn takes the scheme from the forwarded header of a proxy it trusts (here, loopback)."""
    with httpx.Client(base_url=live_server.base_url) as http:
        proxied = http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        direct = http.get("/healthz")

    assert proxied.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in direct.headers
