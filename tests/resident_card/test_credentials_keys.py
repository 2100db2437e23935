"""Signing keys: rotation, retirement, sealing at rest, the keyring's cache, the command, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import settings as settings_module
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from resident_card.credentials import service
from resident_card.credentials.exceptions import (
    NoSigningKey,
    SigningKeyAlreadyRetired,
    SigningKeyInUse,
    SigningKeyNotFound,
    SigningKeyUnreadable,
)
from resident_card.credentials.jws import VerifiedClaims, verify_credential
from resident_card.credentials.keys import unseal_private_key
from resident_card.credentials.models import SigningKey
from tests.conftest import FreshDatabase
from tests.resident_card.credentials_support import signing_key, staff_headers
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_first_key_signs_at_once(session: Session, settings: Settings, clock: SetClock) -> None:
    now = clock.now()
    key = service.rotate_key(session, settings, now=now)
    assert key.activates_at == now
    assert service.Keyring(settings).signer(session, now=now).kid == key.kid
    assert [entry.subject_id for entry in _audit(session, "signing_key.rotate")] == [key.kid]


def test_a_rotated_key_is_published_before_it_signs(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    keyring = service.Keyring(settings)
    old = signing_key(session, settings, clock.now())
    new = service.rotate_key(session, settings, now=clock.now())
    assert new.activates_at == clock.now() + timedelta(seconds=settings.jwks_max_age_seconds)

    published = [jwk["kid"] for jwk in service.published_jwks(session)["keys"]]
    assert published == [new.kid, old.kid]
    assert keyring.signer(session, now=clock.now()).kid == old.kid
    clock.advance(seconds=settings.jwks_max_age_seconds)
    assert keyring.signer(session, now=clock.now()).kid == new.kid
    states = {info.kid: info.state for info in service.list_keys(session, now=clock.now())}
    assert states == {old.kid: "published", new.kid: "signing"}


def test_both_keys_verify_until_the_old_one_is_retired(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    keyring = service.Keyring(settings)
    old = signing_key(session, settings, clock.now())
    by_old = keyring.sign(session, {"sub": "a"}, audience="card", now=clock.now(), ttl=_TTL)
    new = signing_key(session, settings, clock.now())
    clock.advance(seconds=1)  # the keyring asks which key signs once a second
    by_new = keyring.sign(session, {"sub": "b"}, audience="card", now=clock.now(), ttl=_TTL)
    jwks = service.published_jwks(session)
    for token, kid in ((by_old, old.kid), (by_new, new.kid)):
        result = verify_credential(token, jwks, audience="card", now=clock.now())
        assert isinstance(result, VerifiedClaims)
        assert result.kid == kid

    service.retire_key(session, kid=old.kid, now=clock.now(), reason="rotation done")

    jwks = service.published_jwks(session)
    assert [jwk["kid"] for jwk in jwks["keys"]] == [new.kid]
    assert not verify_credential(by_old, jwks, audience="card", now=clock.now())
    assert verify_credential(by_new, jwks, audience="card", now=clock.now())
    [entry] = _audit(session, "signing_key.retire")
    assert entry.subject_id == old.kid
    assert entry.reason == "rotation done"


_TTL = timedelta(seconds=120)


def test_the_signing_key_cannot_be_retired(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    only = signing_key(session, settings, clock.now())
    with pytest.raises(SigningKeyInUse):
        service.retire_key(session, kid=only.kid, now=clock.now())
    pending = service.rotate_key(session, settings, now=clock.now())
    with pytest.raises(SigningKeyInUse):  # still signing until the new one takes over
        service.retire_key(session, kid=only.kid, now=clock.now())
    service.retire_key(session, kid=pending.kid, now=clock.now())  # a rotation called off
    with pytest.raises(SigningKeyAlreadyRetired):
        service.retire_key(session, kid=pending.kid, now=clock.now())
    with pytest.raises(SigningKeyNotFound):
        service.retire_key(session, kid="nope", now=clock.now())


def test_no_key_no_signature(session: Session, settings: Settings, clock: SetClock) -> None:
    with pytest.raises(NoSigningKey):
        service.Keyring(settings).signer(session, now=clock.now())
    service.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(minutes=5))
    with pytest.raises(NoSigningKey):  # published, not signing yet
        service.Keyring(settings).signer(session, now=clock.now())


def test_ensure_makes_one_key_once(session: Session, settings: Settings, clock: SetClock) -> None:
    first = service.ensure_signing_key(session, settings, now=clock.now())
    assert first is not None
    assert service.ensure_signing_key(session, settings, now=clock.now()) is None
    assert len(service.list_keys(session, now=clock.now())) == 1


def test_private_keys_are_sealed_at_rest(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    key = signing_key(session, settings, clock.now())
    signer = service.Keyring(settings).signer(session, now=clock.now())
    der = signer.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    scalar = signer.private_key.private_numbers().private_value.to_bytes(32, "big")
    session.expire_all()
    stored = session.scalars(select(SigningKey)).one()
    assert der not in stored.private_key_sealed
    assert scalar not in stored.private_key_sealed
    opened = unseal_private_key(
        stored.private_key_sealed, kid=key.kid, secret=settings.credential_key.get_secret_value()
    )
    assert opened.private_numbers().private_value == int.from_bytes(scalar, "big")


def test_a_changed_credential_key_is_said_plainly(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    signing_key(session, settings, clock.now())
    other = settings.model_copy(update={"credential_key": SecretStr("another-key-" + "y" * 32)})
    with pytest.raises(SigningKeyUnreadable):
        service.Keyring(other).signer(session, now=clock.now())
    # Rotating under the new credential key brings signing back.
    signing_key(session, other, clock.now())
    assert service.Keyring(other).signer(session, now=clock.now())


def test_the_keyring_unseals_each_key_once_and_follows_rotations(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    first_process, second_process = service.Keyring(settings), service.Keyring(settings)
    signing_key(session, settings, clock.now())
    a = first_process.signer(session, now=clock.now())
    assert first_process.signer(session, now=clock.now()) is a  # cached, not unsealed again
    assert second_process.signer(session, now=clock.now()).kid == a.kid

    newer = signing_key(session, settings, clock.now())  # made "by another process"
    # Within the refresh second the old key still signs (it is still published); then the new one.
    assert first_process.signer(session, now=clock.now()).kid == a.kid
    clock.advance(seconds=1)
    assert first_process.signer(session, now=clock.now()).kid == newer.kid
    assert second_process.signer(session, now=clock.now()).kid == newer.kid
    eager = service.Keyring(settings, refresh_seconds=0)
    latest = signing_key(session, settings, clock.now())
    assert eager.signer(session, now=clock.now()).kid == latest.kid


def test_staff_see_key_states_never_private_keys(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    key = signing_key(session, settings, clock.now())
    response = client.get(
        "/api/v1/credentials/keys", headers=staff_headers(session, settings, app, Role.auditor)
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "kid": key.kid,
            "state": "signing",
            "created_at": response.json()[0]["created_at"],
            "activates_at": response.json()[0]["activates_at"],
            "retired_at": None,
        }
    ]
    resident = client.get(
        "/api/v1/credentials/keys", headers=staff_headers(session, settings, app, Role.resident)
    )
    assert resident.status_code == 403


# --- settings -----------------------------------------------------------------------------------


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "database_url": "postgresql://db/toshav",
        "id_hash_key": SecretStr("i" * 40),
        "access_token_key": SecretStr("-----BEGIN PRIVATE KEY-----"),
        "credential_key": SecretStr("c" * 40),
        "public_url": "https://toshav.haifa.example",
    }
    values.update(overrides)
    return Settings.model_validate(values)


def test_production_refuses_a_default_or_short_credential_key() -> None:
    assert _production().production_problems() == []
    default = _production(credential_key=SecretStr(settings_module.DEV_CREDENTIAL_KEY))
    assert default.production_problems() == [
        "TOSHAV_CREDENTIAL_KEY is missing or at its development default"
    ]
    assert _production(credential_key=SecretStr("")).production_problems() == [
        "TOSHAV_CREDENTIAL_KEY is missing or at its development default"
    ]
    assert _production(credential_key=SecretStr("short")).production_problems() == [
        "TOSHAV_CREDENTIAL_KEY is shorter than 32 characters"
    ]
    with pytest.raises(settings_module.InsecureSettingsError, match="TOSHAV_CREDENTIAL_KEY"):
        settings_module.check_settings(_production(credential_key=SecretStr("short")))


def test_the_credential_key_never_shows() -> None:
    settings = _production()
    assert "c" * 40 not in repr(settings)
    assert "c" * 40 not in str(settings.model_dump())


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _runner(database: FreshDatabase, tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={
            "TOSHAV_DATABASE_URL": database.url,
            "TOSHAV_VAR_DIR": str(tmp_path),
            "TOSHAV_CREDENTIAL_KEY": "cli-test-credential-key-" + "z" * 20,
        }
    )


@pytest.mark.usefixtures("fresh_settings_cache")
def test_keys_commands_rotate_list_and_retire(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    runner = _runner(fresh_database, tmp_path)

    first = runner.invoke(main, ["keys", "rotate", "--language", "en"])
    second = runner.invoke(main, ["keys", "rotate", "--activate-in", "0", "--language", "en"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    with fresh_database.session() as session:
        kids = [
            key.kid for key in session.scalars(select(SigningKey).order_by(SigningKey.created_at))
        ]
    assert len(kids) == 2
    assert f"new key {kids[0]}: published now" in first.output

    listed = runner.invoke(main, ["keys", "list", "--language", "en"])
    assert listed.exit_code == 0, listed.output
    assert kids[0] in listed.output
    assert "published" in listed.output
    assert kids[1] in listed.output
    assert "signing" in listed.output

    refused = runner.invoke(main, ["keys", "retire", kids[1], "--language", "en"])
    assert refused.exit_code == 1
    assert "is the one signing now" in refused.output

    retired = runner.invoke(main, ["keys", "retire", kids[0], "--reason", "rotation"])
    assert retired.exit_code == 0, retired.output
    assert f"המפתח {kids[0]} הוצא משימוש" in retired.output  # Hebrew by default
    with fresh_database.session() as session:
        jwks = service.published_jwks(session)
    assert [jwk["kid"] for jwk in jwks["keys"]] == [kids[1]]
    for result in (first, second, listed, refused, retired):
        assert "PRIVATE" not in result.output


@pytest.mark.usefixtures("fresh_settings_cache")
def test_keys_ensure_is_idempotent(fresh_database: FreshDatabase, tmp_path: Path) -> None:
    runner = _runner(fresh_database, tmp_path)
    assert runner.invoke(main, ["keys", "ensure"]).exit_code == 0
    assert runner.invoke(main, ["keys", "ensure", "--language", "en"]).exit_code == 0
    with fresh_database.session() as session:
        assert len(session.scalars(select(SigningKey)).all()) == 1
