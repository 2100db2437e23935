"""The card's wallet: a resident's ledger balances, named by their programme."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.eligibility.repository import ProgrammeRepository
from benefits.ledger.models import OwnerType
from benefits.ledger.service.accounts import accounts_of_owner
from benefits.ledger.service.balances import get_balance
from resident_card.cards.summary import BenefitLine


def wallet_lines(session: Session, resident_id: uuid.UUID, now: datetime) -> list[BenefitLine]:
    """The resident's balances of the programmes' allowances, named by their programme, for the
    card in the wallet. A resident's other accounts (cashback's) are their own domain's to show
    (its ``CardLines``), and show only while that domain runs."""
    lines: list[BenefitLine] = []
    for account in accounts_of_owner(session, OwnerType.resident, resident_id):
        programme = ProgrammeRepository(session).by_code(account.purpose)
        if programme is None:
            continue
        balance = get_balance(session, account.id, now=now)
        lines.append(
            BenefitLine(
                code=account.purpose,
                label=programme.names,
                balance=balance.available,
                unit=str(account.unit),
            )
        )
    return lines
