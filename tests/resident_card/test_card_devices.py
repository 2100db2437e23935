"""The phones that sign their card's tokens: registered, listed and revoked by the holder alone;
their tokens and typed codes judged by the server (python-jose, ES256 only) with the clock rule."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.cards import devices
from tests.factories import auth_headers, create_user
from tests.resident_card.credentials_support import resident_user, signing_key, staff_headers
from tests.resident_card.devices_support import (
    PHONE_AGENT,
    Phone,
    b64,
    compact,
    public_jwk,
    register_phone,
)


@pytest.fixture(autouse=True)
def _key(session: Session, settings: Settings, clock: SetClock) -> None:
    signing_key(session, settings, clock.now())


def _holder(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    _, user = resident_user(session, settings)
    return {**auth_headers(app, user), "Accept-Language": "en"}


def _verify(client: TestClient, token: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/cards/verify", json={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_holder_registers_lists_and_revokes_their_phones(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    holder = _holder(session, settings, app)
    first = register_phone(client, holder)
    second = register_phone(client, holder)

    listed = client.get("/api/v1/cards/me/devices", headers=holder).json()
    assert {d["kid"] for d in listed} == {first.kid, second.kid}
    assert {d["label"] for d in listed} == {"Chrome · Android"}
    assert all(d["last_used_at"] is None and d["registered_at"] for d in listed)
    assert "code_secret" not in listed[0]
    assert len(first.code_prefix) == 6
    assert first.code_prefix.isdigit()

    assert client.delete(f"/api/v1/cards/me/devices/{first.id}", headers=holder).status_code == 204
    assert [d["kid"] for d in client.get("/api/v1/cards/me/devices", headers=holder).json()] == [
        second.kid
    ]
    again = client.delete(f"/api/v1/cards/me/devices/{first.id}", headers=holder)
    assert again.status_code == 404
    assert again.json()["error"] == "device_not_found"


def test_no_one_sees_or_revokes_another_residents_phone(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    owner = _holder(session, settings, app)
    phone = register_phone(client, owner)
    stranger = _holder(session, settings, app)

    assert client.get("/api/v1/cards/me/devices", headers=stranger).json() == []
    refused = client.delete(f"/api/v1/cards/me/devices/{phone.id}", headers=stranger)
    assert refused.status_code == 404
    assert refused.json()["error"] == "device_not_found"
    missing = client.delete(f"/api/v1/cards/me/devices/{uuid.uuid4()}", headers=stranger)
    assert missing.status_code == 404
    assert [d["kid"] for d in client.get("/api/v1/cards/me/devices", headers=owner).json()] == [
        phone.kid
    ]
    merchant = staff_headers(session, settings, app, Role.merchant)
    assert client.get("/api/v1/cards/me/devices", headers=merchant).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"crv": "P-384"},
        {"kty": "RSA"},
        {"x": "AAAA"},
        {"y": b64(b"\x00" * 32)},  # not on the curve
    ],
    ids=["other-curve", "not-ec", "short-x", "off-curve"],
)
def test_a_key_that_is_not_p256_is_refused(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, change: dict[str, str]
) -> None:
    holder = _holder(session, settings, app)
    key = {**public_jwk(ec.generate_private_key(ec.SECP256R1())), **change}
    response = client.post("/api/v1/cards/me/devices", json={"public_key": key}, headers=holder)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_device_key"
    assert client.get("/api/v1/cards/me/devices", headers=holder).json() == []


def test_a_card_holds_at_most_ten_phones(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    holder = _holder(session, settings, app)
    for _ in range(devices.MAX_DEVICES):
        register_phone(client, holder)
    key = public_jwk(ec.generate_private_key(ec.SECP256R1()))
    response = client.post("/api/v1/cards/me/devices", json={"public_key": key}, headers=holder)
    assert response.status_code == 409
    assert response.json()["error"] == "too_many_devices"


def test_a_token_the_phone_signed_verifies_and_marks_the_phone_used(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    holder = _holder(session, settings, app)
    phone = register_phone(client, holder)
    merchant = staff_headers(session, settings, app, Role.merchant)

    answer = _verify(client, phone.token(clock.now()), merchant)

    assert answer["valid"] is True
    assert answer["status"] == "active"
    [listed] = client.get("/api/v1/cards/me/devices", headers=holder).json()
    assert listed["last_used_at"] is not None


def _other_phone(client: TestClient, session: Session, settings: Settings, app: FastAPI) -> Phone:
    return register_phone(client, _holder(session, settings, app))


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", "expired"),
        ("future", "not_yet_valid"),
        ("too-long", "malformed"),
        ("other-card", "wrong_card"),
        ("unknown-kid", "unknown_device"),
        ("other-key", "bad_signature"),
        ("alg-hs256", "bad_signature"),
        ("alg-none", "bad_signature"),
        ("revoked", "device_revoked"),
    ],
    ids=lambda value: str(value),
)
def test_what_a_phone_token_must_be(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    clock: SetClock,
    case: str,
    reason: str,
) -> None:
    holder = _holder(session, settings, app)
    phone = register_phone(client, holder)
    now = clock.now()
    skew = devices.CLOCK_SKEW
    if case == "expired":  # made 45 s ago, living 45 s: refused once the 30 s allowance is past
        token = phone.token(now, issued_shift=-(45 + skew))
    elif case == "future":
        token = phone.token(now, issued_shift=skew + 1)
    elif case == "too-long":
        token = phone.token(now, lifetime=devices.TOKEN_LIFETIME + 1)
    elif case == "other-card":
        token = phone.token(now, sub=_other_phone(client, session, settings, app).reference)
    elif case == "unknown-kid":
        token = phone.token(now, header={"alg": "ES256", "kid": "d" + "A" * 22})
    elif case == "other-key":
        token = _other_phone(client, session, settings, app).token(now)
        token = ".".join([phone.token(now).split(".")[0], *token.split(".")[1:]])
    elif case == "alg-hs256":  # the public key used as an HMAC secret: the classic swap
        import hashlib
        import hmac
        import json

        secret = json.dumps(public_jwk(phone.key)).encode()
        token = compact(
            {"alg": "HS256", "kid": phone.kid},
            {
                "sub": phone.reference,
                "iat": int(now.timestamp()),
                "exp": int(now.timestamp()) + 40,
                "jti": "abcdefghij",
            },
            lambda data: hmac.new(secret, data, hashlib.sha256).digest(),
        )
    elif case == "alg-none":
        token = compact(
            {"alg": "none", "kid": phone.kid},
            {
                "sub": phone.reference,
                "iat": int(now.timestamp()),
                "exp": int(now.timestamp()) + 40,
                "jti": "abcdefghij",
            },
            lambda _data: b"",
        )
    else:
        assert (
            client.delete(f"/api/v1/cards/me/devices/{phone.id}", headers=holder).status_code == 204
        )
        token = phone.token(now)
    merchant = staff_headers(session, settings, app, Role.merchant)

    answer = _verify(client, token, merchant)

    assert answer == {"valid": False, "reason": reason}


def test_the_clock_rule_allows_thirty_seconds_either_way(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    holder = _holder(session, settings, app)
    phone = register_phone(client, holder)
    merchant = staff_headers(session, settings, app, Role.merchant)
    now = clock.now()
    ahead = phone.token(now, issued_shift=devices.CLOCK_SKEW)
    behind = phone.token(now, issued_shift=-(45 + devices.CLOCK_SKEW - 1))
    assert _verify(client, ahead, merchant)["valid"] is True
    assert _verify(client, behind, merchant)["valid"] is True
    # A token shown now is refused 105 s later, whatever the phone's clock said.
    shown = phone.token(now)
    clock.at = now + timedelta(seconds=45 + devices.CLOCK_SKEW)
    assert _verify(client, shown, merchant) == {"valid": False, "reason": "expired"}


def test_a_typed_code_verifies_and_a_wrong_one_reveals_nothing(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    holder = _holder(session, settings, app)
    phone = register_phone(client, holder)
    merchant = staff_headers(session, settings, app, Role.merchant)
    now = clock.now()
    code = phone.code(now)

    spaced = f"{code[:4]} {code[4:8]} {code[8:]}"
    assert _verify(client, spaced, merchant)["valid"] is True
    wrong = phone.code_prefix + str((int(code[6:]) + 1) % 1_000_000).zfill(6)
    assert _verify(client, wrong, merchant) == {"valid": False, "reason": "wrong_code"}
    # The code of a minute and a half ago is no longer good.
    assert _verify(client, phone.code(now, shift=-90), merchant) == {
        "valid": False,
        "reason": "wrong_code",
    }


def test_wrong_codes_are_limited_per_verifier_and_hour(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    holder = _holder(session, settings, app)
    phone = register_phone(client, holder)
    # Ten minutes into an hour, moving the clock forward only (a token minted before its
    # account existed would be refused).
    clock.at = (clock.now() + timedelta(hours=1)).replace(minute=10, second=0, microsecond=0)
    staff = create_user(session, settings, role=Role.merchant)
    merchant = auth_headers(app, staff)
    right = phone.code(clock.now())
    wrong = phone.code_prefix + str((int(right[6:]) + 1) % 1_000_000).zfill(6)
    for _ in range(devices.CODE_MISSES_PER_HOUR):
        assert _verify(client, wrong, merchant)["reason"] == "wrong_code"
    refused = client.post("/api/v1/cards/verify", json={"token": right}, headers=merchant)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_code_guesses"
    assert refused.headers["Retry-After"] == str(50 * 60)
    # Another verifier is not held back, and the next hour starts afresh.
    other = staff_headers(session, settings, app, Role.merchant)
    assert _verify(client, right, other)["valid"] is True
    clock.advance(minutes=50)
    merchant = auth_headers(app, staff)  # signed in again, an hour on
    assert _verify(client, phone.code(clock.now()), merchant)["valid"] is True


def test_the_phone_label_comes_from_its_browser() -> None:
    assert devices.label_of(PHONE_AGENT) == "Chrome · Android"
    assert (
        devices.label_of(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
        )
        == "Safari · iPhone"
    )
    assert devices.label_of(None) == "—"
