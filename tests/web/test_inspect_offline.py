"""The inspector's scanner with no network, in a real Chromium: the page comes back from its service
worker, a scanned pass is judged on the phone from the offline bundle with the API's own verdict,
and the checks made offline reach the city's record once the network returns."""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Geolocation, Page, expect

from benefits.eligibility.service.programme_files import load_programmes
from kernel.i18n import LANGUAGES
from parking.models import VehicleRelation
from parking.service import inspections, permits, vehicles, zones
from parking.service.inspections import InspectionDesk
from resident_card.accounts.models import Role
from resident_card.city.service import street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import CredentialSigner, b64url, sign_credential
from resident_card.credentials.keys import generate_private_key
from resident_card.credentials.service import Keyring
from tests.conftest import LiveServer
from tests.factories import create_resident
from tests.web.conftest import Account, Browser, goto, make_staff, sign_in, static_file, texts
from toshav.web import pages as toshav_pages

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]

# Inside the Carmel zone and inside the car park in it: the narrower outline wins. (One point per
# browser: Chromium hands the page a recent position again for a while.)
CARMEL_CAR_PARK: Geolocation = {"longitude": 34.9885, "latitude": 32.8005}
AT_SEA: Geolocation = {"longitude": 34.9, "latitude": 32.9}


@dataclass
class Permit:
    token: str
    resident_id: Any
    permit_id: Any


def _permit(db: Any, settings: Any, *, house_number: int, plate: str, now: datetime) -> Permit:
    street = street_by_code(db, "herzl")
    resident = create_resident(db, settings, street=street, house_number=house_number)
    vehicles.register_vehicle(
        db, settings, resident, plate=plate, relation=VehicleRelation.owner, now=now
    )
    view = permits.apply_for_permit(db, settings, Keyring(settings), resident, plate=plate, now=now)
    assert view.parking_pass is not None
    return Permit(view.parking_pass.token, resident.id, view.permit.id)


@pytest.fixture
def passes(live_server: LiveServer) -> dict[str, Any]:
    """Passes of every kind an inspector may be shown, signed by the city's key (or not)."""
    database = live_server.database
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as db:
        zones.import_demo_zones(db)
        load_programmes(db, now=now)
        credentials.rotate_key(db, settings, now=now - timedelta(minutes=1))
        valid = _permit(db, settings, house_number=15, plate="1234567", now=now)
        revoked = _permit(db, settings, house_number=17, plate="7654321", now=now)
        later = _permit(db, settings, house_number=19, plate="11122233", now=now)
        cancelled = permits.cancel_permit(
            db, _resident(db, revoked.resident_id), revoked.permit_id, now=now
        )
        assert cancelled.state == "cancelled"
        keyring = Keyring(settings)
        signer = keyring.signer(db, now=now)
        claims = {"plate": "2223334", "zone": "hadar_west"}
        expired = sign_credential(
            signer,
            {"sub": "expired-pass", **claims},
            audience=settings.parking_pass_audience,
            now=now - timedelta(days=2),
            expires_at=now - timedelta(days=1),
        )
        early = sign_credential(
            signer,
            {"sub": "early-pass", **claims},
            audience=settings.parking_pass_audience,
            now=now + timedelta(hours=1),
            expires_at=now + timedelta(days=2),
        )
        # A pass for the car park inside the Carmel zone (signed as the city would, for the test).
        car_park = sign_credential(
            signer,
            {"sub": "car-park-pass", "plate": "3334445", "zone": "lot_carmel"},
            audience=settings.parking_pass_audience,
            now=now,
            expires_at=now + timedelta(days=30),
        )
        card = keyring.sign(
            db,
            {"sub": "card-ref"},
            audience=settings.card_audience,
            now=now,
            ttl=timedelta(hours=1),
        )
        # Signed by a key the city then retired (once the next key signed).
        credentials.rotate_key(
            db, settings, now=now - timedelta(seconds=40), activate_in=timedelta(0)
        )
        retired = sign_credential(
            Keyring(settings).signer(db, now=now),
            {"sub": "retired-pass", **claims},
            audience=settings.parking_pass_audience,
            now=now,
            expires_at=now + timedelta(days=30),
        )
        credentials.rotate_key(
            db, settings, now=now - timedelta(seconds=20), activate_in=timedelta(0)
        )
        retired_kid = json.loads(base64.urlsafe_b64decode(retired.split(".")[0] + "=="))["kid"]
        credentials.retire_key(db, kid=retired_kid, now=now)
        db.commit()
    stranger = CredentialSigner("stranger", generate_private_key(), "toshav")
    forged = sign_credential(
        stranger,
        {"sub": "forged-pass", **claims},
        audience=settings.parking_pass_audience,
        now=now,
        expires_at=now + timedelta(days=30),
    )
    # A card's QR its holder's phone signed: a key the city never published, with a phone's kid.
    phone = CredentialSigner(
        "d" + b64url(secrets.token_bytes(16)), generate_private_key(), "toshav"
    )
    phone_card = sign_credential(
        phone,
        {"sub": "card-ref"},
        audience=settings.card_audience,
        now=now,
        ttl=timedelta(minutes=1),
    )
    head, body, signature = valid.token.split(".")
    flipped = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]
    # The last character of a signature carries 2 bits and 4 unused ones: set one of those.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    loose = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    kid = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]
    unsigned = b64url(json.dumps({"alg": "none", "kid": kid}).encode())
    critical = b64url(json.dumps({"alg": "ES256", "kid": kid, "crit": ["exp"]}).encode())
    return {
        "valid": valid.token,
        "revoked": revoked.token,
        "later": later,
        "expired": expired,
        "car_park": car_park,
        "early": early,
        "card": card,
        "phone_card": phone_card,
        "retired": retired,
        "forged": forged,
        "tampered_signature": f"{head}.{body}.{flipped}",
        "tampered_claims": f"{head}.{body[:-4]}{'AAAA' if body[-4:] != 'AAAA' else 'BBBB'}.{signature}",
        "garbage": "not a parking pass at all",
        "three_dots": "a.b.c",
        "non_canonical_signature": f"{head}.{body}.{loose}",
        "alg_none": f"{unsigned}.{body}.",
        "critical_header": f"{critical}.{body}.{signature}",
    }


def _resident(db: Any, resident_id: Any) -> Any:
    from resident_card.residents.models import Resident

    return db.get(Resident, resident_id)


def _token(live_server: LiveServer, account: Account) -> str:
    response = httpx.post(
        f"{live_server.base_url}/api/v1/auth/token",
        data={"username": account.username, "password": account.password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _api_verdict(live_server: LiveServer, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{live_server.base_url}/api/v1/parking/inspections",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _ready_for_the_road(page: Page) -> None:
    """The page is kept by its worker and the phone holds a bundle: it may go offline now."""
    expect(page.locator("#offline-state")).to_have_attribute("data-page-offline", "ready")
    expect(page.locator("#bundle-state")).to_have_attribute("data-expired", "false")


def _check(page: Page, token: str, place: dict[str, Any]) -> dict[str, Any]:
    """Check a pasted pass at a place (a zone code, or a GPS point); what the verdict says."""
    page.locator("#clear").click()
    expect(page.locator("#verdict")).to_be_hidden()
    if "zone" in place:
        page.locator("#zone").select_option(value=place["zone"])
    elif "latitude" in place:
        page.context.set_geolocation(
            {"latitude": place["latitude"], "longitude": place["longitude"]}
        )
        page.locator("#zone").select_option(value="@gps")
    else:
        page.locator("#zone").select_option(value="")
    page.locator("#pass").fill(token)
    page.locator("#inspect-form button[type=submit]").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    seen: dict[str, Any] = verdict.evaluate(
        """element => ({
            allowed: element.dataset.allowed === "true",
            reason: element.dataset.reason,
            zone: element.dataset.zone || null,
            valid_until: element.dataset.validUntil || null,
            judged: element.dataset.judged,
        })"""
    )
    return seen


def _same_moment(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def _api_place(place: dict[str, Any]) -> dict[str, Any]:
    if "latitude" in place:
        return {"lat": place["latitude"], "lon": place["longitude"]}
    return dict(place)


def _queued(page: Page) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = page.evaluate(
        "() => import('/static/js/inspect-offline.js').then((device) => device.queued())"
    )
    return items


def test_with_no_network_the_phone_gives_the_apis_verdict_and_the_city_records_it_later(
    browser: Browser, live_server: LiveServer, passes: dict[str, Any]
) -> None:
    english = texts("en")
    officer = make_staff(live_server, Role.inspector)
    api = _token(live_server, officer)
    page = browser.open("/signin", locale="en-GB")
    page.context.grant_permissions(["geolocation"])
    sign_in(page, officer, lands_on="/inspect")
    _ready_for_the_road(page)

    cases: list[tuple[str, dict[str, Any]]] = [
        ("valid", {"zone": "hadar_west"}),
        ("valid", {}),  # no place: judged for its own zone
        ("valid", {"zone": "carmel"}),
        ("car_park", dict(CARMEL_CAR_PARK)),
        ("car_park", {"zone": "carmel"}),
        ("expired", {"zone": "hadar_west"}),
        ("early", {"zone": "hadar_west"}),
        ("revoked", {"zone": "hadar_west"}),
        ("card", {"zone": "hadar_west"}),
        ("phone_card", {"zone": "hadar_west"}),
        ("retired", {"zone": "hadar_west"}),
        ("forged", {"zone": "hadar_west"}),
        ("tampered_signature", {"zone": "hadar_west"}),
        ("tampered_claims", {"zone": "hadar_west"}),
        ("garbage", {"zone": "hadar_west"}),
        ("three_dots", {}),
        ("non_canonical_signature", {"zone": "hadar_west"}),
        ("alg_none", {"zone": "hadar_west"}),
        ("critical_header", {"zone": "hadar_west"}),
    ]
    expected = [
        _api_verdict(live_server, api, {"pass": passes[name], **_api_place(place)})
        for name, place in cases
    ]
    assert [answer["reason"] for answer in expected] == [
        "valid_permit",
        "valid_permit",
        "wrong_zone",
        "valid_permit",
        "wrong_zone",
        "expired",
        "not_yet_valid",
        "revoked",
        "not_a_pass",
        "not_a_pass",
        "retired_key",
        "bad_signature",
        "bad_signature",
        "bad_signature",
        "malformed",
        "malformed",
        "malformed",
        "bad_signature",
        "malformed",
    ]

    page.context.set_offline(True)
    expect(page.locator("#network-state")).to_have_text(english["inspect.network_offline"])
    for (name, place), answer in zip(cases, expected, strict=True):
        seen = _check(page, passes[name], place)
        assert seen["judged"] == "offline", (name, place)
        assert (seen["allowed"], seen["reason"], seen["zone"]) == (
            answer["allowed"],
            answer["reason"],
            answer["zone"],
        ), (name, place)
        assert _same_moment(seen["valid_until"], answer["valid_until"]), name
    expect(page.locator("#verdict-offline")).to_contain_text("Judged on this phone with no network")

    # A typed plate: said plainly, and nothing judged.
    page.locator("#clear").click()
    page.locator("#zone").select_option(value="hadar_west")
    page.locator("#plate").fill("12-345-67")
    page.locator("#inspect-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(english["inspect.offline_plate"])
    expect(page.locator("#verdict")).to_be_hidden()

    # Every check judged offline waits on the phone, and the page says how many.
    queue = page.locator("#queue-state")
    expect(queue).to_have_attribute("data-count", str(len(cases)))
    expect(queue).to_contain_text(f"Checks waiting to be sent to the city: {len(cases)}")

    # The page opens again with no network, from its worker's cache (the worker has no network
    # either), and still judges.
    [worker] = page.context.service_workers
    assert worker.url.endswith("/static/js/inspect-worker.js")
    reach = "() => fetch('/healthz').then(() => 'network', () => 'no network')"
    assert worker.evaluate(reach) == "no network"
    assert page.evaluate(reach) == "no network"
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text(english["inspect.heading"])
    expect(page.locator("#bundle-state")).to_have_attribute("data-expired", "false")
    expect(page.locator("#bundle-state")).to_contain_text("Offline data fetched")
    again = _check(page, passes["valid"], {"zone": "hadar_west"})
    assert (again["judged"], again["reason"]) == ("offline", "valid_permit")
    waiting = _queued(page)
    assert len(waiting) == len(cases) + 1

    # Back online: the queue goes to the city, each check with the moment it was judged.
    page.context.set_offline(False)
    expect(queue).to_have_attribute("data-count", "0")
    expect(queue).to_be_hidden()
    expect(page.locator("#network-state")).to_be_hidden()
    live_server.app.state.runtime.part(InspectionDesk).log.flush()
    admin = _token(live_server, make_staff(live_server, Role.admin))
    records = httpx.get(
        f"{live_server.base_url}/api/v1/parking/inspections",
        params={"limit": 200},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    ).json()
    recorded = {datetime.fromisoformat(row["at"]): row for row in records}
    reasons = [answer["reason"] for answer in expected] + ["valid_permit"]
    for item, reason in zip(waiting, reasons, strict=True):
        row = recorded[datetime.fromisoformat(item["body"]["at"])]
        assert (row["method"], row["reason"]) == ("pass", reason)
    assert browser.errors == []


def test_a_revocation_or_a_new_key_after_the_bundle_counts_offline_once_the_phone_has_asked(
    browser: Browser, live_server: LiveServer, passes: dict[str, Any]
) -> None:
    hebrew = texts("he")
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/signin", locale="he-IL")
    page.context.grant_permissions(["geolocation"])
    sign_in(page, officer, lands_on="/inspect")
    _ready_for_the_road(page)
    later: Permit = passes["later"]

    # At sea, with no network: no zone holds the place, and the page says so.
    page.context.set_offline(True)
    page.context.set_geolocation(AT_SEA)
    page.locator("#zone").select_option(value="@gps")
    page.locator("#pass").fill(later.token)
    page.locator("#inspect-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(hebrew["inspect.offline_outside"])
    expect(page.locator("#verdict")).to_be_hidden()

    # After the bundle: the pass is revoked, and the city's new key signs a pass (in an hour: a key
    # is published minutes before it signs). The phone, offline, knows neither.
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as db:
        permits.cancel_permit(db, _resident(db, later.resident_id), later.permit_id, now=now)
        credentials.rotate_key(db, database.settings, now=now)
        db.commit()
        signer = Keyring(database.settings).signer(db, now=now + timedelta(hours=1))
    newer = sign_credential(
        signer,
        {"sub": "newer-pass", "plate": "5556667", "zone": "hadar_west"},
        audience=database.settings.parking_pass_audience,
        now=now,
        expires_at=now + timedelta(days=30),
    )

    seen = _check(page, later.token, {"zone": "hadar_west"})
    assert (seen["judged"], seen["reason"]) == ("offline", "valid_permit")
    seen = _check(page, newer, {"zone": "hadar_west"})
    assert (seen["judged"], seen["reason"]) == ("offline", "bad_signature")

    # Online again: the phone asks for the revocations since its bundle (?since=) and the keys as
    # published now, without a new bundle; offline again, it knows both.
    state = page.locator("#bundle-state")
    fetched = state.get_attribute("data-fetched-at") or ""
    checked = state.get_attribute("data-checked-at") or ""
    page.context.set_offline(False)
    expect(state).not_to_have_attribute("data-checked-at", checked)
    expect(state).to_have_attribute("data-fetched-at", fetched)
    expect(page.locator("#queue-state")).to_be_hidden()
    page.context.set_offline(True)
    seen = _check(page, later.token, {"zone": "hadar_west"})
    assert (seen["judged"], seen["reason"]) == ("offline", "revoked")
    expect(page.locator("#verdict-reason")).to_have_text(hebrew["inspect.reason.revoked"])
    seen = _check(page, newer, {"zone": "hadar_west"})
    assert (seen["judged"], seen["reason"]) == ("offline", "valid_permit")


def test_the_page_warns_when_the_bundle_is_missing_or_expired_and_minds_a_wrong_phone_clock(
    browser: Browser, live_server: LiveServer, passes: dict[str, Any]
) -> None:
    english = texts("en")
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/signin", locale="en-GB")
    page.context.route("**/api/v1/parking/offline-bundle", lambda route: route.abort())
    sign_in(page, officer, lands_on="/inspect")
    state = page.locator("#bundle-state")
    expect(state).to_have_text(english["inspect.bundle_missing"])
    expect(state).to_have_attribute("data-tone", "error")

    page.context.set_offline(True)
    page.locator("#pass").fill(passes["valid"])
    page.locator("#inspect-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(english["inspect.offline_no_bundle"])
    expect(page.locator("#verdict")).to_be_hidden()

    # A phone whose clock is three hours slow fetches the bundle: it judges by the city's clock.
    page.context.set_offline(False)
    page.context.unroute("**/api/v1/parking/offline-bundle")
    slow = timedelta(hours=3)
    page.clock.install(time=datetime.now(UTC) - slow)
    goto(page, "/inspect")
    page.get_by_role("button", name=english["inspect.bundle_refresh"]).click()
    expect(page.locator("#status")).to_have_text(english["inspect.bundle_refreshed"])
    expect(state).to_have_attribute("data-expired", "false")
    expect(state).to_contain_text("it can judge passes until")

    page.context.set_offline(True)
    judged_at = datetime.now(UTC)
    seen = _check(page, passes["valid"], {"zone": "hadar_west"})
    assert (seen["judged"], seen["reason"]) == ("offline", "valid_permit")
    [waiting] = _queued(page)
    assert abs(datetime.fromisoformat(waiting["body"]["at"]) - judged_at) < timedelta(minutes=1)

    # Thirteen hours on by the city's clock (the bundle lives twelve): expired, said plainly.
    page.clock.set_system_time(datetime.now(UTC) - slow + timedelta(hours=13))
    page.locator("#clear").click()
    page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    expect(state).to_have_attribute("data-expired", "true")
    expect(state).to_contain_text("The offline data expired on")
    page.locator("#pass").fill(passes["valid"])
    page.locator("#inspect-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(english["inspect.offline_stale"])
    expect(page.locator("#verdict")).to_be_hidden()


def test_the_worker_may_control_the_scanner_and_knows_the_servers_age_limit(
    live_server: LiveServer,
) -> None:
    response = httpx.get(f"{live_server.base_url}/static/js/inspect-worker.js")
    assert response.headers["service-worker-allowed"] == "/inspect"
    assert "javascript" in response.headers["content-type"]
    other = httpx.get(f"{live_server.base_url}/static/js/inspect.js")
    assert "service-worker-allowed" not in other.headers

    # Every file the page loads (the layout's, and the modules inspect.js imports, all the way
    # down) is in the worker's shell, or the page would not open again with no network.
    worker = static_file("js/inspect-worker.js").read_text()
    layout = (toshav_pages.TEMPLATES / "layout.html").read_text().replace("{{page}}", "inspect")
    needed = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', layout))
    needed |= {f"/static/i18n/{language}.json" for language in LANGUAGES}
    modules, seen = ["inspect.js"], set()
    while modules:
        name = modules.pop()
        if name in seen:
            continue
        seen.add(name)
        needed.add(f"/static/js/{name}")
        modules += re.findall(r'from "\./([a-z-]+\.js)"', static_file(f"js/{name}").read_text())
    assert {"/static/js/offline-judge.js", "/static/js/page.js"} <= needed
    for path in sorted(needed):
        assert f'"{path}"' in worker, path
    device = static_file("js/inspect-offline.js").read_text()
    days = inspections.MAX_INSPECTION_AGE.days
    assert timedelta(days=days) == inspections.MAX_INSPECTION_AGE
    assert f"MAX_INSPECTION_AGE_DAYS = {days};" in device
