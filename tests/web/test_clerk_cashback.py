"""The clerk's cashback desk: approving a business that applied, reviewing a flagged purchase; an
auditor sees both lists and can change neither."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import ViewportSize, expect
from sqlalchemy import select

from cashback.models import Flag, Merchant, MerchantStatus
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from tests.cashback.conftest import (
    make_business,
)
from tests.conftest import LiveServer
from tests.web.cashback_support import open_shop
from tests.web.conftest import Browser, make_staff, sign_in, texts

pytestmark = pytest.mark.browser
DESK: ViewportSize = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Scheme:
    applicant: str  # the pending business's name
    flagged_receipt: str


def _scheme(live_server: LiveServer) -> Scheme:
    """A business waiting for approval, and an approved one where a high round amount was flagged."""
    shop = open_shop(live_server)
    database = live_server.database
    with database.session() as session:
        make_business(
            session,
            database.settings,
            now=shop.opened_at,
            status=MerchantStatus.pending,
            name="Falafel Wadi",
        )
        session.commit()
    shop.sell(30_000, "R-300")  # ₪300: a high, round amount
    return Scheme(applicant="Falafel Wadi", flagged_receipt="R-300")


def test_a_clerk_approves_a_business_and_dismisses_a_flag(
    browser: Browser, live_server: LiveServer
) -> None:
    scheme = _scheme(live_server)
    english = texts("en")
    clerk = make_staff(live_server, Role.admin)
    page = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(page, clerk, lands_on="/clerk")

    businesses = page.get_by_role("region", name=english["clerk.businesses"])
    expect(businesses.locator("#businesses-count")).to_have_text("1 businesses")
    businesses.get_by_role("button", name=scheme.applicant).click()
    business = page.locator("#business")
    expect(business).to_be_focused()
    expect(business.get_by_role("heading", level=2)).to_have_text(scheme.applicant)
    expect(business.locator("#business-status")).to_have_text(english["business.pending"])

    # A decision needs a reason: without one nothing is sent.
    business.get_by_label(english["clerk.business_approve"]).check()
    business.get_by_role("button", name=english["clerk.business_change"]).click()
    expect(page.locator("#business-change")).to_have_text(english["clerk.reason_needed"])
    with live_server.database.session() as session:
        pending = session.scalars(select(Merchant).where(Merchant.name == scheme.applicant)).one()
        assert pending.status == "pending"

    business.get_by_label(english["clerk.business_reason"]).fill("Registry extract checked")
    business.get_by_role("button", name=english["clerk.business_change"]).click()
    expect(page.locator("#business-change")).to_have_text(f"{scheme.applicant}: Approved.")
    expect(business.locator("#business-status")).to_have_text(english["business.approved"])
    # Approved, it leaves the list of applications waiting.
    expect(businesses.locator("#businesses-count")).to_have_text(english["clerk.businesses_empty"])
    with live_server.database.session() as session:
        approved = session.scalars(select(Merchant).where(Merchant.name == scheme.applicant)).one()
        assert (approved.status, approved.status_reason) == ("approved", "Registry extract checked")

    flags = page.get_by_role("region", name=english["clerk.flags"])
    expect(flags.locator("#flags-count")).to_have_text("1 waiting for review")
    expect(flags).to_contain_text("A high, round amount")
    expect(flags).to_contain_text("Café Hadar, receipt R-300: ₪300.00, cashback ₪30.00")
    expect(flags).to_contain_text("amount ₪300.00")
    flags.get_by_role("button", name="Review receipt R-300 at Café Hadar").click()
    flags.get_by_label(english["clerk.flag_dismiss"]).check()
    flags.get_by_label(english["clerk.flag_reason"]).fill("A catering order, receipt seen")
    flags.get_by_role("button", name=english["clerk.flag_resolve"]).click()
    expect(page.locator("#flag-change")).to_have_text(english["clerk.flag_dismissed"])
    expect(flags.locator("#flags-count")).to_have_text(english["clerk.flags_empty"])
    with live_server.database.session() as session:
        flag = session.scalars(select(Flag)).one()
        assert (flag.status, flag.outcome, flag.resolution_reason) == (
            "resolved",
            "dismissed",
            "A catering order, receipt seen",
        )
        actions = set(session.scalars(select(AuditEntry.action)).all())
        assert {"cashback.merchant.approved", "cashback.flag.resolve"} <= actions


def test_an_auditor_sees_the_cashback_desk_and_changes_nothing(
    browser: Browser, live_server: LiveServer
) -> None:
    scheme = _scheme(live_server)
    arabic = texts("ar")
    auditor = make_staff(live_server, Role.auditor)
    page = browser.open("/", locale="ar", viewport=DESK)
    sign_in(page, auditor, lands_on="/clerk")

    businesses = page.get_by_role("region", name=arabic["clerk.businesses"])
    businesses.get_by_role("button", name=scheme.applicant).click()
    expect(page.locator("#business-status")).to_have_text(arabic["business.pending"])
    flags = page.get_by_role("region", name=arabic["clerk.flags"])
    expect(flags.locator("#flags-count")).to_have_text("1 بانتظار الفحص")
    # Money as Arabic writes it on every page (the wallet's balances too).
    in_arabic = page.evaluate(
        """() => new Intl.NumberFormat("ar-IL-u-nu-latn",
             { style: "currency", currency: "ILS", minimumFractionDigits: 2 }).format(300)"""
    )
    assert "300.00" in in_arabic
    expect(flags).to_contain_text(arabic["clerk.flag_detail.amount"].replace("{value}", in_arabic))
    # No forms, no buttons to change anything.
    expect(page.locator("#business-form")).to_have_count(0)
    expect(page.locator("#flag-form")).to_have_count(0)
    expect(flags.get_by_role("button")).to_have_count(0)
    campaigns = page.get_by_role("region", name=arabic["clerk.campaigns"])
    expect(campaigns).to_contain_text(arabic["campaign.running"])
    expect(campaigns.locator("#campaigns-count")).to_have_text("حملة واحدة")  # one, not "1 حملات"
    expect(campaigns.get_by_role("button")).to_have_count(0)
    expect(page.locator("#campaign-form")).to_have_count(0)


def test_a_clerk_tops_up_pauses_and_ends_a_campaign(
    browser: Browser, live_server: LiveServer
) -> None:
    _scheme(live_server)  # the campaign has given ₪30.00 of cashback, held for the return window
    english = texts("en")
    clerk = make_staff(live_server, Role.admin)
    page = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(page, clerk, lands_on="/clerk")
    campaigns = page.get_by_role("region", name=english["clerk.campaigns"])
    expect(campaigns).to_contain_text("Cash back · 10% · Running")
    expect(campaigns.locator("#campaigns-count")).to_have_text("1 campaign")
    expect(campaigns).to_contain_text("Budget left ₪9,970.00; held in return windows ₪30.00")

    def do(action: str, reason: str, **fields: str) -> None:
        campaigns.get_by_role("button", name="Manage Cash back").click()
        campaigns.get_by_label(english[f"clerk.campaign_do.{action}"]).check()
        for label, value in fields.items():
            campaigns.get_by_label(english[label]).fill(value)
        campaigns.get_by_label(english["clerk.campaign_reason"]).fill(reason)
        campaigns.get_by_role("button", name=english["clerk.campaign_save"]).click()

    do("top_up", "Council decision 2026/117", **{"clerk.campaign_amount": "5000"})
    expect(page.locator("#campaign-change")).to_have_text("Cash back's budget was topped up.")
    expect(campaigns).to_contain_text("Budget left ₪14,970.00")

    # A rate out of range is refused on the page; nothing is sent.
    do("rate", "Too generous", **{"clerk.campaign_rate": "150"})
    expect(page.locator("#campaign-change")).to_have_text(english["clerk.campaign_rate_invalid"])
    campaigns.get_by_role("button", name=english["clerk.cancel"]).click()

    do("pause", "Budget review")
    expect(page.locator("#campaign-change")).to_have_text("Cash back is paused.")
    expect(campaigns).to_contain_text("Cash back · 10% · Paused")

    do("end", "The scheme ends this year")
    expect(page.locator("#campaign-change")).to_have_text(
        "Cash back has ended; ₪14,970.00 went back to the city."
    )
    expect(campaigns).to_contain_text("Cash back · 10% · Ended")
    expect(campaigns).to_contain_text("Given back to the city: ₪14,970.00")
    # Ended, there is nothing left to manage.
    expect(campaigns.get_by_role("button", name="Manage Cash back")).to_have_count(0)
    with live_server.database.session() as session:
        actions = list(session.scalars(select(AuditEntry.action)).all())
        assert {
            "cashback.campaign.top_up",
            "cashback.campaign.pause",
            "cashback.campaign.end",
        } <= set(actions)
