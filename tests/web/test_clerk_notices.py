"""The clerk's desk posts a notice of the city for a neighbourhood, and withdraws it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import ViewportSize, expect
from sqlalchemy import select

from messages.bulletins.models import Bulletin
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.web.conftest import Browser, make_staff, sign_in, texts

pytestmark = pytest.mark.browser
DESK: ViewportSize = {"width": 1280, "height": 900}


@pytest.mark.usefixtures("city")
def test_a_clerk_posts_a_notice_for_a_neighbourhood_and_withdraws_it(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    today = datetime.now(ZoneInfo(live_server.database.settings.city_time_zone)).date()
    clerk = make_staff(live_server, Role.admin)
    page = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(page, clerk, lands_on="/clerk")

    notices = page.get_by_role("region", name=english["notices.heading"])
    expect(notices.locator("#notices-count")).to_have_text(english["notices.empty"])
    # Nothing chosen: nothing is sent.
    notices.get_by_role("button", name=english["notices.post"]).click()
    expect(page.locator("#notice-status")).to_have_text(english["notices.where_needed"])

    notices.get_by_label("Hadar HaCarmel").check()
    notices.get_by_label(english["notices.title_he"]).fill("עבודות מים ברחוב הרצל")
    notices.get_by_label(english["notices.body_he"]).fill("המים ינותקו בין 8 ל-12.")
    notices.get_by_label(english["notices.title_en"]).fill("Water works on Herzl Street")
    notices.get_by_label(english["notices.first_day"]).fill(today.isoformat())
    notices.get_by_label(english["notices.last_day"]).fill((today + timedelta(days=3)).isoformat())
    notices.get_by_role("button", name=english["notices.post"]).click()

    expect(page.locator("#notice-status")).to_contain_text("עבודות מים ברחוב הרצל")
    expect(notices.locator("#notices-count")).to_have_text("1 notices")
    expect(notices.locator("#notices-list")).to_contain_text("Water works on Herzl Street")
    expect(notices.locator("#notices-list")).to_contain_text("Hadar HaCarmel")
    expect(notices.locator("#notices-list")).to_contain_text(english["notices.state.current"])

    notices.get_by_role("button", name="Withdraw the notice Water works on Herzl Street").click()
    notices.get_by_label(english["notices.withdraw_reason"]).fill("The works were put off")
    notices.get_by_role("button", name=english["notices.withdraw"], exact=True).click()
    expect(notices.locator("#notices-list")).to_contain_text(english["notices.state.withdrawn"])
    with live_server.database.session() as session:
        bulletin = session.scalars(select(Bulletin)).one()
        assert (bulletin.title_he, bulletin.title_ar, bulletin.title_en) == (
            "עבודות מים ברחוב הרצל",
            "",
            "Water works on Herzl Street",
        )
        assert bulletin.withdrawal_reason == "The works were put off"
