"""What the scheme does for a business: its months beside its category's in its neighbourhood,
against figures worked out by hand, with months of too few residents or businesses hidden."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cashback.models import BusinessCategory, Merchant, MerchantStaff, MerchantStatus, Purchase
from kernel.clock import SetClock
from resident_card.accounts.models import Role, User
from tests.cashback.conftest import make_business, make_campaign, prepare_city
from tests.conftest import IN_TRANSACTION, Backend, make_settings
from tests.factories import auth_headers, create_resident, create_user
from toshav.settings import ServiceSettings

WINDOW = {"from": "2026-09-01", "to": "2026-11-30"}
CAFE, BOOKS = BusinessCategory.cafe, BusinessCategory.books


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> ServiceSettings:
    # k = 3: a category month of 4 residents is shown, one of 1 is hidden.
    return make_settings(backend.url, tmp_path, **IN_TRANSACTION, open_data_k=3)


@dataclass
class Street:
    """Cafés A (ours), B and C and bookshop E in Hadar, café D in Carmel Centre."""

    ids: dict[str, uuid.UUID]
    owners: dict[str, dict[str, str]]
    staff_of_a: dict[str, str]
    resident: dict[str, str]


def _path(merchant_id: uuid.UUID) -> str:
    return f"/api/v1/cashback/merchants/{merchant_id}/figures"


@pytest.fixture
def street(session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock) -> Street:
    now = clock.now()
    prepare_city(session, settings, now)
    campaign = make_campaign(session, now=now)
    places: dict[str, tuple[BusinessCategory, str, int]] = {
        "A": (CAFE, "herzl", 20),
        "B": (CAFE, "herzl", 22),
        "C": (CAFE, "hanevim", 5),
        "D": (CAFE, "moriah", 5),
        "E": (BOOKS, "herzl", 24),
    }
    businesses: dict[str, tuple[Merchant, User]] = {
        name: make_business(
            session, settings, now=now, category=category, street_code=code,
            house_number=number, name=f"Business {name}",
        )
        for name, (category, code, number) in places.items()
    }  # fmt: skip
    # A café of Hadar still waiting for the clerk: not in the scheme, not counted.
    make_business(
        session, settings, now=now, status=MerchantStatus.pending, street_code="herzl",
        house_number=26, name="Business F",
    )  # fmt: skip
    residents = {n: create_resident(session, settings).id for n in (1, 2, 3, 4, 5, 6)}

    def sold(
        business: str, resident: int, at: str, amount: int, refunded: int = 0, **_: Any
    ) -> None:
        merchant, staff = businesses[business]
        when = datetime.fromisoformat(at).replace(tzinfo=UTC)
        session.add(
            Purchase(
                merchant_id=merchant.id, campaign_id=campaign.id,
                resident_id=residents[resident], staff_user_id=staff.id,
                idempotency_key=uuid.uuid4().hex, request_hash="0" * 64,
                amount_agorot=amount, receipt="R", cashback_agorot=amount // 10, rate_bp=1000,
                available_at=when, created_at=when,
                refunded_agorot=refunded, cashback_returned_agorot=refunded // 10,
            )
        )  # fmt: skip

    sold("A", 1, "2026-08-15T09:00", 10_000)  # before the window: resident 1 comes back
    sold("A", 1, "2026-09-10T09:00", 5_000)
    sold("A", 2, "2026-09-10T10:00", 3_000)
    sold("A", 2, "2026-09-30T22:30", 2_000)  # 1 October, 01:30 in the city
    sold("A", 3, "2026-10-12T09:00", 4_000, refunded=1_000)
    sold("A", 6, "2026-11-06T09:00", 1_000)
    sold("B", 4, "2026-09-11T09:00", 6_000)
    sold("B", 4, "2026-10-13T09:00", 1_000)
    sold("B", 1, "2026-10-13T10:00", 2_000)
    sold("B", 6, "2026-11-07T09:00", 1_000)
    sold("C", 5, "2026-09-12T09:00", 7_000)
    sold("C", 6, "2026-11-05T09:00", 1_500)
    sold("D", 3, "2026-09-10T09:00", 9_999)  # another neighbourhood
    sold("E", 6, "2026-09-10T09:00", 8_888)  # another category
    session.flush()
    a = businesses["A"][0]
    clerk_of_a = create_user(session, settings, role=Role.merchant)
    session.add(MerchantStaff(merchant_id=a.id, user_id=clerk_of_a.id))
    session.flush()
    resident = create_resident(session, settings, user=True)
    return Street(
        ids={name: merchant.id for name, (merchant, _) in businesses.items()},
        owners={name: auth_headers(app, owner) for name, (_, owner) in businesses.items()},
        staff_of_a=auth_headers(app, clerk_of_a),
        resident=auth_headers(app, session.get_one(User, resident.user_id)),
    )


def _month(month: str, *figures: int) -> dict[str, Any]:
    names = ("purchases", "sales_agorot", "cashback_agorot", "residents", "returning_residents")
    return {"month": month, **dict(zip(names, figures, strict=True))}


def _hidden(month: str, why: str) -> dict[str, Any]:
    names = ("purchases", "sales_agorot", "cashback_agorot", "residents", "returning_residents")
    return {"month": month, "hidden_because": why, **dict.fromkeys(names)}


def test_a_business_reads_its_months_beside_its_category_s(
    client: TestClient, street: Street
) -> None:
    response = client.get(_path(street.ids["A"]), params=WINDOW, headers=street.owners["A"])
    by_staff = client.get(_path(street.ids["A"]), params=WINDOW, headers=street.staff_of_a)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["window"] == {
        "from": "2026-09-01",
        "to": "2026-11-30",
        "months": ["2026-09", "2026-10", "2026-11"],
    }
    assert body["name"] == "Business A"
    assert body["months"] == [
        # Residents 1 and 2; resident 1 had bought here in August.
        _month("2026-09", 2, 8_000, 800, 2, 1),
        # Resident 2 (on the city's 1 October) came back; resident 3's ₪10 refunded.
        _month("2026-10", 2, 5_000, 500, 2, 1),
        _month("2026-11", 1, 1_000, 100, 1, 0),
    ]
    category = body["category"]
    assert category["category"] == {"code": "cafe", "name": "Café"}
    assert category["neighbourhood"] == {"code": "hadar", "name": "Hadar HaCarmel"}
    assert category["businesses"] == 3
    assert category["months"] == [
        # A, B and C sold to residents 1, 2, 4, 5; only resident 1 had bought before.
        {**_month("2026-09", 4, 21_000, 2_100, 4, 1), "hidden_because": None},
        # Only A and B sold: A could subtract itself and read B's month.
        _hidden("2026-10", "too_few_businesses"),
        # A, B and C sold, all to resident 6: fewer than k = 3 residents.
        _hidden("2026-11", "too_few_residents"),
    ]
    assert by_staff.status_code == 200
    assert by_staff.json() == body


def test_a_category_of_fewer_than_three_businesses_shows_nothing(
    client: TestClient, street: Street
) -> None:
    response = client.get(_path(street.ids["E"]), params=WINDOW, headers=street.owners["E"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["months"][0] == _month("2026-09", 1, 8_888, 888, 1, 0)
    assert body["category"]["businesses"] == 1
    assert body["category"]["months"] == [
        _hidden(month, "too_few_businesses") for month in ("2026-09", "2026-10", "2026-11")
    ]


def test_only_the_business_s_own_people_read_its_figures(
    client: TestClient, street: Street
) -> None:
    other = client.get(_path(street.ids["B"]), params=WINDOW, headers=street.owners["A"])
    unknown = client.get(_path(uuid.uuid4()), headers=street.staff_of_a)
    resident = client.get(_path(street.ids["A"]), headers=street.resident)
    nobody = client.get(_path(street.ids["A"]))
    backwards = client.get(
        _path(street.ids["A"]),
        params={"from": "2026-11-30", "to": "2026-09-01"},
        headers=street.owners["A"],
    )

    assert (other.status_code, other.json()["error"]) == (404, "merchant_not_found")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "merchant_not_found")
    assert resident.status_code == 403
    assert nobody.status_code == 401
    assert (backwards.status_code, backwards.json()["error"]) == (422, "invalid_window")
