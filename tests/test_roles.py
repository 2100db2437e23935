"""Who may call what: every route of the API against every role, and nobody signed in.

The table below is the access policy, written down. A route missing from it fails the test, so a
new route cannot ship without someone deciding who may call it.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.factories import auth_headers, create_user

PUBLIC = "public"  # nobody needs to sign in
# The browser's session cookie is the credential: without the same-site proof, refused (403).
BROWSER_SESSION = "browser session"
SIGNED_IN = frozenset(Role)  # any signed-in user
ADMIN = frozenset({Role.admin})
STAFF_READ = frozenset({Role.admin, Role.auditor})
RESIDENT = frozenset({Role.resident})
VERIFIERS = frozenset({Role.inspector, Role.merchant, Role.admin})
PHOTO_VIEWERS = RESIDENT | VERIFIERS
INSPECTOR = frozenset({Role.inspector})
MERCHANT = frozenset({Role.merchant})
APPLICANT = frozenset({Role.resident, Role.merchant})

POLICY: dict[tuple[str, str], str | frozenset[Role]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): PUBLIC,
    ("POST", "/api/v1/auth/session"): PUBLIC,
    ("POST", "/api/v1/auth/session/refresh"): BROWSER_SESSION,
    ("POST", "/api/v1/auth/session/logout"): BROWSER_SESSION,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): PUBLIC,
    ("GET", "/api/v1/about"): PUBLIC,
    ("GET", "/api/v1/city/neighbourhoods"): PUBLIC,
    ("GET", "/api/v1/city/neighbourhoods.geojson"): PUBLIC,
    ("GET", "/api/v1/city/streets"): PUBLIC,
    ("POST", "/api/v1/residents"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("PATCH", "/api/v1/me"): SIGNED_IN,
    ("POST", "/api/v1/me/password"): SIGNED_IN,
    # Every request a person made (a resident's, a business's owner's), and where it stands.
    ("GET", "/api/v1/requests/me"): SIGNED_IN,
    ("GET", "/api/v1/me/export"): SIGNED_IN,
    ("POST", "/api/v1/me/erasure"): SIGNED_IN,
    # Every account has an inbox: residents, and the staff of a business told about it.
    ("GET", "/api/v1/messages/me"): SIGNED_IN,
    ("POST", "/api/v1/messages/me/{message_id}/read"): SIGNED_IN,
    ("GET", "/api/v1/messages/me/preferences"): SIGNED_IN,
    ("PUT", "/api/v1/messages/me/preferences"): SIGNED_IN,
    ("GET", "/api/v1/notices"): PUBLIC,
    ("GET", "/api/v1/cashback/merchants/{merchant_id}/figures"): MERCHANT,
    ("GET", "/api/v1/admin/notices"): STAFF_READ,
    ("POST", "/api/v1/admin/notices"): ADMIN,
    ("POST", "/api/v1/admin/notices/{notice_id}/withdraw"): ADMIN,
    # A resident's own data (and their wards'): residents only.
    ("GET", "/api/v1/residents/me"): RESIDENT,
    ("GET", "/api/v1/residents/me/wards"): RESIDENT,
    ("GET", "/api/v1/residents/me/contact"): RESIDENT,
    ("PATCH", "/api/v1/residents/me/contact"): RESIDENT,
    ("POST", "/api/v1/residents/me/contact/confirm-email"): RESIDENT,
    ("POST", "/api/v1/residents/me/wards"): RESIDENT,
    ("GET", "/api/v1/residents/{resident_id}"): RESIDENT,
    ("GET", "/api/v1/benefits/me"): RESIDENT,
    ("GET", "/api/v1/benefits/me/decisions"): RESIDENT,
    ("GET", "/api/v1/benefits/me/decisions/{decision_id}"): RESIDENT,
    ("POST", "/api/v1/appeals"): RESIDENT,
    ("GET", "/api/v1/appeals/me"): RESIDENT,
    ("GET", "/api/v1/ledger/me/accounts"): RESIDENT,
    ("GET", "/api/v1/ledger/me/accounts/{account_id}/statement"): RESIDENT,
    # The city clerk's desk: admins change, auditors read.
    ("GET", "/api/v1/admin/audit"): STAFF_READ,
    ("GET", "/api/v1/admin/appeals"): STAFF_READ,
    ("POST", "/api/v1/admin/appeals/{appeal_id}/decide"): ADMIN,
    ("GET", "/api/v1/admin/erasures"): STAFF_READ,
    ("POST", "/api/v1/admin/erasures/{erasure_id}/decide"): ADMIN,
    ("GET", "/api/v1/admin/jobs"): STAFF_READ,
    ("GET", "/api/v1/admin/decisions"): STAFF_READ,
    ("GET", "/api/v1/admin/decisions/{decision_id}"): STAFF_READ,
    ("GET", "/api/v1/admin/ledger/accounts/{account_id}"): STAFF_READ,
    ("GET", "/api/v1/admin/ledger/accounts/{account_id}/statement"): STAFF_READ,
    ("POST", "/api/v1/admin/ledger/adjustments"): ADMIN,
    ("GET", "/api/v1/admin/ledger/transactions/{transaction_id}"): STAFF_READ,
    ("POST", "/api/v1/admin/ledger/transactions/{transaction_id}/reverse"): ADMIN,
    ("GET", "/api/v1/admin/programmes"): STAFF_READ,
    ("POST", "/api/v1/admin/programmes"): ADMIN,
    ("GET", "/api/v1/admin/programmes/{code}"): STAFF_READ,
    ("POST", "/api/v1/admin/programmes/{code}/retire"): ADMIN,
    ("GET", "/api/v1/admin/programmes/{code}/rules"): STAFF_READ,
    ("POST", "/api/v1/admin/programmes/{code}/rules"): ADMIN,
    ("GET", "/api/v1/admin/programmes/{code}/rules/{version}"): STAFF_READ,
    ("POST", "/api/v1/admin/programmes/{code}/rules/{version}/retire"): ADMIN,
    ("POST", "/api/v1/admin/rules/evaluate"): STAFF_READ,
    ("GET", "/api/v1/admin/residents"): STAFF_READ,
    # A look-up by ID number is a clerk's act, written to the audit log: auditors do not make them.
    ("POST", "/api/v1/admin/residents/lookup"): ADMIN,
    ("GET", "/api/v1/admin/residents/{resident_id}"): STAFF_READ,
    ("PUT", "/api/v1/admin/residents/{resident_id}/disability"): ADMIN,
    ("POST", "/api/v1/admin/residents/{resident_id}/status"): ADMIN,
    ("POST", "/api/v1/admin/residents/{resident_id}/address"): ADMIN,
    ("POST", "/api/v1/admin/residents/{resident_id}/claim"): ADMIN,
    ("GET", "/api/v1/admin/users"): STAFF_READ,
    ("POST", "/api/v1/admin/users"): ADMIN,
    ("GET", "/api/v1/admin/users/{user_id}"): STAFF_READ,
    # The card and its credentials.
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    # figures: the open data
    ("GET", "/api/v1/open-data/"): PUBLIC,
    ("GET", "/api/v1/open-data/neighbourhoods/{code}"): PUBLIC,
    ("GET", "/api/v1/open-data/{resource}.csv"): PUBLIC,
    ("GET", "/api/v1/open-data/{resource}.json"): PUBLIC,
    ("GET", "/api/v1/credentials/keys"): STAFF_READ,
    ("GET", "/api/v1/cards/me"): RESIDENT,
    ("GET", "/api/v1/cards/me/wards"): RESIDENT,
    ("POST", "/api/v1/cards/me/token"): RESIDENT,
    ("GET", "/api/v1/cards/me/qr.png"): RESIDENT,
    ("GET", "/api/v1/cards/me/qr.svg"): RESIDENT,
    ("PUT", "/api/v1/cards/me/photo"): RESIDENT,
    ("DELETE", "/api/v1/cards/me/photo"): RESIDENT,
    ("POST", "/api/v1/cards/me/revoke"): RESIDENT,
    ("POST", "/api/v1/cards/me/devices"): RESIDENT,
    ("GET", "/api/v1/cards/me/devices"): RESIDENT,
    ("DELETE", "/api/v1/cards/me/devices/{device_id}"): RESIDENT,
    ("POST", "/api/v1/cards/verify"): VERIFIERS,
    ("GET", "/api/v1/cards"): STAFF_READ,
    ("POST", "/api/v1/cards/{reference}/suspend"): ADMIN,
    ("POST", "/api/v1/cards/{reference}/reinstate"): ADMIN,
    ("GET", "/api/v1/cards/{reference}"): RESIDENT,
    ("POST", "/api/v1/cards/{reference}/token"): RESIDENT,
    ("GET", "/api/v1/cards/{reference}/qr.png"): RESIDENT,
    ("GET", "/api/v1/cards/{reference}/qr.svg"): RESIDENT,
    ("PUT", "/api/v1/cards/{reference}/photo"): RESIDENT,
    ("DELETE", "/api/v1/cards/{reference}/photo"): RESIDENT,
    ("GET", "/api/v1/cards/{reference}/photo"): PHOTO_VIEWERS,
    ("POST", "/api/v1/cards/{reference}/revoke"): RESIDENT | ADMIN,
    ("POST", "/api/v1/admin/users/{user_id}/disable"): ADMIN,
    ("POST", "/api/v1/admin/users/{user_id}/enable"): ADMIN,
    # Parking: the zones and the revocation list are public; a resident's own vehicles, permits,
    # passes and parking time; the inspector's checks and offline bundle; the record for staff.
    ("GET", "/api/v1/parking/zones"): PUBLIC,
    ("GET", "/api/v1/parking/zones/at"): PUBLIC,
    ("GET", "/api/v1/parking/zones/{code}"): PUBLIC,
    ("GET", "/api/v1/parking/revocations"): PUBLIC,
    ("GET", "/api/v1/parking/me"): RESIDENT,
    ("POST", "/api/v1/parking/me/moved"): RESIDENT,
    ("GET", "/api/v1/parking/me/minutes"): RESIDENT,
    ("POST", "/api/v1/parking/vehicles"): RESIDENT,
    ("GET", "/api/v1/parking/vehicles/me"): RESIDENT,
    ("DELETE", "/api/v1/parking/vehicles/{vehicle_id}"): RESIDENT,
    ("POST", "/api/v1/parking/permits"): RESIDENT,
    ("GET", "/api/v1/parking/permits/me"): RESIDENT,
    ("GET", "/api/v1/parking/permits/{permit_id}"): RESIDENT,
    ("POST", "/api/v1/parking/permits/{permit_id}/cancel"): RESIDENT,
    ("GET", "/api/v1/parking/permits/{permit_id}/pass.png"): RESIDENT,
    ("GET", "/api/v1/parking/permits/{permit_id}/pass.svg"): RESIDENT,
    ("GET", "/api/v1/parking/permits/{permit_id}/pass.pdf"): RESIDENT,
    ("POST", "/api/v1/parking/sessions"): RESIDENT,
    ("POST", "/api/v1/parking/sessions/{session_id}/stop"): RESIDENT,
    ("GET", "/api/v1/parking/sessions/me"): RESIDENT,
    ("POST", "/api/v1/parking/inspections"): INSPECTOR,
    ("GET", "/api/v1/parking/inspections"): STAFF_READ,
    ("GET", "/api/v1/parking/offline-bundle"): INSPECTOR,
    # Cashback: a business's staff at the till, residents' own cashback, the clerks.
    # A business applies with its owner's login, a resident's too; without one, a login is made.
    ("POST", "/api/v1/cashback/merchants"): APPLICANT,
    ("POST", "/api/v1/cashback/applications"): PUBLIC,
    ("GET", "/api/v1/cashback/businesses"): PUBLIC,
    ("GET", "/api/v1/cashback/merchants/me"): APPLICANT,
    # The owner manages the staff (which business is theirs is the service's question).
    ("GET", "/api/v1/cashback/merchants/{merchant_id}/staff"): MERCHANT,
    ("POST", "/api/v1/cashback/merchants/{merchant_id}/staff"): MERCHANT,
    ("DELETE", "/api/v1/cashback/merchants/{merchant_id}/staff/{user_id}"): MERCHANT,
    ("GET", "/api/v1/cashback/merchants/me/purchases"): MERCHANT,
    ("GET", "/api/v1/cashback/merchants/me/statements"): MERCHANT,
    ("GET", "/api/v1/cashback/merchants/me/statements/{period}"): MERCHANT,
    ("GET", "/api/v1/cashback/merchants/me/statements/{period}/csv"): MERCHANT,
    ("GET", "/api/v1/cashback/merchants/me/statements/{period}/pdf"): MERCHANT,
    ("POST", "/api/v1/cashback/purchases"): MERCHANT,
    ("GET", "/api/v1/cashback/purchases/{purchase_id}"): MERCHANT,
    ("POST", "/api/v1/cashback/purchases/{purchase_id}/refunds"): MERCHANT,
    ("POST", "/api/v1/cashback/redemptions"): MERCHANT,
    ("POST", "/api/v1/cashback/balance"): MERCHANT,
    ("GET", "/api/v1/cashback/me"): RESIDENT,
    ("GET", "/api/v1/cashback/me/statement"): RESIDENT,
    ("GET", "/api/v1/admin/cashback/merchants"): STAFF_READ,
    ("POST", "/api/v1/admin/cashback/merchants"): ADMIN,
    ("GET", "/api/v1/admin/cashback/merchants/{merchant_id}"): STAFF_READ,
    ("POST", "/api/v1/admin/cashback/merchants/{merchant_id}/approve"): ADMIN,
    ("POST", "/api/v1/admin/cashback/merchants/{merchant_id}/suspend"): ADMIN,
    ("POST", "/api/v1/admin/cashback/merchants/{merchant_id}/reject"): ADMIN,
    ("POST", "/api/v1/admin/cashback/merchants/{merchant_id}/staff"): ADMIN,
    ("DELETE", "/api/v1/admin/cashback/merchants/{merchant_id}/staff/{user_id}"): ADMIN,
    ("GET", "/api/v1/admin/cashback/campaigns"): STAFF_READ,
    ("POST", "/api/v1/admin/cashback/campaigns"): ADMIN,
    ("GET", "/api/v1/admin/cashback/campaigns/{campaign_id}"): STAFF_READ,
    ("POST", "/api/v1/admin/cashback/campaigns/{campaign_id}/top-ups"): ADMIN,
    ("PATCH", "/api/v1/admin/cashback/campaigns/{campaign_id}"): ADMIN,
    ("POST", "/api/v1/admin/cashback/campaigns/{campaign_id}/pause"): ADMIN,
    ("POST", "/api/v1/admin/cashback/campaigns/{campaign_id}/resume"): ADMIN,
    ("POST", "/api/v1/admin/cashback/campaigns/{campaign_id}/end"): ADMIN,
    ("GET", "/api/v1/admin/cashback/flags"): STAFF_READ,
    ("POST", "/api/v1/admin/cashback/flags/{flag_id}/resolve"): ADMIN,
    # --- statistics -------------------------------------------------------------------------------
    ("GET", "/api/v1/stats/uptake"): STAFF_READ,
    ("GET", "/api/v1/stats/inspections"): STAFF_READ,
    ("GET", "/api/v1/stats/permits"): STAFF_READ,
    ("GET", "/api/v1/stats/campaigns"): STAFF_READ,
    ("GET", "/api/v1/stats/purchases"): STAFF_READ,
    ("GET", "/api/v1/stats/businesses"): STAFF_READ,
    ("GET", "/api/v1/stats/flags"): STAFF_READ,
}

# Values for path parameters: well-formed, naming nothing that exists.
PATH_VALUES = {
    "code": "no_such_programme",
    "version": "1",
    "reference": "AAAAAAAAAAAA",
    "period": "2026-01",
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    document = app.openapi()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def _fill(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda match: PATH_VALUES.get(match.group(1), str(uuid.uuid4())), path
    )


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
    status: int = client.request(method, _fill(path), headers=headers, json=body).status_code
    return status


def test_every_route_has_a_policy(app: FastAPI) -> None:
    routes = _routes(app)
    assert routes - POLICY.keys() == set(), "routes with no access policy"
    assert POLICY.keys() - routes == set(), "policies for routes that do not exist"


def test_nobody_signed_in_reaches_only_public_routes(client: TestClient) -> None:
    wrong = []
    for (method, path), allowed in sorted(POLICY.items()):
        status = _call(client, method, path, {})
        if allowed == BROWSER_SESSION:
            if status != 403:
                wrong.append(f"{method} {path}: a session route, answered {status}")
            continue
        if allowed == PUBLIC and status in (401, 403):
            wrong.append(f"{method} {path}: public, answered {status}")
        if allowed != PUBLIC and status != 401:
            wrong.append(f"{method} {path}: needs sign-in, answered {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_its_routes(
    role: Role, app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    headers = auth_headers(app, create_user(session, settings, role=role))
    wrong = []
    for (method, path), allowed in sorted(POLICY.items()):
        if allowed in (PUBLIC, BROWSER_SESSION):
            continue
        status = _call(client, method, path, headers)
        assert status < 500, f"{method} {path} as {role}: {status}"
        if role in allowed and status in (401, 403):
            wrong.append(f"{method} {path}: {role} is allowed, answered {status}")
        if role not in allowed and status != 403:
            wrong.append(f"{method} {path}: {role} is not allowed, answered {status}")
    assert not wrong, "\n".join(wrong)
