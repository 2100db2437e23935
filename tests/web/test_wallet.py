"""The resident's wallet: status and history, household and wards, in three languages on a phone."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from kernel.i18n import LANGUAGES
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.web.axe import assert_accessible
from tests.web.conftest import (
    Browser,
    choose_language,
    enrol_by_api,
    make_staff,
    sign_in,
    texts,
    wait_for_held,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def verify(live_server: LiveServer, resident_id: str, reason: str) -> None:
    clerk = make_staff(live_server, Role.admin)
    api = f"{live_server.base_url}/api/v1"
    token = httpx.post(
        f"{api}/auth/token", data={"username": clerk.username, "password": clerk.password}
    ).json()["access_token"]
    answer = httpx.post(
        f"{api}/admin/residents/{resident_id}/status",
        json={"status": "verified", "reason": reason},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_wallet_in_each_language_on_a_phone(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Maya", last_name="Azoulay", apartment="7")
    verify(live_server, newcomer["id"], "Lease and arnona bill checked at the service centre")
    page = browser.open("/", locale="he-IL")
    sign_in(page, newcomer, lands_on="/wallet")

    for language in LANGUAGES:
        words = texts(language)
        choose_language(page, language)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", language)
        expect(html).to_have_attribute("dir", "ltr" if language == "en" else "rtl")
        expect(page).to_have_title(words["wallet.title"])
        expect(page.locator(f"button[data-lang={language}]")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text(
            words["wallet.hello"].format(name="Maya")
        )
        expect(page.locator("#residency-status")).to_have_text(words["status.verified"])
        expect(page.locator("#history li .what").first).to_have_text(words["history.enrolled"])
        expect(page.locator("#history li").nth(1)).to_contain_text(
            "Lease and arnona bill checked at the service centre"
        )
        expect(page.get_by_role("heading", name=words["wallet.household"])).to_be_visible()
        assert no_sideways_scroll(page)
        page.screenshot(path=tmp_path / f"wallet-{language}.png", full_page=True)

    # A verified resident has a card; the city runs no programme yet, and the wallet says so.
    english = texts("en")
    expect(page.locator("#card-state")).to_have_text(english["card.state.active"])
    expect(page.locator("#benefits-empty")).to_have_text(english["benefits.none"])
    expect(page.locator("#balances-empty")).to_have_text(english["balances.none"])

    # My data: everything the city holds about me, in one file.
    with page.expect_download() as downloading:
        page.get_by_role("button", name=english["data.export"]).click()
    mine = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    assert [r["first_name"] for r in mine["residents"]] == ["Maya"]
    assert mine["residency_history"][-1]["reason"] == (
        "Lease and arnona bill checked at the service centre"
    )
    expect(page.locator("#data-status")).to_have_text(english["data.ready"])

    # Asking to be erased: a reason is needed; sent, it waits for a clerk among my requests.
    ask = page.get_by_role("button", name=english["data.erase_button"])
    ask.click()
    expect(page.locator("#erasure-status")).to_have_text(english["data.erase_reason_needed"])
    page.get_by_label(english["data.erase_reason"]).fill("I am moving abroad")
    ask.click()
    expect(page.locator("#erasure-status")).to_have_text(english["data.erase_sent"])
    asked = page.locator("#request-list li[data-kind=erasure]")
    expect(asked.locator("h3")).to_have_text(english["requests.kind.erasure"])
    expect(asked).to_contain_text("I am moving abroad")
    assert_accessible(page)


def test_a_foster_child_is_added_to_the_household(
    browser: Browser, live_server: LiveServer
) -> None:
    hebrew = texts("he")
    newcomer = enrol_by_api(live_server, first_name="Sami", last_name="Khoury")
    page = browser.open("/", locale="he-IL")
    sign_in(page, newcomer, lands_on="/wallet")
    expect(page.locator("#wards-empty")).to_be_visible()

    page.get_by_text(hebrew["ward.add"]).click()
    form = page.locator("#ward-form")
    form.get_by_label(hebrew["relation.foster_child"]).check()
    form.get_by_label("שם פרטי").fill("Adam")
    form.get_by_label("שם משפחה").fill("Khoury")
    form.get_by_label("תאריך לידה").fill("2019-09-01")
    form.get_by_label(hebrew["identifier.foster_care"]).check()
    form.get_by_label("מספר המסמך").fill("FC-2026-118")
    form.get_by_role("button", name=hebrew["ward.submit"]).click()

    expect(page.locator("#ward-status")).to_have_text("הוספנו את Adam Khoury.")
    wards = page.locator("#wards li")
    expect(wards).to_have_count(1)
    expect(wards).to_contain_text("Adam Khoury")
    expect(wards).to_contain_text(hebrew["relation.foster_child"])
    expect(page.locator("#wards-empty")).to_be_hidden()


def test_the_wallet_is_marked_busy_until_every_part_has_its_first_answer(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Noa")
    page = browser.open("/", locale="en-GB")
    held: list[Route] = []
    page.route("**/api/v1/benefits/me", lambda route: held.append(route))  # held until let go

    sign_in(page, newcomer, lands_on="/wallet")

    main = page.locator("#main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Noa")
    wait_for_held(page, held)
    expect(main).to_have_attribute("aria-busy", "true")
    held[0].continue_()
    expect(main).not_to_have_attribute("aria-busy", "true")
