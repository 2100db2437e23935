"""What cashback tells people, in the transaction of the event that caused it: a resident's cashback
credited and, after the return window, spendable; a business approved into the scheme; and a
campaign's budget nearly spent, told to the businesses it covers.

A resident is told through the accounts that answer for them
(``resident_card.residents.notices.recipients``); a business through its staff accounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cashback.earning import format_agorot
from cashback.models import Campaign, Merchant, Purchase
from cashback.repository.campaigns import CampaignRepository
from cashback.repository.merchants import MerchantRepository
from cashback.service.accounts import BUDGET_PURPOSES
from cashback.settings import CashbackSettings
from kernel import notices
from kernel.i18n import Text
from kernel.notices import Category, Notice
from resident_card.residents.models import Resident
from resident_card.residents.notices import recipients
from resident_card.residents.service import records as residents

CASHBACK_LINK = "/wallet#balances"
BUSINESS_LINK = "/till"
TOP_UP_KIND = "cashback_top_up"  # the ledger kind of the city's funding of a budget


def credited_recipients(session: Session, resident: Resident) -> list[uuid.UUID]:
    """Whom ``cashback_credited`` tells of a purchase by this resident (read before the purchase
    holds its cashback, so that nothing is read while it holds a stripe of the budget)."""
    return recipients(session, resident)


def _to_resident(
    session: Session,
    purchase: Purchase,
    title: Text,
    body: Text,
    key: str,
    *,
    to: Sequence[uuid.UUID] | None = None,
) -> None:
    if to is None:
        resident = residents.get_resident(session, purchase.resident_id)
        if resident is None:  # pragma: no cover - a foreign key keeps the buyer there
            return
        to = recipients(session, resident)
    for account_id in to:
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.cashback,
                title=title,
                body=body,
                link=CASHBACK_LINK,
                key=key,
            ),
        )


def cashback_credited(
    session: Session,
    settings: CashbackSettings,
    purchase: Purchase,
    merchant: Merchant,
    cashback_agorot: int,
    *,
    to: Sequence[uuid.UUID] | None = None,
) -> None:
    """A purchase earned cashback: how much, where, and the day it can be spent (``to``: the
    buyer's ``credited_recipients``, when already read)."""
    earned = format_agorot(cashback_agorot)
    paid = format_agorot(purchase.amount_agorot)
    day = _city_day(purchase.available_at, settings)
    _to_resident(
        session,
        purchase,
        {"he": "התקבל החזר כספי", "ar": "أُضيف استرداد نقدي", "en": "Cashback credited"},
        {
            "he": f"צברתם {earned} החזר כספי על קנייה של {paid} בעסק {merchant.name}. "
            f"אפשר יהיה לממש אותו מ־{day}, בתום תקופת ההחזרות.",
            "ar": f"ربحتم {earned} استردادًا نقديًا على شراء بقيمة {paid} في {merchant.name}. "
            f"يمكن صرفه ابتداءً من {day}، بعد انتهاء فترة الإرجاع.",
            "en": f"You earned {earned} cashback on a purchase of {paid} at {merchant.name}. "
            f"It can be spent from {day}, when the return window ends.",
        },
        key=f"cashback.credited:{purchase.id}",
        to=to,
    )


def cashback_spendable(session: Session, purchase: Purchase, amount_agorot: int) -> None:
    """A purchase's return window is over: its cashback can be spent now."""
    if amount_agorot <= 0:
        return
    merchant = MerchantRepository(session).get(purchase.merchant_id)
    where = merchant.name if merchant is not None else "-"
    amount = format_agorot(amount_agorot)
    _to_resident(
        session,
        purchase,
        {
            "he": "ההחזר הכספי זמין למימוש",
            "ar": "الاسترداد النقدي متاح للصرف",
            "en": "Cashback ready to spend",
        },
        {
            "he": f"ההחזר הכספי של {amount} על הקנייה בעסק {where} זמין עכשיו למימוש בעסקים "
            "המשתתפים.",
            "ar": f"الاسترداد النقدي بقيمة {amount} عن الشراء في {where} متاح الآن للصرف لدى "
            "المصالح المشاركة.",
            "en": f"The {amount} cashback from your purchase at {where} can be spent now at the "
            "businesses in the scheme.",
        },
        key=f"cashback.spendable:{purchase.id}",
    )


def business_approved(session: Session, merchant: Merchant) -> None:
    """A clerk let a business into the scheme: its staff accounts are told."""
    staff = MerchantRepository(session).staff_of_each([merchant.id])[merchant.id]
    for account_id in staff:
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.business,
                title={
                    "he": "העסק אושר",
                    "ar": "تمت الموافقة على المصلحة",
                    "en": "Business approved",
                },
                body={
                    "he": f"העסק {merchant.name} אושר בתוכנית ההחזר הכספי של העירייה. "
                    "אפשר לרשום קניות בקופה.",
                    "ar": f"تمت الموافقة على {merchant.name} في برنامج الاسترداد النقدي للبلدية. "
                    "يمكن تسجيل المشتريات في الصندوق.",
                    "en": f"{merchant.name} was approved into the city's cashback scheme. "
                    "Purchases can now be recorded at the till.",
                },
                link=BUSINESS_LINK,
            ),
        )


def budget_spent(
    session: Session, settings: CashbackSettings, campaign: Campaign, spent_agorot: int
) -> None:
    """The campaign's budget just gave ``spent_agorot`` from its budget account (a chunk for its
    stripes, or an exact draw): when what is left is below the low share of what its top-ups put
    in, the businesses it covers are told, once per top-up (the notice's key)."""
    percent = settings.cashback_budget_low_percent
    if not percent:
        return
    left, funded, top_ups = CampaignRepository(session).budget_standing(
        campaign, top_up_kind=TOP_UP_KIND, purposes=BUDGET_PURPOSES
    )
    threshold = percent * funded  # compared with a remainder times 100
    if not left * 100 < threshold:
        return
    staff = MerchantRepository(session).staff_of_approved(
        categories=campaign.categories, neighbourhoods=campaign.neighbourhoods
    )
    names = campaign.names
    remaining, total = format_agorot(left), format_agorot(funded)
    for account_id in staff:
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.business,
                title={
                    "he": "תקציב המבצע כמעט נוצל",
                    "ar": "ميزانية الحملة أوشكت على النفاد",
                    "en": "Campaign budget nearly spent",
                },
                body={
                    "he": f"בתקציב המבצע “{names['he']}” נותרו {remaining} מתוך {total}. "
                    "כשייגמר, קניות לא יצברו ממנו החזר כספי.",
                    "ar": f"تبقّى في ميزانية الحملة “{names['ar']}” {remaining} من {total}. "
                    "عند نفادها لن تكسب المشتريات منها استردادًا نقديًا.",
                    "en": f"The budget of the campaign “{names['en']}” has {remaining} left of "
                    f"{total}. Once it runs out, purchases earn no cashback from it.",
                },
                link=BUSINESS_LINK,
                key=f"cashback.budget_low:{campaign.id}:{top_ups}",
            ),
        )


def _city_day(moment: datetime, settings: CashbackSettings) -> str:
    return moment.astimezone(ZoneInfo(settings.city_time_zone)).strftime("%d.%m.%Y")
