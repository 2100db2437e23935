"""The demo resident's welcome message, for ``toshav demo load``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.i18n import Text
from kernel.notices import Category, Notice
from kernel.settings import Settings
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


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    user = UserRepository(session).by_username("resident")
    if user is None:
        return ["messages: no demo resident user, skipped"]
    # Keyed: loading the demo again posts nothing new.
    outbox.post(
        session,
        Notice(user.id, Category.residency, TITLE, BODY, link="/wallet#card", key="demo.welcome"),
    )
    return ["messages: a welcome message in the demo resident's inbox"]
