"""The card's wallet: a resident's ledger balances, named by their programme."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.eligibility.repository import ProgrammeRepository
from benefits.ledger.models import OwnerType
from benefits.ledger.service.accounts import accounts_of_owner
from benefits.ledger.service.balances import get_balance
from kernel.i18n import Text
from resident_card.cards.summary import BenefitLine

_ACCOUNT_LABELS: dict[str, Text] = {
    "cashback": {"he": "החזר כספי", "ar": "استرداد نقدي", "en": "Cashback"},
}


def wallet_lines(session: Session, resident_id: uuid.UUID, now: datetime) -> list[BenefitLine]:
    """The resident's ledger balances, named by their programme, for the card in the wallet."""
    lines: list[BenefitLine] = []
    for account in accounts_of_owner(session, OwnerType.resident, resident_id):
        programme = ProgrammeRepository(session).by_code(account.purpose)
        if programme is not None:
            label: Text = programme.names
        else:
            label = _ACCOUNT_LABELS.get(
                account.purpose,
                {"he": account.purpose, "ar": account.purpose, "en": account.purpose},
            )
        balance = get_balance(session, account.id, now=now)
        lines.append(
            BenefitLine(
                code=account.purpose,
                label=label,
                balance=balance.available,
                unit=str(account.unit),
            )
        )
    return lines
