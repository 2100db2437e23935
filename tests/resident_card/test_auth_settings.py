"""Production refuses to start with a missing or default secret, and says which one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from kernel.settings import InsecureSettingsError
from resident_card.accounts.tokens import generate_private_pem
from toshav.app import create_app
from toshav.cli import main
from toshav.settings import get_settings

GOOD = {
    "TOSHAV_ENV": "production",
    "TOSHAV_ID_HASH_KEY": "a-production-id-hash-key-of-at-least-32-characters",
    "TOSHAV_ACCESS_TOKEN_KEY": generate_private_pem(),
    "TOSHAV_CREDENTIAL_KEY": "a-production-credential-key-of-at-least-32-chars",
    "TOSHAV_DATABASE_URL": "postgresql://toshav@db.internal/toshav",
    "TOSHAV_PUBLIC_URL": "https://toshav.haifa.example",
}
SECRETS = ("TOSHAV_ID_HASH_KEY", "TOSHAV_ACCESS_TOKEN_KEY", "TOSHAV_DATABASE_URL")
# What each secret looks like when it was left alone.
LEFT_ALONE: dict[str, list[str | None]] = {
    "TOSHAV_ID_HASH_KEY": [None, "", "dev-only-id-hash-key-change-me", "too-short"],
    "TOSHAV_ACCESS_TOKEN_KEY": [None, "", "   "],
    "TOSHAV_DATABASE_URL": [None, "sqlite:///./var/toshav.db"],
    "TOSHAV_PUBLIC_URL": [None, "http://127.0.0.1:8000"],
}
CASES = [(name, value) for name, values in LEFT_ALONE.items() for value in values]
IDS = [f"{name}={value!r}" for name, value in CASES]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """An environment with no TOSHAV_ variable but those a test sets; settings read afresh."""
    for name in list(os.environ):
        if name.startswith("TOSHAV_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def production(environment: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    for key, good in GOOD.items():
        environment.setenv(key, good)
    if value is None:
        environment.delenv(name)
    else:
        environment.setenv(name, value)
    get_settings.cache_clear()


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
def test_the_app_factory_refuses_naming_the_secret(
    name: str, value: str | None, environment: pytest.MonkeyPatch
) -> None:
    production(environment, name, value)

    with pytest.raises(InsecureSettingsError) as refused:
        create_app()

    message = str(refused.value)
    assert name in message
    assert [other for other in SECRETS if other != name and other in message] == []


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
def test_toshav_serve_refuses_naming_the_secret(
    name: str, value: str | None, environment: pytest.MonkeyPatch
) -> None:
    production(environment, name, value)
    started: list[object] = []
    environment.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(args))

    result = CliRunner().invoke(main, ["serve"])

    assert result.exit_code == 1
    assert f"Refusing to start in production: {name}" in result.output
    assert "Traceback" not in result.output
    assert started == []


def test_every_problem_is_named_at_once(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("TOSHAV_ENV", "production")
    get_settings.cache_clear()

    with pytest.raises(InsecureSettingsError) as refused:
        create_app()

    assert all(name in str(refused.value) for name in SECRETS)


def test_an_access_token_key_that_is_not_ec_p256_is_refused(
    environment: pytest.MonkeyPatch,
) -> None:
    production(environment, "TOSHAV_ACCESS_TOKEN_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n")

    with pytest.raises(InsecureSettingsError) as refused:
        create_app()

    assert "TOSHAV_ACCESS_TOKEN_KEY" in str(refused.value)


def test_production_with_every_secret_set_starts(environment: pytest.MonkeyPatch) -> None:
    production(environment, "TOSHAV_ENV", "production")
    started: list[object] = []
    environment.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(args))

    app = create_app()
    result = CliRunner().invoke(main, ["serve"])

    assert app.state.recipe.settings.is_production
    assert result.exit_code == 0, result.output
    assert started == [("toshav.main:app",)]


def test_development_defaults_are_fine_outside_production(environment: pytest.MonkeyPatch) -> None:
    app = create_app()
    assert not app.state.recipe.settings.is_production
