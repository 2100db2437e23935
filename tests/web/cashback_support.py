"""A business in the cashback scheme, in the live app's database, for the till and the clerk's desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cashback.service import purchases
from resident_card.accounts.models import User
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.cashback.conftest import (
    card_holder,
    card_token,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.conftest import LiveServer


@dataclass(frozen=True)
class OpenShop:
    """An approved business (Café Hadar) under a running 10% campaign, and a resident with a card."""

    live_server: LiveServer
    staff: User
    resident: Resident
    opened_at: datetime

    def card_token(self) -> str:
        """A fresh code of the resident's card, as their phone shows it."""
        database = self.live_server.database
        with database.session() as session:
            resident = session.merge(self.resident)
            token = card_token(
                session, database.settings, Keyring(database.settings), resident, self.opened_at
            )
            session.commit()
        return token

    def sell(self, amount_agorot: int, receipt: str) -> None:
        """A purchase recorded at the till, as the API records it."""
        token = self.card_token()
        database = self.live_server.database
        with database.session() as session:
            purchases.record_purchase(
                session,
                database.settings,
                staff_user_id=self.staff.id,
                idempotency_key=f"sale-{receipt}",
                card_token=token,
                amount_agorot=amount_agorot,
                receipt=receipt,
                now=self.opened_at,
            )
            session.commit()


def open_shop(live_server: LiveServer) -> OpenShop:
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        prepare_city(session, database.settings, now)
        _merchant, staff = make_business(session, database.settings, now=now)
        make_campaign(session, now=now)
        resident = card_holder(session, database.settings)
        session.commit()
    return OpenShop(live_server, staff, resident, now)
