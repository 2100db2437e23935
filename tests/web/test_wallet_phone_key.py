"""The phone's own key for its card, in Chromium: registered when the wallet opens, the QR and the
code under it still rotating with the phone offline, each taken by the till's API and the till page,
and the card's phones listed and removed by the resident, in Hebrew, Arabic and English."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cashback.models import Purchase
from resident_card.accounts.models import Role, User
from resident_card.cards.models import CardDevice
from tests.cashback.conftest import card_holder
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_user
from tests.resident_card.credentials_support import decode_qr_png
from tests.resident_card.devices_support import b64_decode, phone_of, public_jwk
from tests.web.axe import assert_accessible
from tests.web.cashback_support import OpenShop, open_shop
from tests.web.conftest import Account, Browser, choose_language, sign_in, texts

pytestmark = pytest.mark.browser
GROUPED_CODE = re.compile(r"^\d{4} \d{4} \d{4}$")


def holder_at(shop: OpenShop) -> tuple[Account, User]:
    """A resident of the shop's city who signs in to the wallet."""
    database = shop.live_server.database
    with database.session() as session:
        user = create_user(session, database.settings, role=Role.resident)
        card_holder(session, database.settings, user=user)
        session.commit()
    return Account(user.username, DEFAULT_PASSWORD), user


def open_wallet(browser: Browser, account: Account, locale: str = "en-GB") -> Page:
    page = browser.open("/", locale=locale)
    sign_in(page, account, lands_on="/wallet")
    # The phone's own code shows under the QR once its key is registered.
    expect(page.locator("#card-typed-code")).to_have_text(GROUPED_CODE)
    return page


def scanned(page: Page, path: Path) -> str:
    page.locator("#card-qr .qr-frame").screenshot(path=path)
    return decode_qr_png(path.read_bytes())


def header_of(token: str) -> dict[str, str]:
    header: dict[str, str] = json.loads(b64_decode(token.split(".")[0]))
    return header


def at_till(shop: OpenShop, card: str, receipt: str) -> httpx.Response:
    """The till's staff records a purchase with what they scanned or typed (the till is online)."""
    return httpx.post(
        f"{shop.live_server.base_url}/api/v1/cashback/purchases",
        json={"card_token": card, "amount_agorot": 10_000, "receipt": receipt},
        headers={
            **auth_headers(shop.live_server.app, shop.staff),
            "Idempotency-Key": uuid.uuid4().hex,
            "Accept-Language": "en",
        },
        timeout=30,
    )


def test_offline_the_code_keeps_rotating_and_the_till_takes_it(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    shop = open_shop(live_server)
    account, _user = holder_at(shop)
    page = open_wallet(browser, account)
    with live_server.database.session() as session:
        [device] = session.scalars(select(CardDevice)).all()
        assert device.label == "Chrome · Linux"

    page.context.set_offline(True)
    image = page.locator("#card-qr-image")
    before = image.get_attribute("src")
    first = scanned(page, tmp_path / "first.png")
    shown_code = page.locator("#card-typed-code").text_content()
    # At the next 30-second step both change, with no network at all.
    page.wait_for_function(
        "before => { const i = document.getElementById('card-qr-image');"
        " return !i.hidden && i.src !== before; }",
        arg=before,
        timeout=40_000,
    )
    expect(page.locator("#card-typed-code")).not_to_have_text(shown_code or "")
    second = scanned(page, tmp_path / "second.png")
    code = (page.locator("#card-typed-code").text_content() or "").replace(" ", "")
    expect(page.locator("#card-countdown")).to_contain_text("0:")

    assert second != first
    assert header_of(second) == {"alg": "ES256", "kid": device.kid}
    claims = json.loads(b64_decode(second.split(".")[1]))
    assert set(claims) == {"sub", "iat", "exp", "jti"}  # no name, no number
    assert claims["exp"] - claims["iat"] == 45

    bought = at_till(shop, second, "phone-qr")
    assert bought.status_code == 201, bought.text
    again = at_till(shop, second, "phone-qr-again")
    assert again.status_code == 409
    assert again.json()["error"] == "token_replayed"
    typed = at_till(shop, code, "phone-code")
    assert typed.status_code == 201, typed.text
    with live_server.database.session() as session:
        assert len(session.scalars(select(Purchase)).all()) == 2
        assert session.get(CardDevice, device.id).last_used_at is not None  # type: ignore[union-attr]


def test_the_till_page_takes_the_typed_code_in_each_language(
    browser: Browser, live_server: LiveServer
) -> None:
    shop = open_shop(live_server)
    database = live_server.database
    with database.session() as session:
        resident = session.merge(shop.resident)
        phone = phone_of(session, database.settings, resident, shop.opened_at)
        session.commit()
    page = browser.open("/", locale="he-IL")
    sign_in(page, Account(shop.staff.username, DEFAULT_PASSWORD), lands_on="/till")
    for language in ("ar", "en", "he"):
        choose_language(page, language)
        expect(page.locator("#card-hint")).to_have_text(texts(language)["till.card_hint"])
        assert_accessible(page)
    hebrew = texts("he")
    field = page.get_by_label(hebrew["till.card_code"])
    expect(field).to_have_attribute("inputmode", "numeric")

    code = phone.code(datetime.now(UTC))
    field.press_sequentially(f"{code[:4]} {code[4:8]} {code[8:]}")
    page.get_by_label(hebrew["till.amount"]).fill("100")
    page.get_by_label(hebrew["till.receipt"]).fill("R-typed")
    page.get_by_role("button", name=hebrew["till.record"], exact=True).click()

    expect(page.get_by_role("region", name=hebrew["till.cashback_heading"])).to_be_visible()
    with database.session() as session:
        assert [p.receipt for p in session.scalars(select(Purchase)).all()] == ["R-typed"]


def test_the_wallet_lists_the_card_s_phones_and_removes_them(
    browser: Browser, live_server: LiveServer
) -> None:
    shop = open_shop(live_server)
    account, user = holder_at(shop)
    # Another phone of the same resident, registered earlier from an iPhone.
    other = httpx.post(
        f"{live_server.base_url}/api/v1/cards/me/devices",
        json={"public_key": public_jwk(ec.generate_private_key(ec.SECP256R1()))},
        headers={
            **auth_headers(live_server.app, user),
            "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        },
        timeout=30,
    )
    assert other.status_code == 201, other.text
    page = open_wallet(browser, account, locale="he-IL")
    phones = page.locator("#card-device-list > li")
    expect(phones).to_have_count(2)

    for language in ("he", "ar", "en"):
        words = texts(language)
        choose_language(page, language)
        expect(page.locator("#devices-heading")).to_have_text(words["card.devices"])
        this_one = phones.filter(has_text=words["card.device_this"])
        expect(this_one).to_contain_text("Chrome · Linux")
        expect(this_one).to_contain_text(words["card.device_never_used"])
        expect(page.locator("#card-typed")).to_contain_text(words["card.typed_code"])
        assert_accessible(page)

    english = texts("en")
    iphone = phones.filter(has_text="Safari · iPhone")
    iphone.get_by_role("button", name=english["card.device_remove"]).click()
    expect(page.locator("#devices-status")).to_have_text(english["card.device_removed"])
    expect(phones).to_have_count(1)
    with live_server.database.session() as session:
        removed = session.get(CardDevice, uuid.UUID(other.json()["id"]))
        assert removed is not None
        assert removed.revoked_at is not None

    # Removing this very phone: the wallet forgets its key and shows the server's code instead.
    phones.get_by_role("button", name=english["card.device_remove"]).click()
    expect(page.locator("#card-devices")).to_be_hidden()
    expect(page.locator("#card-typed")).to_be_hidden()
    expect(page.locator("#card-qr-image")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.getElementById('card-qr-image');"
        " return !i.hidden && i.src.startsWith('data:image/svg'); }"
    )
    with live_server.database.session() as session:
        assert all(d.revoked_at for d in session.scalars(select(CardDevice)).all())


def test_signing_out_takes_the_phone_s_key_off_the_card_and_out_of_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    shop = open_shop(live_server)
    account, user = holder_at(shop)
    page = open_wallet(browser, account)
    kept = (
        "() => new Promise((resolve) => { const open = indexedDB.open('toshav-card');"
        " open.onsuccess = () => { const all = open.result.transaction('phones')"
        ".objectStore('phones').getAll(); all.onsuccess = () => resolve(all.result.length); }; })"
    )
    assert page.evaluate(kept) == 1

    page.get_by_role("button", name=texts("en")["nav.signout"]).click()
    page.wait_for_url(lambda url: url.endswith("/"))

    # A shared phone's next user finds no key to sign the last resident's card with ...
    assert page.evaluate(kept) == 0
    # ... and the card lists the phone no more: a token it signed is refused at the till.
    with live_server.database.session() as session:
        devices = session.scalars(select(CardDevice)).all()
        assert [device.revoked_at is not None for device in devices] == [True]
    listed = httpx.get(
        f"{live_server.base_url}/api/v1/cards/me/devices",
        headers=auth_headers(live_server.app, user),
        timeout=30,
    )
    assert listed.status_code == 200
    assert listed.json() == []
