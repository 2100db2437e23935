"""What cashback adds beside the resident's card: the wallet's cashback line, and the programmes a
business's scan may show: cashback's ``CardLines`` plug-in (``cashback.manifest``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cashback.service import campaigns, wallets
from kernel.i18n import Text
from resident_card.cards.summary import BenefitLine

CASHBACK_LABEL: Text = {"he": "החזר כספי", "ar": "استرداد نقدي", "en": "Cashback"}


def cashback_line(session: Session, resident_id: uuid.UUID, now: datetime) -> Sequence[BenefitLine]:
    """The wallet's cashback line, once the resident has earned any: what they can spend now."""
    available = wallets.available_cashback(session, resident_id, now=now)
    if available is None:
        return []
    return [BenefitLine(code="cashback", label=CASHBACK_LABEL, balance=available, unit="ILS")]


def cashback_programmes(
    session: Session, resident_id: uuid.UUID, merchant_user_id: uuid.UUID, now: datetime
) -> Sequence[str]:
    """For a business's scan: the cashback programme, when a campaign runs there for this resident."""
    return campaigns.programmes_at(session, resident_id, merchant_user_id, now=now)
