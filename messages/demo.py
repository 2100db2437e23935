"""The demo resident's welcome message and a notice of the city for their neighbourhood, for
``toshav demo load``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kernel.i18n import Text
from kernel.notices import Category, Notice
from kernel.settings import Settings
from messages.bulletins import service as bulletins
from messages.bulletins.exceptions import NeighbourhoodNotFound
from messages.service import outbox
from resident_card.accounts.repository import UserRepository

TITLE: Text = {
    "he": "ברוכים הבאים לתושב",
    "ar": "أهلًا بك في توشاف",
    "en": "Welcome to Toshav",
}
BODY: Text = {
    "he": "כרטיס התושב שלך מוכן בארנק. כאן יופיעו הודעות מהעירייה: החלטות, תווים והטבות.",
    "ar": "بطاقة المقيم الخاصة بك جاهزة في المحفظة. هنا ستظهر رسائل البلدية: القرارات والتصاريح والمزايا.",
    "en": "Your resident card is ready in your wallet. Messages from the city (decisions, permits, benefits) appear here.",
}


NOTICE_TITLE: Text = {
    "he": "עבודות מים ברחוב הרצל",
    "ar": "أعمال مياه في شارع هرتسل",
    "en": "Water works on Herzl Street",
}
NOTICE_BODY: Text = {
    "he": "בשבועות הקרובים יוחלפו צינורות המים ברחוב הרצל. בימי העבודה המים ינותקו בין 9:00 ל-13:00.",
    "ar": "في الأسابيع القادمة ستُستبدل أنابيب المياه في شارع هرتسل. في أيام العمل ستنقطع المياه بين 9:00 و13:00.",
    "en": "Over the coming weeks the water pipes of Herzl Street are replaced. On working days the water is off from 9:00 to 13:00.",
}
NEIGHBOURHOOD = "hadar"  # the demo resident's, on Herzl Street


def _city_notice(session: Session, settings: Settings, now: datetime) -> str:
    """A notice current for the next 30 days in the demo resident's neighbourhood, posted by the
    demo clerk, unless one is current already."""
    clerk = UserRepository(session).by_username("admin")
    if clerk is None:
        return "messages: no demo clerk, no notice of the city"
    today = now.astimezone(ZoneInfo(settings.city_time_zone)).date()
    try:
        current = bulletins.current(session, NEIGHBOURHOOD, today=today)
    except NeighbourhoodNotFound:
        return "messages: no neighbourhood Hadar, no notice of the city"
    if any(notice.title_he == NOTICE_TITLE["he"] for notice in current):
        return "messages: the city's notice for Hadar is there already"
    draft = bulletins.Draft(
        NOTICE_TITLE, NOTICE_BODY, [NEIGHBOURHOOD], False, today, today + timedelta(days=30)
    )
    bulletins.post(session, settings, draft, actor_id=clerk.id, now=now, today=today)
    return "messages: a notice of the city for Hadar, for 30 days"


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    user = UserRepository(session).by_username("resident")
    if user is None:
        return ["messages: no demo resident user, skipped"]
    # Keyed: loading the demo again posts nothing new.
    outbox.post(
        session,
        Notice(user.id, Category.residency, TITLE, BODY, link="/wallet#card", key="demo.welcome"),
    )
    return [
        "messages: a welcome message in the demo resident's inbox",
        _city_notice(session, settings, now),
    ]
