"""Campaign budgets: the account the city funds, and the stripes purchases draw from.

A campaign's budget is its budget account and its stripes (``accounts.BUDGET_STRIPES``), all the
campaign's ledger accounts: what is left is what all of them have available, wherever it sits.
A purchase holds its cashback from a stripe no other purchase holds at that moment (it never
waits for one); a stripe with too little is topped up from the budget account by a chunk; and
while the budget account has less than a chunk, a purchase draws exactly: what the stripes have
goes back to the budget account, and the cashback is held from there. See
docs/decisions/0021-campaign-budgets-drawn-through-stripes.md.

Locks are taken in one order, so that no two writers wait on each other in a circle: the
resident's wallet, then stripes (one a purchase claims, or all of them, in the ledger's order),
then the budget account. Nothing that holds the budget account waits for a stripe, and a purchase
that finds one campaign's budget short holds none of it when it turns to another's.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import InsufficientBalance
from benefits.ledger.models import Hold, OwnerType, Unit
from benefits.ledger.service.accounts import (
    accounts_of_owners,
    claim_account,
    claim_short_accounts,
    create_accounts,
    lock_accounts,
)
from benefits.ledger.service.balances import Balance, get_balances
from benefits.ledger.service.holds import create_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback.models import Campaign
from cashback.service import accounts
from cashback.service.accounts import STRIPES
from cashback.settings import CashbackSettings

CHUNK_KIND = "cashback_budget_chunk"  # budget account → stripe
GATHER_KIND = "cashback_budget_gather"  # stripes → budget account


@dataclass(frozen=True)
class Drawn:
    """A purchase's cashback held from the campaign's budget; ``from_budget_account``: the draw
    took money out of the budget account itself (a chunk, or an exact draw), which is when what
    is left of the budget is worth reading again."""

    hold: Hold
    from_budget_account: bool


def hold_cashback(
    session: Session,
    settings: CashbackSettings,
    campaign: Campaign,
    *,
    to_account_id: uuid.UUID,
    amount_agorot: int,
    idempotency_key: str,
    expires_at: datetime,
    reference: str,
    metadata: Mapping[str, Any],
    created_by: uuid.UUID | None,
    now: datetime,
) -> Drawn:
    """Hold ``amount_agorot`` of the campaign's budget for ``to_account_id``: from a free stripe
    with enough, else from a stripe just topped up, else exactly from the budget account.
    ``InsufficientBalance`` when the whole budget has less than that available."""

    def hold_from(account_id: uuid.UUID) -> Hold:
        return create_hold(
            session,
            idempotency_key=idempotency_key,
            kind="cashback",
            postings=[
                PostingInput(account_id, -amount_agorot),
                PostingInput(to_account_id, amount_agorot),
            ],
            expires_at=expires_at,
            reference=reference,
            metadata=metadata,
            created_by=created_by,
            now=now,
        )

    stripe = _claim_stripe(session, campaign, at_least=amount_agorot)
    if stripe is not None:
        return Drawn(hold_from(stripe), False)
    main = campaign.budget_account_id
    available = get_balances(session, [main], now=now)[main].available
    # A chunk for each stripe: the setting at least, and a share of what the budget account has,
    # so that a large budget spreads over its stripes in a few moves.
    chunk = max(settings.cashback_budget_chunk_agorot, amount_agorot, available // (2 * STRIPES))
    if available >= chunk:
        # In savepoints: a chunk refused (others took the budget account's money meanwhile), or a
        # stripe waited for and found short, lets go of its locks, so that gathering may lock
        # every stripe first.
        try:
            with session.begin_nested():
                stripe = _top_up_stripes(
                    session, campaign, chunk, most=available // chunk, short=amount_agorot, now=now
                )
        except InsufficientBalance:
            stripe = None
        if stripe is not None:
            return Drawn(hold_from(stripe), True)
        try:
            with session.begin_nested():
                # Every stripe busy (another purchase is topping them up): wait for one.
                stripe = _wait_for_a_stripe(session, campaign)
                if stripe is not None:
                    return Drawn(hold_from(stripe), False)
        except InsufficientBalance:
            pass
    # In a savepoint too: a budget found short even gathered lets go of every stripe and of the
    # budget account, before the purchase turns to another campaign (which another purchase,
    # turning the other way, may hold while it waits for this one's).
    with session.begin_nested():
        gather(session, campaign, now=now)
        return Drawn(hold_from(main), True)


def _claim_stripe(session: Session, campaign: Campaign, *, at_least: int) -> uuid.UUID | None:
    """One of the campaign's stripes that no other transaction holds and that has at least this
    much available, locked; None when there is none now (it never waits)."""
    return claim_account(
        session,
        owner_type=OwnerType.campaign,
        owner_id=campaign.id,
        purposes=accounts.BUDGET_STRIPES,
        unit=Unit.ILS,
        at_least=at_least,
    )


def make_stripes(session: Session, campaign: Campaign) -> None:
    """The campaign's stripes, empty (one statement; those that exist stay as they are)."""
    create_accounts(
        session,
        owner_type=OwnerType.campaign,
        owner_id=campaign.id,
        purposes=accounts.BUDGET_STRIPES,
        unit=Unit.ILS,
    )


def _top_up_stripes(
    session: Session, campaign: Campaign, chunk: int, *, most: int, short: int, now: datetime
) -> uuid.UUID | None:
    """Move a chunk from the budget account to each free stripe that has less than ``short``
    available (``most`` of them at most), in one ledger transaction, and return one of them; None
    when every stripe is busy. The stripes are locked before the budget account."""

    def claim() -> list[uuid.UUID]:
        return claim_short_accounts(
            session,
            owner_type=OwnerType.campaign,
            owner_id=campaign.id,
            purposes=accounts.BUDGET_STRIPES,
            unit=Unit.ILS,
            below=short,
            limit=max(1, min(most, STRIPES)),
        )

    stripes = claim()
    if not stripes and not budget_accounts(session, [campaign])[campaign.id][1:]:
        make_stripes(session, campaign)  # a campaign from before stripes
        stripes = claim()
    if not stripes:
        return None
    post_transaction(
        session,
        idempotency_key=f"cashback:campaign:{campaign.id}:chunk:{uuid.uuid4()}",
        kind=CHUNK_KIND,
        postings=[
            PostingInput(campaign.budget_account_id, -chunk * len(stripes)),
            *(PostingInput(stripe, chunk) for stripe in stripes),
        ],
        reference=f"campaign:{campaign.id}",
        now=now,
    )
    return random.choice(stripes)  # noqa: S311 - spreading, not secrecy


def _wait_for_a_stripe(session: Session, campaign: Campaign) -> uuid.UUID | None:
    """One of the campaign's stripes at random, waited for and locked (None: it has none)."""
    stripes = budget_accounts(session, [campaign])[campaign.id][1:]
    if not stripes:
        return None
    stripe = random.choice(stripes)  # noqa: S311 - spreading, not secrecy
    lock_accounts(session, [stripe])
    return stripe


def gather(session: Session, campaign: Campaign, *, now: datetime) -> int:
    """Move what the campaign's stripes have available back to its budget account, locking every
    stripe first (waiting for the purchases that hold them); returns the amount."""
    stripes = [
        a.id
        for a in accounts_of_owners(
            session,
            owner_type=OwnerType.campaign,
            owner_ids=[campaign.id],
            purposes=accounts.BUDGET_STRIPES,
            unit=Unit.ILS,
        )
    ]
    if not stripes:
        return 0
    lock_accounts(session, stripes)
    having = {i: b.available for i, b in get_balances(session, stripes, now=now).items()}
    taken = [PostingInput(i, -amount) for i, amount in sorted(having.items()) if amount > 0]
    total = -sum(p.amount for p in taken)
    if not total:
        return 0
    post_transaction(
        session,
        idempotency_key=f"cashback:campaign:{campaign.id}:gather:{uuid.uuid4()}",
        kind=GATHER_KIND,
        postings=[*taken, PostingInput(campaign.budget_account_id, total)],
        reference=f"campaign:{campaign.id}",
        now=now,
    )
    return total


def budget_accounts(
    session: Session, campaigns: Iterable[Campaign]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each campaign's budget accounts (its budget account first, then its stripes), by
    campaign, in one statement."""
    wanted = {c.id: c for c in campaigns}
    found: dict[uuid.UUID, list[uuid.UUID]] = {i: [c.budget_account_id] for i, c in wanted.items()}
    for account in accounts_of_owners(
        session,
        owner_type=OwnerType.campaign,
        owner_ids=wanted,
        purposes=accounts.BUDGET_STRIPES,
        unit=Unit.ILS,
    ):
        assert account.owner_id is not None  # a campaign's
        found[account.owner_id].append(account.id)
    return found


def budgets_of(
    session: Session, campaigns: Sequence[Campaign], *, now: datetime
) -> dict[uuid.UUID, Balance]:
    """Each campaign's whole budget now (its budget account and its stripes together), by
    campaign: what its stripes hold and no purchase has drawn is still left."""
    owned = budget_accounts(session, campaigns)
    balances = get_balances(session, [i for ids in owned.values() for i in ids], now=now)
    sums: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for campaign_id, ids in owned.items():
        for account_id in ids:
            balance = balances[account_id]
            for figure in ("posted", "available", "pending", "reserved"):
                sums[campaign_id][figure] += getattr(balance, figure)
    return {
        c.id: Balance(account_id=c.budget_account_id, unit=Unit.ILS.value, **sums[c.id])
        for c in campaigns
    }
