"""The deployment in ``deploy/``, checked as far as a machine with no container engine can: the
compose file's services and their order of start, health checks, the settings it sets, the image's
user and lockfile install, and the scripts an operator runs (secrets from files, making them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import text

from kernel.settings import check_settings
from resident_card.accounts.tokens import keys_from_pem
from tests.conftest import FreshDatabase
from toshav.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Variables the compose file sets for programs other than the service's settings, and who reads them.
READ_ELSEWHERE = {
    "FORWARDED_ALLOW_IPS": "uvicorn: the addresses whose X-Forwarded-* headers it trusts",
}
APP_SERVICES = ("migrate", "api", "worker")
SH = shutil.which("sh") or "/bin/sh"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _command(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


def test_compose_runs_the_database_redis_the_migration_the_api_the_worker_and_the_proxy(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker", "proxy"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "toshav db upgrade" in _command(services["migrate"])
    assert services["migrate"]["restart"] == "no"
    assert _command(services["api"]).startswith("toshav serve --host 0.0.0.0 --port 8000 --workers")
    assert services["api"]["deploy"]["replicas"]  # N processes behind the proxy
    assert _command(services["worker"]) == "toshav worker"
    for name in ("api", "worker"):
        # Nothing serves or runs jobs on a schema the migration has not finished with.
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["proxy"]["depends_on"]["api"] == {"condition": "service_healthy"}
    # The limits on volume count in the one Redis every API process names.
    assert services["api"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["api"]["environment"]["TOSHAV_REDIS_URL"] == "redis://redis:6379/0"
    # Only the proxy is reachable from outside.
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "migrate":
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no health check"
        assert not check.get("disable"), f"{name} has its health check off"
        assert check["test"][0] == "CMD"
    api_check = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert "/readyz" in api_check  # the database answers at the newest schema


def test_every_variable_the_compose_file_sets_is_a_setting_of_the_service(
    compose: dict[str, Any],
) -> None:
    fields = set(ServiceSettings.model_fields)
    for name in APP_SERVICES:
        service = compose["services"][name]
        mounted = set(service.get("secrets", []))
        for variable, value in service["environment"].items():
            if variable in READ_ELSEWHERE:
                continue
            assert variable.startswith("TOSHAV_"), f"{name}: {variable} is read by nothing"
            setting = variable.removeprefix("TOSHAV_").lower()
            if setting.endswith("_file"):
                # deploy/entrypoint.sh reads the file into the variable without the suffix.
                setting = setting.removesuffix("_file")
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in mounted, f"{name}: {variable} names {value}, not mounted there"
            assert setting in fields, f"{name}: {variable} is not a setting of the service"
        assert service["environment"]["TOSHAV_ENV"] == "production"


def test_the_secrets_compose_mounts_are_those_the_script_makes(compose: dict[str, Any]) -> None:
    script = (DEPLOY / "make-secrets.sh").read_text()
    made = set(re.findall(r"^secret (\w+) ", script, re.MULTILINE))
    declared = {name: spec["file"] for name, spec in compose["secrets"].items()}
    assert set(declared) == made
    assert all(path == f"./secrets/{name}" for name, path in declared.items())
    ignored = (DEPLOY / "secrets" / ".gitignore").read_text().split()
    assert ignored[-2:] == ["*", "!.gitignore"]  # nothing made there is ever committed


def test_the_proxy_terminates_tls_and_sends_to_every_api_process(compose: dict[str, Any]) -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert re.search(r"^\{\$SITE_ADDRESS\} \{", caddyfile, re.MULTILINE)
    assert "SITE_ADDRESS" in proxy["environment"]
    assert re.search(r"dynamic a \{\s*name api\s*port 8000", caddyfile)
    assert "respond /metrics 404" in caddyfile  # Prometheus reads each container, not the public
    assert "header_up X-Request-ID {http.request.uuid}" in caddyfile  # one id in both logs
    # uvicorn trusts the proxy's forwarded headers: the client's address and https reach the app.
    assert compose["services"]["api"]["environment"]["FORWARDED_ALLOW_IPS"]
    assert "proxy_headers=True" in (ROOT / "toshav" / "serving.py").read_text()


def test_the_image_runs_as_its_own_user_from_the_lockfile() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM .+$", dockerfile, re.MULTILINE)
    assert len(stages) >= 2  # built in one stage, run from another without the build tools
    final = dockerfile[dockerfile.rindex("\nFROM ") :]
    users = re.findall(r"^USER (\S+)$", final, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    syncs = re.findall(r"uv sync ([^\n\\]+)", dockerfile)
    assert syncs
    assert all("--locked" in sync for sync in syncs)
    assert "pip install" not in dockerfile.replace('pip install --no-cache-dir "uv==', "")
    makefile = (ROOT / "Makefile").read_text()
    make_uv = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    image_uv = re.search(r"^ARG UV_VERSION=(\S+)$", dockerfile, re.MULTILINE)
    assert make_uv
    assert image_uv
    assert make_uv.group(1) == image_uv.group(1)
    assert 'CMD ["toshav", "serve", "--host", "0.0.0.0", "--port", "8000"]' in final
    assert 'ENTRYPOINT ["toshav-entrypoint"]' in final
    assert "HEALTHCHECK" in final
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {"deploy/secrets", ".venv", "var", "*.pem"} <= set(ignored)


def _entrypoint(environment: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script, our own arguments
        [SH, str(DEPLOY / "entrypoint.sh"), *command],
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )


def test_the_entrypoint_reads_each_secret_file_into_its_variable(tmp_path: Path) -> None:
    pem = tmp_path / "access_token_key"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    url = tmp_path / "database_url"
    url.write_text("postgresql://toshav:s3cret@postgres:5432/toshav\n")
    ran = _entrypoint(
        {
            "TOSHAV_ACCESS_TOKEN_KEY_FILE": str(pem),
            "TOSHAV_DATABASE_URL_FILE": str(url),
            "TOSHAV_ENV": "production",
        },
        "env",
    )
    assert ran.returncode == 0, ran.stderr
    seen = dict(line.split("=", 1) for line in ran.stdout.splitlines() if "=" in line)
    assert seen["TOSHAV_DATABASE_URL"] == "postgresql://toshav:s3cret@postgres:5432/toshav"
    assert seen["TOSHAV_ENV"] == "production"
    assert not any(name.endswith("_FILE") for name in seen)
    assert "TOSHAV_ACCESS_TOKEN_KEY=-----BEGIN PRIVATE KEY-----" in ran.stdout
    assert "-----END PRIVATE KEY-----" in ran.stdout  # the PEM's lines are all there


def test_the_entrypoint_stops_when_a_secret_file_cannot_be_read(tmp_path: Path) -> None:
    ran = _entrypoint({"TOSHAV_ID_HASH_KEY_FILE": str(tmp_path / "missing")}, "env")
    assert ran.returncode == 1
    assert "TOSHAV_ID_HASH_KEY_FILE names" in ran.stderr
    assert ran.stdout == ""  # the command never ran


@pytest.mark.skipif(shutil.which("openssl") is None, reason="make-secrets.sh needs openssl")
def test_the_secrets_the_script_makes_satisfy_production(tmp_path: Path) -> None:
    shutil.copy(DEPLOY / "make-secrets.sh", tmp_path / "make-secrets.sh")
    first = subprocess.run(  # noqa: S603 - our own script
        [SH, str(tmp_path / "make-secrets.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    secrets = tmp_path / "secrets"
    before = {path.name: path.read_text() for path in secrets.iterdir()}
    again = subprocess.run(  # noqa: S603 - our own script
        [SH, str(tmp_path / "make-secrets.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert first.stdout.count("made") == 6
    assert again.stdout.count("kept") == 6  # a second run changes nothing
    assert {path.name: path.read_text() for path in secrets.iterdir()} == before
    assert secrets.stat().st_mode & 0o077 == 0  # the folder is the owner's alone
    password = before["postgres_password"].strip()
    assert before["toshav_database_url"].strip() == (
        f"postgresql://toshav:{password}@postgres:5432/toshav"
    )
    keys_from_pem(before["toshav_access_token_key"])  # an EC P-256 key the service accepts
    settings = ServiceSettings(
        env="production",
        public_url="https://card.city.example",
        database_url=before["toshav_database_url"].strip(),
        id_hash_key=SecretStr(before["toshav_id_hash_key"].strip()),
        credential_key=SecretStr(before["toshav_credential_key"].strip()),
        access_token_key=SecretStr(before["toshav_access_token_key"]),
        metrics_token=SecretStr(before["toshav_metrics_token"].strip()),
    )
    check_settings(settings)  # production refuses a missing or default secret; none is


@pytest.mark.postgres_only
def test_the_workers_health_check_fails_while_the_schema_is_behind(
    compose: dict[str, Any], fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    """The worker's health check, run as compose runs it (through the entrypoint, the database's
    address in a secret file), passes at the newest schema and fails once the schema is behind."""
    check = compose["services"]["worker"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "toshav-entrypoint"]
    secret = tmp_path / "toshav_database_url"
    secret.write_text(fresh_database.url + "\n")

    def healthy() -> bool:
        ran = _entrypoint(
            {"TOSHAV_DATABASE_URL_FILE": str(secret), "TOSHAV_VAR_DIR": str(tmp_path)},
            sys.executable,
            *check[3:],
        )
        assert ran.returncode in (0, 1), ran.stderr
        assert "Traceback" not in ran.stderr  # it answered; it did not break
        return ran.returncode == 0

    assert healthy()
    with fresh_database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    assert not healthy()
