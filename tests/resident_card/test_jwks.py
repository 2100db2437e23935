"""GET /.well-known/jwks.json: the public keys, cacheable, enough to verify every card token alone."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import Rejection, RejectionReason, verify_credential
from tests.factories import auth_headers
from tests.resident_card.credentials_support import (
    decode_qr_png,
    joserfc_claims,
    jwks_from,
    resident_user,
    signing_key,
    staff_headers,
)


def test_jwks_publishes_public_keys_only(
    session: Session, settings: Settings, client: TestClient, clock: SetClock
) -> None:
    key = signing_key(session, settings, clock.now())
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "keys": [
            {
                "kty": "EC",
                "crv": "P-256",
                "x": key.public_x,
                "y": key.public_y,
                "kid": key.kid,
                "use": "sig",
                "alg": "ES256",
            }
        ]
    }
    assert '"d"' not in response.text


def test_jwks_is_cacheable_and_answers_304(
    session: Session, settings: Settings, client: TestClient, clock: SetClock
) -> None:
    signing_key(session, settings, clock.now())
    first = client.get("/.well-known/jwks.json")
    assert first.headers["cache-control"] == f"public, max-age={settings.jwks_max_age_seconds}"
    assert first.headers["access-control-allow-origin"] == "*"
    etag = first.headers["etag"]

    again = client.get("/.well-known/jwks.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    signing_key(session, settings, clock.now())  # a new key: a new document, a new ETag
    changed = client.get("/.well-known/jwks.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["keys"]) == 2


def test_jwks_is_empty_before_any_key(client: TestClient) -> None:
    assert client.get("/.well-known/jwks.json").json() == {"keys": []}


def test_jwks_sits_at_the_root_not_under_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/.well-known/jwks.json").status_code == 404
    assert "/.well-known/jwks.json" in client.get("/openapi.json").json()["paths"]


def test_the_served_qr_verifies_with_joserfc_and_the_jwks_alone(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    signing_key(session, settings, clock.now())
    _, user = resident_user(session, settings)
    response = client.get("/api/v1/cards/me/qr.png", headers=auth_headers(app, user))
    assert response.status_code == 200, response.text

    token = decode_qr_png(response.content)
    claims = joserfc_claims(
        token, jwks_from(client), audience=settings.card_audience, now=clock.now()
    )
    assert claims["iss"] == settings.issuer
    assert claims["exp"] - claims["iat"] == settings.card_token_ttl_seconds


def test_during_a_rotation_tokens_of_both_keys_verify_until_the_old_is_retired(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    old = signing_key(session, settings, clock.now())
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    merchant = staff_headers(session, settings, app, Role.merchant)
    by_old = client.post("/api/v1/cards/me/token", headers=headers).json()["token"]

    new = credentials.rotate_key(session, settings, now=clock.now())  # published, not yet signing
    assert (
        client.post("/api/v1/cards/me/token", headers=headers).json()["token"].split(".")[0]
        == (by_old.split(".")[0])
    )
    clock.advance(seconds=settings.jwks_max_age_seconds)
    by_new = client.post("/api/v1/cards/me/token", headers=headers).json()["token"]
    assert by_new.split(".")[0] != by_old.split(".")[0]

    # Both verify: with an independent library, and online. (The old token's own two minutes are
    # over by now, so it is checked at the time it was minted; the key is what matters here.)
    minted_old = clock.now() - timedelta(seconds=settings.jwks_max_age_seconds)
    jwks = jwks_from(client)
    assert joserfc_claims(by_old, jwks, audience="card", now=minted_old)["sub"]
    assert joserfc_claims(by_new, jwks, audience="card", now=clock.now())["sub"]
    online = client.post("/api/v1/cards/verify", json={"token": by_new}, headers=merchant)
    assert online.json()["valid"] is True

    credentials.retire_key(session, kid=old.kid, now=clock.now())
    jwks = jwks_from(client)
    assert [jwk["kid"] for jwk in jwks["keys"]] == [new.kid]
    retired = verify_credential(by_old, jwks, audience="card", now=minted_old)
    assert retired == Rejection(RejectionReason.unknown_kid)
    assert joserfc_claims(by_new, jwks, audience="card", now=clock.now())["sub"]
