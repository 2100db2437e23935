"""The wallet's card, benefits and balances, as a resident uses them at a till or beside an inspector.

The QR code is read back from a screenshot of the page, as a scanner would read the phone's screen,
and its token is checked with an independent JOSE library against the published JWKS alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, ViewportSize, expect
from sqlalchemy import select

from benefits.eligibility.service.allowances import grant_allowance
from benefits.eligibility.service.programme_files import load_programmes
from kernel.i18n import LANGUAGES
from resident_card.accounts.models import Role
from resident_card.cards import service as cards
from resident_card.cards.models import Card, CardStatus
from resident_card.credentials import service as credentials
from resident_card.residents.models import Guardianship, ResidencyStatus
from resident_card.residents.service import records as residents
from resident_card.residents.service import residency
from tests.conftest import FreshDatabase, LiveServer
from tests.factories import DEFAULT_PASSWORD, create_resident, create_user
from tests.resident_card.credentials_support import decode_qr_png, joserfc_claims
from tests.web.conftest import (
    PHONE,
    Account,
    Browser,
    choose_language,
    sign_in,
    texts,
    wait_for_held,
)

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("Asia/Jerusalem")
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
TAP = 44  # px: the smallest target a finger should have to hit (WCAG 2.5.5, IS 5568)


@pytest.fixture
def card_token_ttl() -> int:
    """The card token's lifetime in the live app; a test may parametrize a shorter one."""
    return 120


@pytest.fixture
def fresh_database(fresh_database: FreshDatabase, card_token_ttl: int) -> FreshDatabase:
    fresh_database.settings = fresh_database.settings.model_copy(
        update={"card_token_ttl_seconds": card_token_ttl}
    )
    return fresh_database


@dataclass(frozen=True)
class Holder:
    account: Account
    resident_id: uuid.UUID
    user_id: uuid.UUID


def make_holder(live_server: LiveServer, **overrides: Any) -> Holder:
    """A verified resident who can sign in, with a signing key in place for their card's codes."""
    settings = live_server.database.settings
    with live_server.database.session() as session:
        credentials.ensure_signing_key(session, settings, now=datetime.now(UTC))
        user = create_user(session, settings, role=Role.resident)
        resident = create_resident(session, settings, user=user, **overrides)
        session.commit()
        return Holder(Account(user.username, DEFAULT_PASSWORD), resident.id, user.id)


def current_card(live_server: LiveServer, resident_id: uuid.UUID) -> Card:
    """The resident's card as the database holds it now (issued on first need, as the API does)."""
    with live_server.database.session() as session:
        resident = residents.get_resident(session, resident_id)
        assert resident is not None
        card = cards.current_card(session, live_server.database.settings, resident, now=_now())
        assert card is not None
        session.commit()
        return card


def _now() -> datetime:
    return datetime.now(UTC)


# A browser with no IndexedDB (some private modes): the phone keeps no key of its own, and the
# wallet shows the city-signed code the server makes, as these tests check.
NO_PHONE_KEYS = (
    "Object.defineProperty(window, 'indexedDB', {value: undefined, configurable: true});"
)


def open_wallet(
    browser: Browser,
    holder: Holder,
    *,
    locale: str = "en-GB",
    phone_keys: bool = False,
    **kw: Any,
) -> Page:
    page = browser.open("/", locale=locale, **kw)
    if not phone_keys:
        page.context.add_init_script(NO_PHONE_KEYS)
    sign_in(page, holder.account, lands_on="/wallet")
    expect(page.locator("section#card")).to_be_visible()
    return page


def jwks(live_server: LiveServer) -> dict[str, Any]:
    answer = httpx.get(f"{live_server.base_url}/.well-known/jwks.json", timeout=10)
    assert answer.status_code == 200
    published: dict[str, Any] = answer.json()
    return published


def scan(area: Locator, path: Path) -> str:
    """Screenshot a part of the page to a PNG file and decode the QR code from that file."""
    area.screenshot(path=path)
    return decode_qr_png(path.read_bytes())


def digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def wait_for_new_code(page: Page, image: str, before: str | None, timeout: float = 30_000) -> str:
    """Wait until the code's image is another one (a new token), and give its source."""
    page.wait_for_function(
        "([selector, before]) => { const i = document.querySelector(selector);"
        " return i && !i.hidden && i.src && i.src !== before; }",
        arg=[image, before],
        timeout=timeout,
    )
    source: str = page.locator(image).get_attribute("src") or ""
    return source


# --- the card and its code ------------------------------------------------------------------------


def test_the_card_shows_its_holder_number_status_and_a_code_that_verifies(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    holder = make_holder(live_server, first_name="Dana", last_name="Levi")
    page = open_wallet(browser, holder)
    card = current_card(live_server, holder.resident_id)

    section = page.locator("section#card")
    expect(section.get_by_role("heading", name=english["wallet.card"])).to_be_visible()
    expect(page.locator("#card-name")).to_have_text("Dana Levi")
    expect(page.locator("#card-number")).to_have_text(
        f"{card.number[:3]} {card.number[3:6]} {card.number[6:]}"
    )
    expect(page.locator("#card-state")).to_have_text(english["card.state.active"])
    expect(page.locator("#card-explain")).to_have_text(english["card.explain.active"])
    expires = card.expires_on
    expect(page.locator("#card-expires")).to_have_text(
        f"{expires.day} {expires.strftime('%B')} {expires.year}"
    )
    code = page.get_by_role("img", name=english["card.qr_alt"])
    expect(code).to_be_visible()
    expect(page.locator("#card-countdown")).to_have_text(
        english["card.renews_in"].replace("{time}", "1:40")
    )

    first = scan(section, tmp_path / "card.png")
    claims = joserfc_claims(first, jwks(live_server), audience="card", now=_now())
    assert claims["sub"] == card.reference
    assert claims["exp"] - claims["iat"] == 120
    for private in ("Dana", "Levi", card.number):
        assert private not in first  # the code carries no personal data

    # "New code" shows another token at once.
    shown = page.locator("#card-qr-image").get_attribute("src")
    page.get_by_role("button", name=english["card.new_code"]).click()
    shown = wait_for_new_code(page, "#card-qr-image", shown)
    second = scan(section, tmp_path / "card-new.png")
    assert second != first
    assert joserfc_claims(second, jwks(live_server), audience="card", now=_now())["sub"] == (
        card.reference
    )

    # Coming back to the page (the phone taken out of a pocket) renews the code at once.
    page.evaluate(
        "() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    wait_for_new_code(page, "#card-qr-image", shown)
    third = scan(section, tmp_path / "card-again.png")
    assert third not in (first, second)


@pytest.mark.parametrize("card_token_ttl", [15])
def test_the_code_is_renewed_before_its_token_expires(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    holder = make_holder(live_server)
    page = open_wallet(browser, holder)
    section = page.locator("section#card")
    shown = page.locator("#card-qr-image")
    expect(shown).to_be_visible()
    before = shown.get_attribute("src")
    first = scan(section, tmp_path / "before.png")
    # A 15 s token is renewed 5 s before it expires: the countdown starts at 0:10.
    expect(page.locator("#card-countdown")).to_contain_text("0:1")

    wait_for_new_code(page, "#card-qr-image", before, timeout=14_000)
    after = scan(section, tmp_path / "after.png")

    assert after != first
    claims = joserfc_claims(after, jwks(live_server), audience="card", now=_now())
    assert claims["exp"] - claims["iat"] == 15
    assert claims["sub"] == current_card(live_server, holder.resident_id).reference


def test_the_code_full_screen_on_white(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    holder = make_holder(live_server, first_name="Omar", last_name="Haddad")
    page = open_wallet(browser, holder)
    opener = page.get_by_role("button", name=english["card.full_screen"])
    opener.click()

    dialog = page.get_by_role("dialog", name="Omar Haddad")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name=english["card.close"])).to_be_focused()
    image = dialog.get_by_role("img", name=english["card.qr_alt"])
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert box is not None
    assert box["width"] >= 300  # most of a 390 px screen
    background = dialog.evaluate("d => getComputedStyle(d).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    token = scan(dialog, tmp_path / "full-screen.png")
    reference = current_card(live_server, holder.resident_id).reference
    assert joserfc_claims(token, jwks(live_server), audience="card", now=_now())["sub"] == reference

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_a_suspended_resident_sees_no_code_and_why(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    holder = make_holder(live_server)
    current_card(live_server, holder.resident_id)  # issued while residency was verified
    settings = live_server.database.settings
    with live_server.database.session() as session:
        clerk = create_user(session, settings, role=Role.admin)
        residency.change_status(
            session,
            settings,
            resident_id=holder.resident_id,
            status=ResidencyStatus.suspended,
            reason="Arnona account under review",
            actor_id=clerk.id,
            now=_now(),
        )
        session.commit()

    page = open_wallet(browser, holder)

    expect(page.locator("#card-state")).to_have_text(english["card.state.suspended"])
    expect(page.locator("#card-explain")).to_have_text(english["card.explain.suspended_residency"])
    expect(page.locator("#card-qr")).to_be_hidden()
    expect(page.locator("section#card img[src^='data:image/svg']")).to_have_count(0)
    expect(page.get_by_role("button", name=english["card.full_screen"])).to_be_hidden()


def test_a_card_a_clerk_suspended_says_so_and_shows_no_code(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    holder = make_holder(live_server)
    card = current_card(live_server, holder.resident_id)
    with live_server.database.session() as session:
        clerk = create_user(session, live_server.database.settings, role=Role.admin)
        found = session.scalars(select(Card).where(Card.id == card.id)).one()
        cards.set_card_status(
            session,
            found,
            status=CardStatus.suspended,
            now=_now(),
            actor_id=clerk.id,
            note="Reported as misused",
        )
        session.commit()

    page = open_wallet(browser, holder)

    expect(page.locator("#card-state")).to_have_text(english["card.state.suspended"])
    expect(page.locator("#card-explain")).to_have_text(english["card.explain.suspended"])
    expect(page.locator("#card-qr")).to_be_hidden()


# --- benefits and balances ------------------------------------------------------------------------


def grant_parking_minutes(live_server: LiveServer) -> None:
    """This month's free parking minutes, granted to every eligible resident as the job does."""
    now = _now()
    with live_server.database.session() as session:
        grant_allowance(
            session,
            programme_code="parking_free_minutes",
            period=now.astimezone(ZONE).strftime("%Y-%m"),
            now=now,
            zone=ZONE,
        )
        session.commit()


def test_benefits_with_reasons_and_a_granted_allowance_in_hours_and_minutes(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    with live_server.database.session() as session:
        load_programmes(session, now=_now(), zone=ZONE)
        session.commit()
    holder = make_holder(live_server, date_of_birth=date(1990, 3, 4))
    page = open_wallet(browser, holder)

    benefits = page.locator("#benefit-list > li")
    expect(benefits).to_have_count(4)
    parking = page.locator("#benefit-list > li[data-programme='parking_free_minutes']")
    expect(parking.get_by_role("heading")).to_have_text("Free parking minutes")
    expect(parking).to_contain_text(english["benefits.eligible"])
    expect(parking).to_contain_text("2 hours every month")
    expect(parking.locator(".reasons li")).to_have_count(1)
    expect(parking.locator(".reasons li")).to_contain_text(english["benefits.outcome.pass"])
    # The reason in plain words, as the programme's file says it.
    expect(parking.locator(".reasons li")).to_have_text(
        f"{english['benefits.outcome.pass']}: Your residency has been verified."
    )
    senior = page.locator("#benefit-list > li[data-programme='senior_extra_parking']")
    expect(senior).to_contain_text(english["benefits.not_eligible"])
    expect(senior.locator(".reasons li[data-outcome='fail']")).not_to_have_count(0)
    expect(senior.locator(".reasons li[data-outcome='fail']").first).to_contain_text(
        english["benefits.outcome.fail"]
    )
    expect(senior.locator(".reasons li[data-outcome='fail']").first).to_contain_text(
        "Extra parking is for residents aged 67 or over (or with a disability); you are "
    )
    expect(senior.locator(".reasons")).not_to_contain_text("≥")
    expect(page.locator("#balances-empty")).to_be_visible()

    # The reasons come from the API in the language of the page.
    choose_language(page, "he")
    expect(parking.get_by_role("heading")).to_have_text("דקות חניה חינם")
    expect(parking).to_contain_text("שעתיים בכל חודש")
    expect(parking.locator(".reasons li")).to_contain_text("התושבות שלכם אומתה.")
    choose_language(page, "en")

    grant_parking_minutes(live_server)
    page.reload()

    balance = page.locator("#balance-list > li[data-account='parking_free_minutes']")
    expect(balance.get_by_role("heading")).to_have_text("Free parking minutes")
    expect(balance.locator(".balance-amount")).to_have_text("2 hours")
    toggle = balance.get_by_role("button", name=english["balances.show_statement"])
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    entries = balance.locator(".statement li")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text(english["balances.kind.grant"])
    expect(entries.locator(".entry-amount")).to_have_text("+2 hours")
    expect(entries.locator(".entry-after")).to_have_text("Balance: 2 hours")
    expect(
        balance.get_by_role("button", name=english["balances.hide_statement"])
    ).to_have_attribute("aria-expanded", "true")


def test_a_statement_on_its_way_while_the_balances_are_drawn_again_still_shows(
    browser: Browser, live_server: LiveServer
) -> None:
    # The balances are drawn again when the card comes or the language changes; a statement
    # asked for just before goes where its account is shown now, not to the list that was.
    with live_server.database.session() as session:
        load_programmes(session, now=_now(), zone=ZONE)
        session.commit()
    holder = make_holder(live_server)
    grant_parking_minutes(live_server)
    page = open_wallet(browser, holder)
    held: list[Any] = []
    # On the context: once the wallet's service worker controls the page, the API's GETs go
    # through it, where a route on the page alone does not see them.
    statement = "**/ledger/me/accounts/*/statement*"
    page.context.route(statement, lambda route: held.append(route))
    balance = page.locator("#balance-list > li[data-account='parking_free_minutes']")
    balance.get_by_role("button", name=texts("en")["balances.show_statement"]).click()
    wait_for_held(page, held)

    choose_language(page, "he")  # the balances drawn again, the statement still on its way
    # ... and once more when the benefits come back in Hebrew, after which nothing redraws them.
    parking = page.locator("#benefit-list > li[data-programme='parking_free_minutes']")
    expect(parking.locator(".reasons li")).to_contain_text("התושבות שלכם אומתה.")
    held[0].continue_()

    entries = balance.locator(".statement li")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text(texts("he")["balances.kind.grant"])


# --- managing the card ----------------------------------------------------------------------------


def test_revoking_a_lost_card_asks_first_then_shows_the_new_card(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    holder = make_holder(live_server)
    page = open_wallet(browser, holder)
    old = current_card(live_server, holder.resident_id)
    expect(page.locator("#card-qr-image")).to_be_visible()
    revoke = page.get_by_role("button", name=english["card.revoke"])

    # Asked first; keeping the card changes nothing.
    revoke.click()
    dialog = page.get_by_role("dialog", name=english["card.revoke_title"])
    expect(dialog).to_be_visible()
    keep = dialog.get_by_role("button", name=english["card.revoke_cancel"])
    expect(keep).to_be_focused()
    grouped = f"{old.number[:3]} {old.number[3:6]} {old.number[6:]}"
    expect(dialog).to_contain_text(grouped)
    keep.click()
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    assert digits(page.locator("#card-number").inner_text()) == old.number

    revoke.click()
    dialog.get_by_label(english["card.revoke_reason.lost"]).check()
    dialog.get_by_role("button", name=english["card.revoke_confirm"]).click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#card-number")).not_to_have_text(grouped)
    new = current_card(live_server, holder.resident_id)
    assert new.number != old.number
    expect(page.locator("#card-number")).to_have_text(
        f"{new.number[:3]} {new.number[3:6]} {new.number[6:]}"
    )
    expect(page.locator("#card-message")).to_contain_text(new.number[6:])
    expect(page.locator("#card-heading")).to_be_focused()
    with live_server.database.session() as session:
        revoked = session.scalars(select(Card).where(Card.id == old.id)).one()
        assert revoked.status == "revoked"
        assert revoked.revocation_reason == "lost"
    # The code on screen is the new card's.
    wait_for_new_code(page, "#card-qr-image", None)
    token = scan(page.locator("section#card"), tmp_path / "new-card.png")
    assert joserfc_claims(token, jwks(live_server), audience="card", now=_now())["sub"] == (
        new.reference
    )


def test_a_photo_is_put_on_the_card_and_shown(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    holder = make_holder(live_server)
    page = open_wallet(browser, holder)
    expect(page.locator("#card-photo")).to_be_hidden()
    picture = tmp_path / "face.png"
    Image.new("RGB", (300, 400), (200, 120, 80)).save(picture)

    page.locator("#photo-input").set_input_files(picture)

    photo = page.get_by_role("img", name=english["card.photo_alt"])
    expect(photo).to_be_visible()
    assert photo.evaluate("i => i.complete && i.naturalWidth > 0")
    expect(page.locator("#photo-status")).to_have_text(english["card.photo_saved"])
    expect(page.get_by_role("button", name=english["card.photo_change"])).to_be_visible()

    page.get_by_role("button", name=english["card.photo_remove"]).click()
    expect(photo).to_be_hidden()
    expect(page.locator("#photo-status")).to_have_text(english["card.photo_removed"])


def test_a_guardian_shows_a_ward_s_code(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    holder = make_holder(live_server)
    settings = live_server.database.settings
    with live_server.database.session() as session:
        ward = create_resident(
            session, settings, first_name="Noam", last_name="Levi", date_of_birth=date(2016, 2, 3)
        )
        session.add(Guardianship(guardian_id=holder.resident_id, ward_id=ward.id, relation="child"))
        session.commit()
        ward_id = ward.id
    page = open_wallet(browser, holder)

    show = page.get_by_role(
        "button", name=english["card.show_ward_code"].replace("{name}", "Noam Levi")
    )
    expect(show).to_be_visible()
    show.click()
    dialog = page.get_by_role("dialog", name="Noam Levi")
    image = dialog.get_by_role(
        "img", name=english["card.ward_qr_alt"].replace("{name}", "Noam Levi")
    )
    expect(image).to_be_visible()
    token = scan(dialog, tmp_path / "ward.png")
    claims = joserfc_claims(token, jwks(live_server), audience="card", now=_now())
    assert claims["sub"] == current_card(live_server, ward_id).reference

    dialog.get_by_role("button", name=english["card.close"]).click()
    expect(dialog).to_be_hidden()
    expect(show).to_be_focused()


# --- on a phone, in each language -----------------------------------------------------------------


TARGETS = """(root) => [...document.querySelectorAll(root + " button")]
  .filter((e) => e.offsetParent !== null)
  .map((e) => [e.id || e.textContent, e.getBoundingClientRect().height])"""


def test_the_wallet_on_a_small_phone_in_each_language(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    with live_server.database.session() as session:
        load_programmes(session, now=_now(), zone=ZONE)
        session.commit()
    holder = make_holder(live_server, first_name="Maya", last_name="Azoulay")
    grant_parking_minutes(live_server)
    page = open_wallet(browser, holder, locale="he-IL", viewport=SMALL_PHONE)
    expect(page.locator("#card-qr-image")).to_be_visible()
    page.locator("#balance-list button[aria-expanded]").first.click()

    for language in LANGUAGES:
        words = texts(language)
        page.set_viewport_size(SMALL_PHONE)
        choose_language(page, language)
        expect(page.locator("html")).to_have_attribute("dir", "ltr" if language == "en" else "rtl")
        expect(page.locator("#card-state")).to_have_text(words["card.state.active"])
        expect(page.locator("#benefit-list > li").first).to_be_visible()
        expect(page.locator(".statement li")).to_contain_text(words["balances.kind.grant"])
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        heights = page.evaluate(TARGETS, "main")
        assert len(heights) >= 5
        assert [(what, h) for what, h in heights if h < TAP] == [], language
        # The code stays readable on a 360 px screen in every language.
        scan(page.locator("section#card"), tmp_path / f"card-{language}.png")

        # As most phones are: 390 x 844, the page, the code full screen, and the revoke dialog.
        page.set_viewport_size(PHONE)
        page.screenshot(path=tmp_path / f"wallet-{language}.png", full_page=True)
        page.get_by_role("button", name=words["card.full_screen"]).click()
        dialog = page.locator("#qr-dialog")
        expect(dialog.locator("#qr-dialog-image")).to_be_visible()
        assert [(w, h) for w, h in page.evaluate(TARGETS, "#qr-dialog") if h < TAP] == []
        page.screenshot(path=tmp_path / f"full-screen-{language}.png")
        page.keyboard.press("Escape")
        page.get_by_role("button", name=words["card.revoke"]).click()
        confirm = page.locator("#revoke-dialog")
        expect(confirm).to_be_visible()
        assert [(w, h) for w, h in page.evaluate(TARGETS, "#revoke-dialog") if h < TAP] == []
        page.screenshot(path=tmp_path / f"revoke-{language}.png")
        confirm.get_by_role("button", name=words["card.revoke_cancel"]).click()
        expect(confirm).to_be_hidden()


def test_a_resident_waiting_for_verification_has_no_card_yet(
    browser: Browser, live_server: LiveServer
) -> None:
    holder = make_holder(live_server, status="pending")
    page = browser.open("/", locale="en-GB")
    sign_in(page, holder.account, lands_on="/wallet")
    expect(page.locator("#residency-status")).to_have_text(texts("en")["status.pending"])
    expect(page.locator("section#card")).to_be_hidden()
