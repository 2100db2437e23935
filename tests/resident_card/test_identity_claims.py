"""An enrolment with an identifier another record holds: answered exactly as a new enrolment,
nothing of the holder's linked, the holder told, and a clerk decides the claim."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.notices import Category, Notice
from kernel.schedule import JobContext, every_minutes
from kernel.settings import Settings
from messages.service import inbox
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.audit.models import AuditEntry
from resident_card.manifest import MANIFEST
from resident_card.residents.models import Guardianship, IdentityClaim, Resident
from resident_card.residents.tasks import TELL_HOLDERS
from tests.factories import auth_headers, create_resident, create_user, israeli_id
from tests.resident_card.residents_support import STRONG_PASSWORD, enrolment_body, with_city

HOLDER_NUMBER = israeli_id(7_001)
# Any day: these inboxes hold no notices of the city.
TODAY = date(2026, 12, 1)


@pytest.fixture
def holder(session: Session, settings: Settings) -> Resident:
    """A verified resident with an account, holding HOLDER_NUMBER."""
    with_city(session)
    return create_resident(
        session, settings, user=True, identifier=HOLDER_NUMBER, email="holder@example.org"
    )


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


def _shape(value: Any) -> Any:
    """The keys of an answer, all the way down, and the type of each value that is not null."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _enrol(client: TestClient, username: str, number: str, **overrides: Any) -> Any:
    return client.post(
        "/api/v1/residents",
        json=enrolment_body(
            username=username,
            identifier={"kind": "israeli_id", "value": number},
            # An address of its own, so neither household holds the other.
            street_code="hanevim",
            house_number=21,
            apartment=username[-1],
            **overrides,
        ),
    )


def _signed_in(client: TestClient, username: str) -> dict[str, str]:
    """Signed in with the enrolment's own password: its hash was made as for any account."""
    answer = client.post(
        "/api/v1/auth/token", data={"username": username, "password": STRONG_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _claim(session: Session, claimant_id: str) -> IdentityClaim:
    claim = session.scalar(
        select(IdentityClaim).where(IdentityClaim.claimant_id == uuid.UUID(claimant_id))
    )
    assert claim is not None
    return claim


def test_a_registered_identifier_is_answered_as_a_new_one(
    client: TestClient, session: Session, holder: Resident
) -> None:
    before = (holder.user_id, holder.email, holder.phone, holder.status, holder.household_id)

    new = _enrol(client, "new.one1", israeli_id(7_002))
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)

    assert new.status_code == claiming.status_code == 201, claiming.text
    assert _shape(claiming.json()) == _shape(new.json())
    for body in (new.json(), claiming.json()):
        assert body["status"] == "pending"
        assert body["household"]["size"] == 1
        assert [(c["from_status"], c["to_status"]) for c in body["status_history"]] == [
            (None, "pending")
        ]
    assert claiming.json()["identifier"] == {
        "kind": "israeli_id",
        "masked": f"•••••• {HOLDER_NUMBER[-3:]}",
    }
    # Nothing of the holder's is linked to the claim's account, nor changed.
    session.expire_all()
    assert (holder.user_id, holder.email, holder.phone, holder.status, holder.household_id) == (
        before
    )
    assert session.scalars(select(Guardianship)).all() == []
    assert claiming.json()["id"] != str(holder.id)
    # Both accounts sign in, and each reads a pending record of its own and the same timeline.
    seen = {}
    for username in ("new.one1", "claim.one2"):
        headers = _signed_in(client, username)
        mine = client.get("/api/v1/residents/me", headers=headers).json()
        assert mine["status"] == "pending"
        assert mine["email"] == "dana@example.org"
        requests = client.get("/api/v1/requests/me", headers=headers).json()
        seen[username] = [
            (r["kind"], r["status"], [step["status"] for step in r["timeline"]]) for r in requests
        ]
        assert str(holder.id) not in str(requests)
    assert (
        seen["claim.one2"]
        == seen["new.one1"]
        == [("enrolment", "waiting", ["submitted", "waiting"])]
    )


def test_the_identifier_is_not_kept_in_clear(
    client: TestClient, session: Session, holder: Resident
) -> None:
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)

    claimant = session.get(Resident, uuid.UUID(claiming.json()["id"]))
    assert claimant is not None
    claim = _claim(session, claiming.json()["id"])
    kept = [*vars(claimant).values(), *vars(claim).values()]
    assert not any(
        HOLDER_NUMBER in str(value) or HOLDER_NUMBER.lstrip("0") in str(value) for value in kept
    )
    assert claimant.identifier_hash != holder.identifier_hash
    assert claimant.identifier_hint == HOLDER_NUMBER[-3:]


def _tell_holders(session: Session, settings: Settings, clock: SetClock) -> int:
    now = clock.now()
    key, start = every_minutes(1).period(now)
    return TELL_HOLDERS.run(
        JobContext(
            settings=settings,
            now=now,
            period_key=key,
            period_start=start,
            transactions=lambda work: work(session),
        )
    )


def test_the_holder_is_told(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    holder: Resident,
    notices_posted: list[Notice],
) -> None:
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)
    assert claiming.status_code == 201
    # Told by the worker, so that the answer took no longer than a new enrolment's.
    assert notices_posted == []
    assert TELL_HOLDERS in MANIFEST.jobs

    assert _tell_holders(session, settings, clock) == 1
    assert _tell_holders(session, settings, clock) == 0

    assert holder.user_id is not None
    [told] = notices_posted
    assert told.account_id == holder.user_id
    assert told.category == Category.security
    assert set(told.title) == set(told.body) == {"he", "ar", "en"}
    assert "Dana Levi" in told.body["en"]
    assert "106" in told.body["he"]
    assert HOLDER_NUMBER not in str(told)
    [message] = inbox.inbox(session, holder.user_id, today=TODAY, limit=10, offset=0).items
    assert message.title["en"] == "An enrolment gave your ID number"
    assert message.title["ar"] == "طلب تسجيل برقم هويتك"
    # The claim's own account is told nothing of it.
    claimant = UserRepository(session).by_username("claim.one2")
    assert claimant is not None
    assert inbox.inbox(session, claimant.id, today=TODAY, limit=10, offset=0).items == []


def test_the_clerk_sees_the_claim(
    client: TestClient, app: FastAPI, session: Session, holder: Resident, admin: User
) -> None:
    new = _enrol(client, "new.one1", israeli_id(7_002))
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)
    headers = auth_headers(app, admin)

    listed = client.get("/api/v1/admin/residents?status=pending", headers=headers).json()
    detail = client.get(f"/api/v1/admin/residents/{claiming.json()['id']}", headers=headers)
    plain = client.get(f"/api/v1/admin/residents/{new.json()['id']}", headers=headers)

    claims = {item["id"]: item["claim"] for item in listed["items"]}
    assert claims == {new.json()["id"]: None, claiming.json()["id"]: "open"}
    assert detail.json()["claim"] == {
        "holder_id": str(holder.id),
        "state": "open",
        "matches_record": False,
        "decided_at": None,
        "reason": None,
    }
    assert plain.json()["claim"] is None
    # Its status changes only through the claim's decision.
    verify = client.post(
        f"/api/v1/admin/residents/{claiming.json()['id']}/status",
        json={"status": "verified", "reason": "looks fine"},
        headers=headers,
    )
    assert verify.status_code == 409
    assert verify.json()["error"] == "claim_open"
    nothing = client.post(
        f"/api/v1/admin/residents/{new.json()['id']}/claim",
        json={"decision": "accepted", "reason": "no claim"},
        headers=headers,
    )
    assert nothing.status_code == 409
    assert nothing.json()["error"] == "no_open_claim"


def test_a_refused_claim_is_a_refused_enrolment(
    client: TestClient,
    app: FastAPI,
    session: Session,
    holder: Resident,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)
    claimant = UserRepository(session).by_username("claim.one2")
    assert claimant is not None

    refused = client.post(
        f"/api/v1/admin/residents/{claiming.json()['id']}/claim",
        json={"decision": "refused", "reason": "The ID number is another resident's."},
        headers=auth_headers(app, admin),
    )

    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "rejected"
    assert refused.json()["claim"]["state"] == "refused"
    assert refused.json()["user_id"] == str(claimant.id)
    [told] = [n for n in notices_posted if n.account_id == claimant.id]
    assert told.title["en"] == "Residency not verified"
    session.expire_all()
    assert holder.user_id != claimant.id
    assert holder.status == "verified"
    requests = client.get("/api/v1/requests/me", headers=_signed_in(client, "claim.one2")).json()
    assert [step["status"] for step in requests[0]["timeline"]] == [
        "submitted",
        "waiting",
        "refused",
    ]
    again = client.post(
        f"/api/v1/admin/residents/{claiming.json()['id']}/claim",
        json={"decision": "accepted", "reason": "changed my mind"},
        headers=auth_headers(app, admin),
    )
    assert again.status_code == 409


def test_an_accepted_claim_gives_the_record_to_the_claims_account(
    client: TestClient,
    app: FastAPI,
    session: Session,
    holder: Resident,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    former = holder.user_id
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER, email="found@example.org")
    claimant = UserRepository(session).by_username("claim.one2")
    assert claimant is not None
    assert former is not None

    accepted = client.post(
        f"/api/v1/admin/residents/{claiming.json()['id']}/claim",
        json={"decision": "accepted", "reason": "Lost account: identity checked at the desk."},
        headers=auth_headers(app, admin),
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "rejected"
    assert accepted.json()["user_id"] is None
    assert accepted.json()["claim"]["state"] == "accepted"
    mine = client.get("/api/v1/residents/me", headers=_signed_in(client, "claim.one2")).json()
    assert mine["id"] == str(holder.id)
    assert mine["status"] == "verified"
    assert mine["email"] == "found@example.org"
    session.expire_all()
    old = session.get(User, former)
    assert old is not None
    assert old.is_active is False
    linked, moved = notices_posted[-2:]
    assert (linked.account_id, linked.title["en"]) == (claimant.id, "Your record is linked")
    assert (moved.account_id, moved.category) == (former, Category.security)
    assert "another account" in moved.body["en"]
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.claim"))
    assert entry.subject_id == str(holder.id)
    assert entry.actor_id == admin.id


def test_only_an_admin_decides(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, holder: Resident
) -> None:
    claiming = _enrol(client, "claim.one2", HOLDER_NUMBER)
    auditor = create_user(session, settings, role=Role.auditor)

    answer = client.post(
        f"/api/v1/admin/residents/{claiming.json()['id']}/claim",
        json={"decision": "accepted", "reason": "x"},
        headers=auth_headers(app, auditor),
    )

    assert answer.status_code == 403
    assert _claim(session, claiming.json()["id"]).state == "open"
