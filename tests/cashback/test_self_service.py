"""A business joins by itself: a resident applies with the login they have (or a person without
one makes a login on the way), the clerk's approval gives that same login the till, and the owner
adds and removes staff logins, whose access ends at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cashback.models import Merchant, MerchantStaff, MerchantStatus
from kernel.clock import SetClock
from kernel.notices import Notice
from kernel.settings import Settings
from resident_card.accounts.models import RefreshToken, Role, User
from tests.cashback.conftest import Shop, count, make_business, prepare_city, registry_number
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_resident, create_user

APPLY = "/api/v1/cashback/merchants"
MINE = "/api/v1/cashback/merchants/me"


@pytest.fixture
def city(session: Session, settings: Settings, clock: SetClock) -> None:
    prepare_city(session, settings, clock.now())


def business(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registry_number": registry_number(),
        "name": "Falafel HaNevi'im",
        "category": "restaurant",
        "street_code": "hanevim",
        "house_number": 7,
    }
    body.update(overrides)
    return body


def resident_login(session: Session, settings: Settings) -> User:
    resident = create_resident(session, settings, user=True)
    user = session.get(User, resident.user_id)
    assert user is not None
    return user


def approve(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, merchant_id: str
) -> None:
    clerk = auth_headers(app, create_user(session, settings, role=Role.admin))
    url = f"/api/v1/admin/cashback/merchants/{merchant_id}/approve"
    answer = client.post(url, json={"reason": "papers checked"}, headers=clerk)
    assert answer.status_code == 200, answer.text


def business_requests(client: TestClient, headers: dict[str, str]) -> list[Any]:
    found = client.get("/api/v1/requests/me", headers=headers).json()
    return [one for one in found if one["kind"] == "business_application"]


@pytest.mark.usefixtures("city")
def test_a_resident_applies_with_their_login_and_the_approval_opens_its_till(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = resident_login(session, settings)
    headers = {**auth_headers(app, user), "Accept-Language": "en"}

    applied = client.post(APPLY, json=business(), headers=headers)

    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "pending"
    [request] = business_requests(client, headers)
    assert (request["kind"], request["status"]) == ("business_application", "submitted")
    waiting = client.get(MINE, headers=headers)
    assert (waiting.status_code, waiting.json()["status"]) == (200, "pending")
    till = client.get(f"{MINE}/purchases", headers=headers)
    assert till.status_code == 403  # no till before the approval

    approve(client, app, session, settings, applied.json()["id"])

    mine = client.get(MINE, headers=headers)
    assert mine.status_code == 200, mine.text
    assert (mine.json()["id"], mine.json()["status"], mine.json()["owner"]) == (
        applied.json()["id"],
        "approved",
        True,
    )
    me = client.get("/api/v1/me", headers=headers).json()
    assert set(me["roles"]) == {"resident", "merchant"}
    assert client.get("/api/v1/residents/me", headers=headers).status_code == 200
    [request] = business_requests(client, headers)
    assert request["status_text"] == "Business approved"


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    "number", ["515040013", "51504001a", "12345678"], ids=["digit", "letter", "short"]
)
def test_a_wrong_check_digit_is_refused_and_writes_nothing(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, number: str
) -> None:
    user = resident_login(session, settings)
    before = (count(session, Merchant), count(session, MerchantStaff))

    answer = client.post(
        APPLY,
        json=business(registry_number=number),
        headers={**auth_headers(app, user), "Accept-Language": "he"},
    )

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_registry_number"
    assert "ספרת ביקורת" in answer.json()["detail"]
    assert (count(session, Merchant), count(session, MerchantStaff)) == before
    assert session.get(User, user.id).roles == ["resident"]  # type: ignore[union-attr]


@pytest.mark.usefixtures("city")
def test_a_person_without_a_login_makes_one_while_applying(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    account = {"username": "falafel.owner", "password": "a-long-enough-passphrase"}
    refused = client.post(
        "/api/v1/cashback/applications",
        json={"account": account, "business": business(registry_number="515040013")},
    )
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_registry_number")
    assert session.scalar(select(User).where(User.username == "falafel.owner")) is None

    made = client.post(
        "/api/v1/cashback/applications", json={"account": account, "business": business()}
    )

    assert made.status_code == 201, made.text
    signed_in = client.post("/api/v1/auth/token", data=account)
    assert signed_in.status_code == 200
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    mine = client.get(MINE, headers=headers).json()
    assert (mine["id"], mine["status"], mine["owner"]) == (made.json()["id"], "pending", True)
    taken = client.post(
        "/api/v1/cashback/applications", json={"account": account, "business": business()}
    )
    assert (taken.status_code, taken.json()["error"]) == (409, "username_taken")


@pytest.fixture
def owned(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> tuple[str, dict[str, str]]:
    """An approved business, and its owner's headers."""
    prepare_city(session, settings, clock.now())
    merchant, owner = make_business(session, settings, now=clock.now())
    return f"/api/v1/cashback/merchants/{merchant.id}/staff", auth_headers(app, owner)


def test_the_owner_adds_a_resident_and_a_new_login_and_removes_them(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    owned: tuple[str, dict[str, str]],
) -> None:
    url, owner = owned
    cashier = resident_login(session, settings)

    added = client.post(url, json={"username": cashier.username}, headers=owner)
    assert added.status_code == 201, added.text
    assert added.json()["invite_path"] is None
    cashier_headers = auth_headers(app, cashier)
    assert client.get(MINE, headers=cashier_headers).json()["owner"] is False

    new = client.post(url, json={"username": "new.cashier", "new_login": True}, headers=owner)
    assert new.status_code == 201, new.text
    link = new.json()["invite_path"]
    assert link.startswith("/reset-password#token=")
    chose = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": link.split("=", 1)[1], "new_password": "the-cashier-passphrase"},
    )
    assert chose.status_code == 204, chose.text
    signed_in = client.post(
        "/api/v1/auth/token", data={"username": "new.cashier", "password": "the-cashier-passphrase"}
    )
    assert signed_in.status_code == 200
    new_headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert client.get(MINE, headers=new_headers).status_code == 200

    listed = client.get(url, headers=owner).json()
    assert [(m["owner"], m["username"]) for m in listed][1:] == [
        (False, cashier.username),
        (False, "new.cashier"),
    ]
    assert listed[0]["owner"] is True

    for user_id, headers in ((cashier.id, cashier_headers), (new.json()["user_id"], new_headers)):
        removed = client.delete(f"{url}/{user_id}", headers=owner)
        assert removed.status_code == 204, removed.text
        refused = client.get(f"{MINE}/purchases", headers=headers)
        assert refused.status_code in (403, 404), refused.text
    # The resident keeps their wallet; the login that was only the business's keeps nothing.
    assert client.get("/api/v1/residents/me", headers=cashier_headers).status_code == 200
    tokens = session.scalars(
        select(RefreshToken).where(RefreshToken.user_id == uuid.UUID(new.json()["user_id"]))
    ).all()
    assert tokens
    assert all(token.revoked_at is not None for token in tokens)
    assert [m["username"] for m in client.get(url, headers=owner).json()] == [listed[0]["username"]]


def test_a_removed_cashier_is_refused_at_the_till_at_once(
    client: TestClient, app: FastAPI, shop: Shop, clock: SetClock
) -> None:
    """The next purchase a removed staff login records is refused, with the token it holds."""
    url = f"/api/v1/cashback/merchants/{shop.merchant.id}/staff"
    owner = auth_headers(app, shop.staff)
    cashier = create_user(shop.session, shop.settings, role=Role.resident)
    assert client.post(url, json={"username": cashier.username}, headers=owner).status_code == 201
    headers = auth_headers(app, cashier)

    def sell(receipt: str) -> int:
        answer: Response = client.post(
            "/api/v1/cashback/purchases",
            json={"card_token": shop.token(clock.now()), "amount_agorot": 5000, "receipt": receipt},
            headers={**headers, "Idempotency-Key": f"sale-{receipt}"},
        )
        return answer.status_code

    assert sell("r-1") == 201
    assert client.delete(f"{url}/{cashier.id}", headers=owner).status_code == 204
    assert sell("r-2") == 403


def test_only_the_owner_manages_staff_and_another_business_is_not_found(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    clock: SetClock,
    owned: tuple[str, dict[str, str]],
) -> None:
    url, owner = owned
    cashier = create_user(session, settings, role=Role.merchant)
    assert client.post(url, json={"username": cashier.username}, headers=owner).status_code == 201
    staff_headers = auth_headers(app, cashier)
    _other, other_owner = make_business(session, settings, now=clock.now(), name="Other")
    other_headers = auth_headers(app, other_owner)
    clerk = create_user(session, settings, role=Role.admin)
    before = count(session, MerchantStaff)

    for headers, status, code in (
        (staff_headers, 403, "not_business_owner"),
        (other_headers, 404, "merchant_not_found"),
    ):
        listed = client.get(url, headers=headers)
        assert (listed.status_code, listed.json()["error"]) == (status, code)
        added = client.post(url, json={"username": clerk.username}, headers=headers)
        assert (added.status_code, added.json()["error"]) == (status, code)
        removed = client.delete(f"{url}/{cashier.id}", headers=headers)
        assert (removed.status_code, removed.json()["error"]) == (status, code)
    city_login = client.post(url, json={"username": clerk.username}, headers=owner)
    assert (city_login.status_code, city_login.json()["error"]) == (422, "not_a_staff_login")
    unknown = client.post(url, json={"username": "nobody.here"}, headers=owner)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "staff_login_not_found")
    owner_id = client.get(url, headers=owner).json()[0]["user_id"]
    stays = client.delete(f"{url}/{owner_id}", headers=owner)
    assert (stays.status_code, stays.json()["error"]) == (409, "owner_stays")
    assert count(session, MerchantStaff) == before


@pytest.mark.usefixtures("city")
def test_a_pending_business_adds_no_staff(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, owner = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending
    )
    cashier = create_user(session, settings, role=Role.resident)
    answer = client.post(
        f"/api/v1/cashback/merchants/{merchant.id}/staff",
        json={"username": cashier.username},
        headers=auth_headers(app, owner),
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "merchant_not_approved")
    assert DEFAULT_PASSWORD  # the factory's logins sign in with it


def test_a_new_logins_invitation_can_go_by_email_instead(
    client: TestClient,
    owned: tuple[str, dict[str, str]],
    notices_posted: list[Notice],
) -> None:
    url, owner = owned
    mixed = client.post(
        url, json={"username": "someone", "email": "noa@example.org"}, headers=owner
    )
    assert (mixed.status_code, mixed.json()["error"]) == (422, "validation_error")

    added = client.post(
        url,
        json={"username": "noa.cashier", "new_login": True, "email": "noa@example.org"},
        headers=owner,
    )

    assert added.status_code == 201, added.text
    assert (added.json()["invite_path"], added.json()["invite_emailed"]) == (None, True)
    [invitation] = [n for n in notices_posted if n.email == "noa@example.org"]
    assert invitation.email_only is True
    assert invitation.link is not None
    assert invitation.link.startswith("/reset-password#token=")
    assert "noa.cashier" in invitation.body["en"]
    assert "Café Hadar" in invitation.title["he"]
    chose = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": invitation.link.split("=", 1)[1], "new_password": "noa-chooses-this-one"},
    )
    assert chose.status_code == 204
