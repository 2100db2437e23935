"""Access tokens: what we issue is a standard ES256 JWT, and every forgery or misuse is a 401.

Forged tokens are built by hand from base64url pieces, so no JOSE library stands between the test
and the bytes; what we issue is checked with joserfc, an implementation independent of ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.accounts.tokens import (
    AccessTokenInvalid,
    AccessTokenKeys,
    decode_access_token,
    generate_private_pem,
    issue_access_token,
    keys_from_pem,
    load_access_token_keys,
)
from tests.factories import auth_headers, create_user

Signer = Callable[[bytes], bytes]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Signer) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def es256(private_pem: str) -> Signer:
    """A raw JWS ES256 signer (r || s, 32 bytes each) over a PEM key."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def hs256(secret: bytes) -> Signer:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def no_signature(_: bytes) -> bytes:
    return b""


def header(keys: AccessTokenKeys, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"alg": "ES256", "typ": "at+jwt", "kid": keys.kid}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def claims(settings: Settings, user_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    values: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.api_audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + 600,
        "jti": "forged",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def assert_refused(response: Any, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == code
    assert set(response.json()) == {"error", "detail"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_our_token_is_a_standard_es256_jwt(app: FastAPI, settings: Settings) -> None:
    keys: AccessTokenKeys = load_access_token_keys(app.state.recipe.settings)
    user_id = uuid.uuid4()
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_access_token(keys, settings, user_id=user_id, now=now)

    decoded = joserfc_jwt.decode(token, ECKey.import_key(keys.public_pem), algorithms=["ES256"])

    assert decoded.header == {"alg": "ES256", "typ": "at+jwt", "kid": keys.kid}
    assert decoded.claims["sub"] == str(user_id)
    assert decoded.claims["aud"] == "toshav-api"
    assert decoded.claims["iss"] == settings.issuer
    assert decoded.claims["exp"] - decoded.claims["iat"] == settings.access_token_ttl_seconds
    assert decoded.claims["jti"]


def test_a_genuine_token_lets_the_user_in(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings)
    token = forge(
        header(load_access_token_keys(app.state.recipe.settings)),
        claims(settings, user.id),
        es256(_our_pem(app)),
    )
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["username"] == user.username


def _our_pem(app: FastAPI) -> str:
    keys: AccessTokenKeys = load_access_token_keys(app.state.recipe.settings)
    return keys.private_pem


ATTACKS: dict[str, Callable[[AccessTokenKeys, Settings, uuid.UUID, str], str]] = {
    "alg none": lambda k, s, u, pem: forge(header(k, alg="none"), claims(s, u), no_signature),
    "alg none, upper case": lambda k, s, u, pem: forge(
        header(k, alg="NONE"), claims(s, u), no_signature
    ),
    "HS256 keyed with our public key PEM": lambda k, s, u, pem: forge(
        header(k, alg="HS256"), claims(s, u), hs256(k.public_pem.encode())
    ),
    "HS256 keyed with our public key PEM, no kid": lambda k, s, u, pem: forge(
        header(k, alg="HS256", kid=None), claims(s, u), hs256(k.public_pem.encode())
    ),
    "HS256 with another secret": lambda k, s, u, pem: forge(
        header(k, alg="HS256"), claims(s, u), hs256(b"another-secret")
    ),
    "ES256 signed by another key, our kid": lambda k, s, u, pem: forge(
        header(k), claims(s, u), es256(generate_private_pem())
    ),
    "ES256 signed by another key, its own kid": lambda k, s, u, pem: _signed_by_another_key(
        claims(s, u)
    ),
    "our signature on altered claims": lambda k, s, u, pem: _swap_claims(
        forge(header(k), claims(s, u), es256(pem)), claims(s, uuid.uuid4())
    ),
    "expired": lambda k, s, u, pem: forge(
        header(k),
        claims(s, u, iat=_ago(hours=1), exp=_ago(minutes=1)),
        es256(pem),
    ),
    "no exp": lambda k, s, u, pem: forge(header(k), claims(s, u, exp=None), es256(pem)),
    "no iat": lambda k, s, u, pem: forge(header(k), claims(s, u, iat=None), es256(pem)),
    "no sub": lambda k, s, u, pem: forge(header(k), claims(s, u, sub=None), es256(pem)),
    "sub not a user id": lambda k, s, u, pem: forge(
        header(k), claims(s, u, sub="admin"), es256(pem)
    ),
    "sub of nobody": lambda k, s, u, pem: forge(header(k), claims(s, uuid.uuid4()), es256(pem)),
    "no aud": lambda k, s, u, pem: forge(header(k), claims(s, u, aud=None), es256(pem)),
    "wrong aud": lambda k, s, u, pem: forge(header(k), claims(s, u, aud="toshav-qr"), es256(pem)),
    "no iss": lambda k, s, u, pem: forge(header(k), claims(s, u, iss=None), es256(pem)),
    "wrong iss": lambda k, s, u, pem: forge(
        header(k), claims(s, u, iss="https://evil.example"), es256(pem)
    ),
    "not an access token (typ)": lambda k, s, u, pem: forge(
        header(k, typ="JWT"), claims(s, u), es256(pem)
    ),
    "no typ": lambda k, s, u, pem: forge(header(k, typ=None), claims(s, u), es256(pem)),
    "claims not an object": lambda k, s, u, pem: _raw(header(k), b'["not", "claims"]', es256(pem)),
    "garbage": lambda k, s, u, pem: "garbage",
    "three dots of garbage": lambda k, s, u, pem: "a.b.c",
    "empty pieces": lambda k, s, u, pem: "..",
    "header not JSON": lambda k, s, u, pem: f"{b64(b'{not json')}.{b64(b'{}')}.",
    "oversized": lambda k, s, u, pem: "a" * 10_000,
}


def _ago(**delta: float) -> int:
    return int((datetime.now(UTC) - timedelta(**delta)).timestamp())


def _signed_by_another_key(payload: dict[str, Any]) -> str:
    other = keys_from_pem(generate_private_pem())
    return forge(
        {"alg": "ES256", "typ": "at+jwt", "kid": other.kid}, payload, es256(other.private_pem)
    )


def _swap_claims(token: str, replacement: dict[str, Any]) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{b64(json.dumps(replacement).encode())}.{signature}"


def _raw(head: dict[str, Any], payload: bytes, sign: Signer) -> str:
    signing_input = f"{b64(json.dumps(head).encode())}.{b64(payload)}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_forged_or_misused_token_is_refused(
    attack: str, client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.admin)
    token = ATTACKS[attack](
        load_access_token_keys(app.state.recipe.settings), settings, user.id, _our_pem(app)
    )

    assert_refused(client.get("/api/v1/me", headers=bearer(token)))
    assert_refused(client.get("/api/v1/admin/users", headers=bearer(token)))


def test_a_refresh_token_is_not_an_access_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")
    pair = client.post(
        "/api/v1/auth/token",
        data={"username": "dana.levi", "password": "correct-horse-battery"},
    ).json()

    assert_refused(client.get("/api/v1/me", headers=bearer(pair["refresh_token"])))


def test_the_token_of_a_disabled_user_is_refused(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings)
    headers = auth_headers(app, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    user.is_active = False
    session.flush()

    assert_refused(client.get("/api/v1/me", headers=headers))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer ", "Bearer", "", "Basic dXNlcjpwYXNz", "bearer"],
    ids=["empty bearer", "bare word", "empty header", "basic", "lower-case bare word"],
)
def test_no_bearer_token_asks_to_sign_in(authorization: str, client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": authorization})
    assert_refused(response, code="not_authenticated")


def test_a_header_that_is_not_text_is_refused(client: TestClient) -> None:
    response = client.get(
        "/api/v1/me", headers={"Authorization": "Bearer \xe9t\xe9".encode("latin-1")}
    )
    assert_refused(response)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    token=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.one_of(
                st.binary(max_size=80).map(b64),
                st.dictionaries(
                    st.sampled_from(["alg", "typ", "kid", "sub", "exp", "aud", "iss", "crit"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=20), st.floats()),
                ).map(lambda d: b64(json.dumps(d).encode())),
            ),
            min_size=1,
            max_size=5,
        ).map(".".join),
    )
)
def test_decoding_anything_not_ours_says_invalid_and_never_crashes(token: str) -> None:
    settings = Settings.model_validate({"access_token_key": FUZZ_KEYS.private_pem})
    with pytest.raises(AccessTokenInvalid):
        decode_access_token(token, FUZZ_KEYS, settings)


FUZZ_KEYS = keys_from_pem(generate_private_pem())
