"""The resident card: issuance, the wallet's view, tokens and QR codes, revocation, suspension, wards."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from resident_card.cards import service as cards
from resident_card.cards import summary
from resident_card.cards.models import Card
from resident_card.cards.summary import BenefitLine, CardLines
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import b64url, b64url_decode
from resident_card.credentials.models import SigningKey
from resident_card.residents.models import Resident
from resident_card.residents.service.records import city_today
from tests.conftest import LiveServer
from tests.factories import auth_headers, create_user, israeli_id
from tests.resident_card.credentials_support import (
    decode_qr_png,
    joserfc_claims,
    jwks_from,
    read_qr_codes,
    resident_user,
    signing_key,
    staff_headers,
    ward_of,
)


@pytest.fixture(autouse=True)
def _key(session: Session, settings: Settings, clock: SetClock) -> None:
    signing_key(session, settings, clock.now())


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/cards/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _token(client: TestClient, headers: dict[str, str], path: str = "me") -> str:
    response = client.post(f"/api/v1/cards/{path}/token", headers=headers)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def _verify(client: TestClient, token: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/cards/verify", json={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _set_status(session: Session, resident: Resident, status: str) -> None:
    resident.status = status
    session.flush()


# --- issuance and the wallet's view -------------------------------------------------------------


def test_a_verified_resident_gets_a_card_on_first_view(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    resident, user = resident_user(session, settings, first_name="Dana", last_name="Levi")
    headers = auth_headers(app, user)

    card = _me(client, headers)

    assert card["display_name"] == "Dana Levi"
    assert card["status"] == "active"
    assert card["valid"] is True
    assert card["is_ward"] is False
    assert card["resident_id"] == str(resident.id)
    assert card["photo_url"] is None
    assert card["benefits"] == []
    assert re.fullmatch(r"[1-9][0-9]{9}", card["number"])
    assert cards.is_valid_card_number(card["number"])
    today = city_today(clock.now(), settings)
    assert card["expires_on"] == today.replace(year=today.year + 5).isoformat()
    assert datetime.fromisoformat(card["issued_at"]) == clock.now()
    assert _me(client, headers) == card  # the same card, not a new one each time
    assert len(session.scalars(select(Card)).all()) == 1


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_no_card_before_residency_is_verified(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, status: str
) -> None:
    _, user = resident_user(session, settings, status=status)
    response = client.get("/api/v1/cards/me", headers=auth_headers(app, user))
    assert response.status_code == 404
    assert response.json()["error"] == "no_card"
    assert session.scalars(select(Card)).all() == []


def test_a_user_without_a_resident_record_has_no_card(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    user = create_user(session, settings, role=Role.resident)
    response = client.get("/api/v1/cards/me", headers=auth_headers(app, user))
    assert response.status_code == 404
    assert response.json()["error"] == "no_card"


def test_staff_roles_have_no_wallet(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    for role in (Role.inspector, Role.merchant, Role.admin):
        headers = staff_headers(session, settings, app, role)
        assert client.get("/api/v1/cards/me", headers=headers).status_code == 403
    assert client.get("/api/v1/cards/me").status_code == 401


def test_card_numbers_carry_a_luhn_check_digit() -> None:
    assert cards.luhn_check_digit("7992739871") == 3  # the textbook example 79927398713
    assert cards.is_valid_card_number("4000000002")
    assert not cards.is_valid_card_number("4000000003")
    assert not cards.is_valid_card_number("400000002")
    assert not cards.is_valid_card_number("４000000002")
    for number in ("4000000002", "1234567897"):
        swapped = number[1] + number[0] + number[2:]
        assert swapped == number or not cards.is_valid_card_number(swapped)


def test_the_database_refuses_a_second_current_card(
    session: Session, settings: Settings, clock: SetClock
) -> None:
    resident, _ = resident_user(session, settings)
    cards.issue_card(session, settings, resident, now=clock.now())
    with pytest.raises(IntegrityError), session.begin_nested():
        cards.issue_card(session, settings, resident, now=clock.now())


def test_an_expired_card_is_renewed_on_view(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    _, user = resident_user(session, settings)
    first = _me(client, auth_headers(app, user))
    clock.advance(days=5 * 366 + 2)
    headers = auth_headers(app, user)

    renewed = _me(client, headers)

    assert renewed["number"] != first["number"]
    assert renewed["reference"] != first["reference"]
    assert date.fromisoformat(renewed["expires_on"]) > date.fromisoformat(first["expires_on"])
    old = session.scalars(select(Card).where(Card.reference == first["reference"])).one()
    assert old.status == "revoked"
    assert old.revocation_reason == "expired"


def test_an_expired_card_mints_no_token(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    _, user = resident_user(session, settings)
    reference = _me(client, auth_headers(app, user))["reference"]
    clock.advance(days=5 * 366 + 2)
    response = client.post(f"/api/v1/cards/{reference}/token", headers=auth_headers(app, user))
    assert response.status_code == 409
    assert response.json()["error"] == "card_not_active"


# --- the token and its QR -----------------------------------------------------------------------


def test_the_token_carries_no_personal_data_and_is_short(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    id_number = israeli_id(4_242)
    resident, user = resident_user(
        session, settings, first_name="Yael", last_name="Mizrahi", identifier=id_number
    )
    headers = auth_headers(app, user)
    card = _me(client, headers)

    response = client.post("/api/v1/cards/me/token", headers=headers)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    token = body["token"]
    assert len(token) <= 300, len(token)
    assert datetime.fromisoformat(body["expires_at"]) == clock.now() + timedelta(seconds=120)
    header, claims_segment, _ = token.split(".")
    assert json.loads(b64url_decode(header)) == {"alg": "ES256", "kid": _kid(client)}
    claims = json.loads(b64url_decode(claims_segment))
    assert set(claims) == {"iss", "aud", "sub", "iat", "exp", "jti"}
    assert claims["aud"] == settings.card_audience
    assert claims["sub"] == card["reference"]
    decoded = json.dumps(claims)
    for private in (
        "Yael",
        "Mizrahi",
        card["number"],
        str(resident.id),
        id_number,
        resident.identifier_hash,
        str(user.id),
    ):
        assert private not in decoded


def _kid(client: TestClient) -> str:
    kid: str = jwks_from(client)["keys"][0]["kid"]
    return kid


def test_every_token_is_fresh(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    tokens = {_token(client, headers) for _ in range(3)}
    assert len(tokens) == 3  # a new jti each time


def test_the_token_lifetime_follows_the_settings(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    app.state.runtime.settings = settings.model_copy(update={"card_token_ttl_seconds": 45})
    _, user = resident_user(session, settings)
    body = client.post("/api/v1/cards/me/token", headers=auth_headers(app, user)).json()
    assert datetime.fromisoformat(body["expires_at"]) == clock.now() + timedelta(seconds=45)


def test_the_png_qr_decodes_to_a_token_that_verifies(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    reference = _me(client, headers)["reference"]

    response = client.get("/api/v1/cards/me/qr.png", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    token = decode_qr_png(response.content)
    claims = joserfc_claims(token, jwks_from(client), audience="card", now=clock.now())
    assert claims["sub"] == reference
    expires = datetime.fromisoformat(response.headers["x-token-expires-at"])
    assert int(expires.timestamp()) == claims["exp"]
    inspector = staff_headers(session, settings, app, Role.inspector)
    assert _verify(client, token, inspector) == {
        "valid": True,
        "status": "active",
        "token_expires_at": response.headers["x-token-expires-at"].replace("+00:00", "Z"),
    }


def _rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw our SVG's rectangles (M x,y h w v1 h-w z) as pixels, as a browser would."""
    side = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (side * scale, side * scale), 255)
    for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\d+z", svg):
        left, top = int(x) * scale, int(y) * scale
        image.paste(0, (left, top, left + int(width) * scale, top + scale))
    return image


def test_the_svg_qr_decodes_to_a_token_that_verifies(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    _, user = resident_user(session, settings)
    response = client.get("/api/v1/cards/me/qr.svg", headers=auth_headers(app, user))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    [token] = read_qr_codes(_rasterise_svg(response.text))
    assert joserfc_claims(token, jwks_from(client), audience="card", now=clock.now())


def test_no_token_without_a_signing_key(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    for key in session.scalars(select(SigningKey)):
        key.retired_at = clock.now()
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(hours=1))
    session.flush()
    _, user = resident_user(session, settings)
    response = client.post("/api/v1/cards/me/token", headers=auth_headers(app, user))
    assert response.status_code == 503
    assert response.json()["error"] == "no_signing_key"


# --- verification -------------------------------------------------------------------------------


def test_each_role_sees_only_its_fields(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    id_number = israeli_id(4_343)
    resident, user = resident_user(
        session,
        settings,
        date_of_birth=date(1950, 1, 1),
        first_name="Rivka",
        last_name="Cohen",
        identifier=id_number,
    )
    card = _me(client, auth_headers(app, user))
    token = _token(client, auth_headers(app, user))
    expires = _verify(client, token, staff_headers(session, settings, app, Role.inspector))

    assert expires == {
        "valid": True,
        "status": "active",
        "token_expires_at": expires["token_expires_at"],
    }
    merchant = _verify(client, token, staff_headers(session, settings, app, Role.merchant))
    assert merchant == {
        "valid": True,
        "status": "active",
        "token_expires_at": expires["token_expires_at"],
        "eligible_resident": True,
        "age_band": "65+",
        "programmes": [],
    }
    admin = _verify(client, token, staff_headers(session, settings, app, Role.admin))
    assert admin == {
        **{key: value for key, value in merchant.items() if key != "programmes"},
        "programmes": [],
        "card_number": card["number"],
        "card_expires_on": card["expires_on"],
    }
    for answer in (expires, merchant, admin):
        text = str(answer)
        for private in ("Rivka", "Cohen", str(resident.id), id_number, resident.identifier_hash):
            assert private not in text


@pytest.mark.parametrize(
    ("born", "band"),
    [(date(2012, 5, 1), "0-17"), (date(1990, 5, 1), "18-64"), (date(1940, 5, 1), "65+")],
)
def test_age_bands(
    session: Session,
    settings: Settings,
    app: FastAPI,
    client: TestClient,
    born: date,
    band: str,
) -> None:
    _, user = resident_user(session, settings, date_of_birth=born)
    token = _token(client, auth_headers(app, user))
    answer = _verify(client, token, staff_headers(session, settings, app, Role.merchant))
    assert answer["age_band"] == band


def test_only_verifiers_may_verify(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    token = _token(client, auth_headers(app, user))
    for role in (Role.resident, Role.auditor):
        response = client.post(
            "/api/v1/cards/verify",
            json={"token": token},
            headers=staff_headers(session, settings, app, role),
        )
        assert response.status_code == 403
    assert client.post("/api/v1/cards/verify", json={"token": token}).status_code == 401


def test_verify_refuses_unknown_fields_and_oversized_tokens(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    headers = staff_headers(session, settings, app, Role.merchant)
    for body in ({"token": "x", "extra": 1}, {"token": "x" * 5000}, {"token": ""}, {}):
        response = client.post("/api/v1/cards/verify", json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"


def test_rejected_tokens_say_why(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    _, user = resident_user(session, settings)
    token = _token(client, auth_headers(app, user))
    merchant = staff_headers(session, settings, app, Role.merchant)
    keyring = credentials.Keyring(settings)

    def reason(candidate: str) -> str | None:
        answer = _verify(client, candidate, merchant)
        assert answer["valid"] is False
        assert "eligible_resident" not in answer  # nothing about a card behind a bad token
        assert "status" not in answer
        found: str | None = answer["reason"]
        return found

    signature_start = token.rindex(".") + 1
    flipped = "A" if token[signature_start + 5] != "A" else "B"
    tampered = token[: signature_start + 5] + flipped + token[signature_start + 6 :]
    assert reason(tampered) == "bad_signature"
    assert reason("not-a-token") == "malformed"
    body = token.split(".")[1]
    none_header = b64url(b'{"alg":"none","kid":"x"}')
    assert reason(f"{none_header}.{body}.") == "bad_signature"
    parking = keyring.sign(
        session, {"sub": "x"}, audience="parking", now=clock.now(), ttl=timedelta(minutes=1)
    )
    assert reason(parking) == "wrong_audience"
    early = keyring.sign(
        session,
        {"sub": "x"},
        audience="card",
        now=clock.now() + timedelta(minutes=5),
        ttl=timedelta(minutes=1),
    )
    assert reason(early) == "not_yet_valid"

    stranger = credentials.Keyring(settings)
    other_key = credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    unknown = stranger.sign(
        session, {"sub": "x"}, audience="card", now=clock.now(), ttl=timedelta(minutes=1)
    )
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    credentials.retire_key(session, kid=other_key.kid, now=clock.now())
    assert reason(unknown) == "unknown_kid"  # signed by a key since retired

    clock.advance(seconds=120 + settings.credential_leeway_seconds)
    assert reason(token) == "expired"


def test_a_validly_signed_token_for_no_card_is_an_unknown_card(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    token = credentials.Keyring(settings).sign(
        session, {"sub": "AAAAAAAAAAAA"}, audience="card", now=clock.now(), ttl=timedelta(minutes=1)
    )
    answer = _verify(client, token, staff_headers(session, settings, app, Role.admin))
    assert answer["valid"] is False
    assert answer["reason"] == "unknown_card"
    assert "card_number" not in answer


# --- suspension, moving out, revocation ---------------------------------------------------------


def test_a_suspended_resident_s_card_is_suspended_and_fails_online(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    token = _token(client, headers)  # minted while active: its signature stays valid

    _set_status(session, resident, "suspended")

    assert _me(client, headers)["status"] == "suspended"
    assert _me(client, headers)["valid"] is False
    minted = client.post("/api/v1/cards/me/token", headers=headers)
    assert minted.status_code == 409
    assert minted.json() == {
        "error": "card_not_active",
        "detail": "The card is not active (suspended), so it has no QR code.",
    }
    assert client.get("/api/v1/cards/me/qr.png", headers=headers).status_code == 409
    answer = _verify(client, token, staff_headers(session, settings, app, Role.merchant))
    assert answer["valid"] is False
    assert answer["reason"] == "card_suspended"
    assert answer["status"] == "suspended"
    assert answer["eligible_resident"] is False

    _set_status(session, resident, "verified")  # reinstated by a clerk
    assert _verify(client, token, staff_headers(session, settings, app, Role.merchant))["valid"]


def test_a_resident_who_moved_out_holds_a_revoked_card(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    token = _token(client, headers)
    _set_status(session, resident, "moved_out")
    assert _me(client, headers)["status"] == "revoked"
    answer = _verify(client, token, staff_headers(session, settings, app, Role.inspector))
    assert answer == {
        "valid": False,
        "reason": "card_revoked",
        "status": "revoked",
        "token_expires_at": answer["token_expires_at"],
    }


def test_a_lost_phone_revokes_the_card_and_issues_a_new_number(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    old = _me(client, headers)
    old_token = _token(client, headers)

    response = client.post("/api/v1/cards/me/revoke", json={"reason": "lost"}, headers=headers)

    assert response.status_code == 200, response.text
    new = response.json()
    assert new["number"] != old["number"]
    assert new["reference"] != old["reference"]
    assert new["status"] == "active"
    assert _me(client, headers)["number"] == new["number"]
    merchant = staff_headers(session, settings, app, Role.merchant)
    assert _verify(client, old_token, merchant)["reason"] == "card_revoked"
    assert _verify(client, _token(client, headers), merchant)["valid"] is True
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "card.revoke")).all()
    assert entry.actor_id == user.id
    assert entry.after is not None
    assert entry.after["reason"] == "lost"
    # The old card is still there, revoked, and answers as such to its holder.
    again = client.get(f"/api/v1/cards/{old['reference']}", headers=headers)
    assert again.json()["status"] == "revoked"
    assert client.post(f"/api/v1/cards/{old['reference']}/token", headers=headers).status_code == (
        409
    )
    revoked_twice = client.post(
        f"/api/v1/cards/{old['reference']}/revoke", json={"reason": "lost"}, headers=headers
    )
    assert revoked_twice.status_code == 409
    assert revoked_twice.json()["error"] == "card_already_revoked"


def test_revocation_refuses_unknown_reasons(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    number = _me(client, headers)["number"]
    for body in ({"reason": "expired"}, {"reason": "lost", "status": "active"}):
        response = client.post("/api/v1/cards/me/revoke", json=body, headers=headers)
        assert response.status_code == 422
    assert _me(client, headers)["number"] == number


def test_a_clerk_revokes_suspends_and_reinstates_with_an_audit_trail(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident, user = resident_user(session, settings)
    holder = auth_headers(app, user)
    reference = _me(client, holder)["reference"]
    admin_user = create_user(session, settings, role=Role.admin)
    admin = auth_headers(app, admin_user)
    token = _token(client, holder)

    suspended = client.post(
        f"/api/v1/cards/{reference}/suspend", json={"note": "report 17"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert _verify(client, token, admin)["reason"] == "card_suspended"
    twice = client.post(f"/api/v1/cards/{reference}/suspend", json={"note": "x"}, headers=admin)
    assert twice.status_code == 409
    assert twice.json()["error"] == "invalid_card_transition"

    # A replacement of a card a clerk suspended stays suspended.
    replaced = client.post(
        f"/api/v1/cards/{reference}/revoke", json={"reason": "fraud", "note": "r"}, headers=admin
    )
    assert replaced.status_code == 200
    new_reference = replaced.json()["reference"]
    assert replaced.json()["status"] == "suspended"
    reinstated = client.post(
        f"/api/v1/cards/{new_reference}/reinstate", json={"note": "cleared"}, headers=admin
    )
    assert reinstated.json()["status"] == "active"
    assert _me(client, holder)["reference"] == new_reference

    listed = client.get("/api/v1/cards", params={"resident_id": str(resident.id)}, headers=admin)
    assert [row["reference"] for row in listed.json()] == [new_reference, reference]
    assert listed.json()[1]["revocation_reason"] == "fraud"
    actions = [
        entry.action
        for entry in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.actor_id == admin_user.id)
            .order_by(AuditEntry.created_at)
        )
    ]
    assert sorted(actions) == sorted(["card.suspend", "card.revoke", "card.reinstate"])


def test_clerk_actions_need_a_clerk(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident, user = resident_user(session, settings)
    reference = _me(client, auth_headers(app, user))["reference"]
    for role in (Role.resident, Role.merchant, Role.auditor):
        headers = staff_headers(session, settings, app, role)
        response = client.post(
            f"/api/v1/cards/{reference}/suspend", json={"note": "x"}, headers=headers
        )
        assert response.status_code == 403
    inspector = staff_headers(session, settings, app, Role.inspector)
    revoke = client.post(f"/api/v1/cards/{reference}/revoke", json={}, headers=inspector)
    assert revoke.status_code == 403
    auditor = staff_headers(session, settings, app, Role.auditor)
    listed = client.get("/api/v1/cards", params={"resident_id": str(resident.id)}, headers=auditor)
    assert listed.status_code == 200
    assert "Dana" not in listed.text


# --- guardians and wards ------------------------------------------------------------------------


def test_guardians_see_and_manage_their_wards_cards(
    session: Session, settings: Settings, app: FastAPI, client: TestClient, clock: SetClock
) -> None:
    guardian, user = resident_user(session, settings)
    ward = ward_of(session, settings, guardian, first_name="Noam")
    ward_of(session, settings, guardian, status="pending", first_name="Tamar")
    headers = auth_headers(app, user)

    response = client.get("/api/v1/cards/me/wards", headers=headers)

    assert response.status_code == 200
    [ward_card] = response.json()  # the pending one has no card yet
    assert ward_card["display_name"] == "Noam Levi"
    assert ward_card["is_ward"] is True
    assert ward_card["resident_id"] == str(ward.id)
    reference = ward_card["reference"]
    assert client.get(f"/api/v1/cards/{reference}", headers=headers).json() == ward_card

    png = client.get(f"/api/v1/cards/{reference}/qr.png", headers=headers)
    token = decode_qr_png(png.content)
    assert joserfc_claims(token, jwks_from(client), audience="card", now=clock.now())["sub"] == (
        reference
    )
    merchant = _verify(client, token, staff_headers(session, settings, app, Role.merchant))
    assert merchant["age_band"] == "0-17"

    replaced = client.post(
        f"/api/v1/cards/{reference}/revoke", json={"reason": "lost"}, headers=headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["reference"] != reference
    assert [
        card["reference"] for card in client.get("/api/v1/cards/me/wards", headers=headers).json()
    ] == [replaced.json()["reference"]]


def test_anyone_else_s_card_is_not_found(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    guardian, guardian_user = resident_user(session, settings)
    ward = ward_of(session, settings, guardian)
    _, stranger_user = resident_user(session, settings)
    owner_headers = auth_headers(app, guardian_user)
    ward_reference = client.get("/api/v1/cards/me/wards", headers=owner_headers).json()[0][
        "reference"
    ]
    own_reference = _me(client, owner_headers)["reference"]
    stranger = auth_headers(app, stranger_user)
    del ward

    for reference in (own_reference, ward_reference, "AAAAAAAAAAAA"):
        for method, path in (
            ("GET", ""),
            ("POST", "/token"),
            ("GET", "/qr.png"),
            ("GET", "/qr.svg"),
            ("GET", "/photo"),
            ("DELETE", "/photo"),
        ):
            response = client.request(method, f"/api/v1/cards/{reference}{path}", headers=stranger)
            assert response.status_code == 404, (method, path)
            assert response.json()["error"] == "card_not_found"
        revoke = client.post(
            f"/api/v1/cards/{reference}/revoke", json={"reason": "lost"}, headers=stranger
        )
        assert revoke.status_code == 404
    assert client.get("/api/v1/cards/not-a-ref", headers=stranger).status_code == 422
    # The ward's guardian still holds both cards, untouched.
    assert _me(client, owner_headers)["reference"] == own_reference


# --- the wallet's benefits, from domains the card does not import ------------------------------


@pytest.fixture
def installed_lines(app: FastAPI) -> list[Any]:
    """A plug-in of wallet lines installed beside the app's (after the app installed its own)."""
    calls: list[Any] = []

    def balances(session: Session, resident_id: uuid.UUID, now: datetime) -> Sequence[BenefitLine]:
        calls.append(resident_id)
        return [
            BenefitLine(
                code="parking_free_time",
                label={"he": "חניה חינם", "ar": "موقف مجاني", "en": "Free parking"},
                balance=120,
                unit="PARKING_MIN",
            )
        ]

    def programmes(
        session: Session, resident_id: uuid.UUID, merchant_user_id: uuid.UUID, now: datetime
    ) -> Sequence[str]:
        return ["cashback_hadar", "cashback_hadar"]

    lines = CardLines(summary=balances, programmes=programmes)
    summary.install([*summary.installed(), lines, lines])  # the same plug-in twice: asked once
    return calls


def test_the_wallet_shows_benefits_from_installed_plug_ins(
    session: Session,
    settings: Settings,
    app: FastAPI,
    client: TestClient,
    installed_lines: list[Any],
) -> None:
    resident, user = resident_user(session, settings)
    card = _me(client, auth_headers(app, user))
    assert card["benefits"] == [
        {
            "code": "parking_free_time",
            "label": {"he": "חניה חינם", "ar": "موقف مجاني", "en": "Free parking"},
            "balance": 120,
            "unit": "PARKING_MIN",
        }
    ]
    assert installed_lines == [resident.id]
    token = _token(client, auth_headers(app, user))
    merchant = _verify(client, token, staff_headers(session, settings, app, Role.merchant))
    assert merchant["programmes"] == ["cashback_hadar"]


# --- races --------------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_first_views_at_once_issue_one_card(live_server: LiveServer) -> None:
    database = live_server.database
    with database.session() as db:
        signing_key(db, database.settings, datetime.now(UTC))
        _, user = resident_user(db, database.settings)
        db.commit()
        headers = auth_headers(live_server.app, user)

    def view(_: int) -> httpx.Response:
        return httpx.get(f"{live_server.base_url}/api/v1/cards/me", headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(view, range(6)))

    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    with database.session() as db:
        assert len(db.scalars(select(Card)).all()) == 1


def test_a_card_not_active_is_said_in_the_caller_s_language(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    _me(client, headers)
    _set_status(session, resident, "suspended")
    hebrew = client.post("/api/v1/cards/me/token", headers={**headers, "Accept-Language": "he"})
    arabic = client.post("/api/v1/cards/me/token", headers={**headers, "Accept-Language": "ar"})
    assert hebrew.json()["detail"] == "הכרטיס אינו פעיל (מושעה), ולכן אין לו קוד QR."
    assert arabic.json()["detail"] == "البطاقة غير فعّالة (موقوفة)، لذلك لا رمز QR لها."
