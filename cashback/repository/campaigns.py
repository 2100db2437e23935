"""Campaigns, and the programmes their purchases are decided under."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select

from benefits.ledger.models import Account, OwnerType, Posting, Transaction
from cashback.models import Campaign
from cashback.repository.base import Repository

# Ended campaigns a refused purchase looks through to say ``campaign_ended``.
LATEST_ENDED = 20

_AT = bindparam("at", type_=Campaign.starts_at.type)
# Every purchase reads the campaigns within their dates: built once.
_WITHIN_DATES = (
    select(Campaign)
    .where(Campaign.starts_at <= _AT, or_(Campaign.ends_at.is_(None), Campaign.ends_at > _AT))
    .order_by(Campaign.code)
)


class CampaignRepository(Repository):
    def add(self, campaign: Campaign) -> Campaign:
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def get(self, campaign_id: uuid.UUID, *, for_update: bool = False) -> Campaign | None:
        if not for_update:
            return self.session.get(Campaign, campaign_id)
        return self.session.scalar(
            select(Campaign)
            .where(Campaign.id == campaign_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Campaign]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            c.id: c for c in self.session.scalars(select(Campaign).where(Campaign.id.in_(wanted)))
        }

    def by_code(self, code: str) -> Campaign | None:
        return self.session.scalar(select(Campaign).where(Campaign.code == code))

    def list(self, *, limit: int, offset: int) -> Sequence[Campaign]:
        return self.session.scalars(
            select(Campaign)
            .order_by(Campaign.starts_at.desc(), Campaign.code)
            .limit(limit)
            .offset(offset)
        ).all()

    def within_dates(self, at: datetime) -> Sequence[Campaign]:
        """Campaigns that have started and not ended at this moment (paused ones too)."""
        return self.session.scalars(_WITHIN_DATES, {"at": at}).all()

    def latest_ended(self, at: datetime) -> Sequence[Campaign]:
        return self.session.scalars(
            select(Campaign)
            .where(Campaign.ends_at <= at)
            .order_by(Campaign.ends_at.desc(), Campaign.code)
            .limit(LATEST_ENDED)
        ).all()

    def ended_among(self, ids: Sequence[uuid.UUID], at: datetime) -> Sequence[Campaign]:
        """Which of these campaigns have ended by now or been ended by a clerk (at a moment after
        ``at``, while a request that began at ``at`` was on its way), read afresh."""
        return self.session.scalars(
            select(Campaign)
            .where(
                Campaign.id.in_(ids), or_(Campaign.ended_at.is_not(None), Campaign.ends_at <= at)
            )
            .order_by(Campaign.code)
            .execution_options(populate_existing=True)
        ).all()

    def ended_with_budget(self, at: datetime, *, purposes: Sequence[str]) -> Sequence[uuid.UUID]:
        """Ended campaigns one of whose budget accounts (``purposes``) has more than it holds for
        return windows."""
        return self.session.scalars(
            select(Campaign.id)
            .join(Account, Account.owner_id == Campaign.id)
            .where(
                Campaign.ends_at <= at,
                Account.owner_type == OwnerType.campaign.value,
                Account.purpose.in_(list(purposes)),
                Account.balance > Account.held_out,
            )
            .group_by(Campaign.id)
            .order_by(Campaign.id)
        ).all()

    def budget_standing(
        self, campaign: Campaign, *, top_up_kind: str, purposes: Sequence[str]
    ) -> tuple[int, int, int]:
        """What the campaign's budget has left (the balances of its budget accounts, ``purposes``,
        less what they hold for return windows, as the accounts cache them), what its top-ups put
        in, and how many there were: one statement, read through the top-ups' reference, not the
        budget's every posting."""
        top_ups = (
            select(Posting.amount)
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(
                Transaction.reference == f"campaign:{campaign.id}",
                Transaction.kind == top_up_kind,
                Posting.account_id == campaign.budget_account_id,
            )
            .subquery()
        )
        row = self.session.execute(
            select(
                func.sum(Account.balance - Account.held_out),
                select(func.coalesce(func.sum(top_ups.c.amount), 0)).scalar_subquery(),
                select(func.count()).select_from(top_ups).scalar_subquery(),
            ).where(
                Account.owner_type == OwnerType.campaign.value,
                Account.owner_id == campaign.id,
                Account.purpose.in_(list(purposes)),
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])
