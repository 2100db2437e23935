"""The year's cashback, played in time order as the till and the worker would have made it.

Some residents never use the scheme; those who do start some time after they enrol (more each
month), keep a favourite shop or two, and buy more in the busy months. Each purchase earns from the
best campaign that covers the business and has budget, within its caps, under a stored decision of
the cashback programme; its cashback is held for the return window and then released (captured).
Some purchases are refunded (in the window: the hold shrinks; after: from the balance), residents
spend what they have at a till (a redemption the city then owes the business), and the fraud
signals flag what they would flag, a clerk settling most flags either way.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from benefits.eligibility.models import Decision, Programme, RuleVersion
from benefits.eligibility.rules.evaluation import Evaluation
from benefits.eligibility.service.decisions import judge
from benefits.ledger.models import OwnerType, Unit
from cashback import earning
from cashback.models import Campaign, Flag, Purchase, Redemption, Refund
from cashback.models import Wallet as WalletRow
from cashback.service import accounts
from cashback.service.flags import fraud_thresholds
from cashback.service.purchases import HOLD_GRACE
from cashback.settings import CashbackSettings
from kernel.i18n import day_text
from kernel.kit import idempotency
from toshav.year.businesses import Business
from toshav.year.calendar import SHOPPING_SEASON, Year, moment_in, poisson
from toshav.year.flags import Signals
from toshav.year.inserts import Inserts
from toshav.year.ledger import HeldTransfer, YearLedger
from toshav.year.people import Person
from toshav.year.timeline import Timeline

NewId = Callable[[], uuid.UUID]
MEAN_AMOUNT = {  # agorot: what a purchase usually costs, by category
    "grocery": 12_000,
    "restaurant": 16_000,
    "cafe": 4_500,
    "clothing": 22_000,
    "books": 9_000,
    "pharmacy": 7_000,
    "hardware": 14_000,
    "beauty": 15_000,
    "services": 18_000,
    "other": 8_000,
}
ROUND_AMOUNTS = (20_000, 30_000, 50_000)


@dataclass
class Shopper:
    person: Person
    wallet: tuple[uuid.UUID, uuid.UUID] | None = None  # cashback, receivable
    favourites: list[Business] = field(default_factory=list)
    decisions: dict[str, uuid.UUID] = field(default_factory=dict)  # by month label


@dataclass
class Bought:
    """A purchase under way: its row, written once nothing more happens to it."""

    row: dict[str, Any]
    shopper: Shopper
    campaign: Campaign
    business: Business
    month: str
    day: str
    hold: HeldTransfer | None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    pending: int = 0  # events still to come


@dataclass
class Tally:
    purchases: int = 0
    purchases_agorot: int = 0
    cashback_agorot: int = 0
    refunds: int = 0
    redemptions: int = 0
    flags: int = 0
    refused_no_budget: int = 0


class CashbackYear:
    """Plays the year's cashback in time order and writes it."""

    def __init__(
        self,
        rng: random.Random,
        new_id: NewId,
        inserts: Inserts,
        ledger: YearLedger,
        year: Year,
        settings: CashbackSettings,
        *,
        campaigns: list[Campaign],
        programme: Programme,
        version: RuleVersion | None,
        businesses: list[Business],
        admin_id: uuid.UUID | None,
    ) -> None:
        self.rng = rng
        self.new_id = new_id
        self.inserts = inserts
        self.ledger = ledger
        self.year = year
        self.settings = settings
        self.campaigns = campaigns
        self.programme = programme
        self.version = version
        self.businesses = businesses
        self.admin_id = admin_id
        self.window = timedelta(days=settings.cashback_return_window_days)
        self.signals = Signals(
            rng, new_id, fraud_thresholds(settings), clerk_id=admin_id, until=year.end
        )
        self.timeline = Timeline(year.end)
        self.kept_month: dict[tuple[uuid.UUID, uuid.UUID, str], int] = defaultdict(int)
        self.kept_day: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str], int] = defaultdict(int)
        self.owed: dict[uuid.UUID, uuid.UUID] = {}
        self.tally = Tally()
        self.judged: dict[tuple[tuple[str, object], ...], Evaluation] = {}
        self.by_neighbourhood: dict[str, list[Business]] = defaultdict(list)
        for business in businesses:
            self.by_neighbourhood[business.neighbourhood].append(business)

    # --- the plan ------------------------------------------------------------------------------

    def plan(self, people: list[Person]) -> None:
        """Who shops, where and when: every purchase and redemption of the year, scheduled."""
        rng = self.rng
        if not self.businesses:
            return
        weights = [b.popularity for b in self.businesses]
        for person in people:
            if person.verified_at is None or rng.random() < 0.4:
                continue  # never uses the scheme
            # Uptake grows: residents come to the scheme some time after they enrol, or after
            # it began.
            start = max(person.verified_at, self.year.start) + timedelta(
                days=rng.expovariate(1 / 45)
            )
            if start >= self.year.end:
                continue
            shopper = Shopper(person)
            near = self.by_neighbourhood.get(person.place.neighbourhood) or self.businesses
            shopper.favourites = [
                rng.choice(near) if rng.random() < 0.7 else rng.choices(self.businesses, weights)[0]
                for _ in range(rng.choice((1, 1, 2, 3)))
            ]
            level = rng.lognormvariate(0.2, 0.9)  # purchases a month, before the season
            for month in self.year.months:
                if month.end <= start:
                    continue
                season = SHOPPING_SEASON[int(month.label[5:])]
                for _ in range(poisson(rng, level * season)):
                    at = moment_in(rng, self.year, max(month.start, start), month.end)
                    if at is None:
                        continue
                    if rng.random() < 0.75:
                        business = rng.choice(shopper.favourites)
                    else:
                        business = rng.choices(self.businesses, weights)[0]
                    self.schedule(at, self._purchase_event(shopper, business))
                if rng.random() < 0.35 * min(1.0, level):
                    at = moment_in(rng, self.year, max(month.start, start), month.end)
                    if at is not None:
                        business = rng.choice(shopper.favourites)
                        self.schedule(at, self._redemption_event(shopper, business))

    def schedule(self, at: datetime, event: Callable[[datetime], None]) -> bool:
        """Run ``event`` at ``at``: activity within the year; the worker's releases until now."""
        return self.timeline.schedule(at, event)

    def play(self, tick: Callable[[int], None]) -> Tally:
        """Every event in time order."""
        self.timeline.play(tick)
        return self.tally

    # --- a purchase ----------------------------------------------------------------------------

    def _purchase_event(self, shopper: Shopper, business: Business) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            self._purchase(shopper, business, at)

        return event

    def _amount(self, business: Business) -> int:
        if self.rng.random() < 0.004:
            return self.rng.choice(ROUND_AMOUNTS)
        mean = MEAN_AMOUNT[business.category]
        return max(500, int(self.rng.lognormvariate(0, 0.6) * mean * 0.85))

    def _purchase(self, shopper: Shopper, business: Business, at: datetime) -> None:
        if not business.open_from <= at < business.open_until:
            return
        person = shopper.person
        local = at.astimezone(self.year.zone)
        month, day = local.strftime("%Y-%m"), local.strftime("%Y-%m-%d")
        covering = [
            c
            for c in self.campaigns
            if c.is_running(at)
            and (not c.categories or business.category in c.categories)
            and (not c.neighbourhoods or business.neighbourhood in c.neighbourhoods)
        ]
        if not covering:
            return
        decision_id = self._decision(shopper, month, at)
        if decision_id is None:
            return
        amount = self._amount(business)
        offers = []
        for campaign in covering:
            earned = earning.earn(
                _terms(campaign),
                amount,
                used_this_month=self.kept_month[(campaign.id, person.id, month)],
                used_today_here=self.kept_day[(campaign.id, person.id, business.id, day)],
            )
            if isinstance(earned, earning.Earned):
                offers.append((campaign, earned))
        if not offers:
            return
        wallet = self._wallet(shopper, at)
        purchase_id = self.new_id()
        available_at = at + self.window
        for campaign, earned in earning.best_first(offers):
            hold = self.ledger.hold(
                key=f"cashback:purchase:{purchase_id}:hold:1",
                kind="cashback",
                postings=[
                    (campaign.budget_account_id, -earned.cashback_agorot),
                    (wallet[0], earned.cashback_agorot),
                ],
                expires_at=available_at + HOLD_GRACE,
                reference=f"purchase:{purchase_id}",
                metadata={"campaign": campaign.code, "decision": str(decision_id)},
                created_by=business.staff_user_id,
                at=at,
            )
            if hold is not None:
                break
        else:
            self.tally.refused_no_budget += 1
            return
        cashback = earned.cashback_agorot
        receipt = f"R-{self.rng.randrange(10**7, 10**8)}"
        key = f"{self.rng.getrandbits(64):016x}"
        row = {
            "id": purchase_id,
            "created_at": at,
            "merchant_id": business.id,
            "campaign_id": campaign.id,
            "resident_id": person.id,
            "staff_user_id": business.staff_user_id,
            "idempotency_key": key,
            "request_hash": idempotency.request_hash(
                {"card_token": f"card:{key}", "amount_agorot": amount, "receipt": receipt}
            ),
            "amount_agorot": amount,
            "receipt": receipt,
            "cashback_agorot": cashback,
            "rate_bp": campaign.rate_bp,
            "explanation": [
                earning.reason("eligible", programme=dict(self.programme.names)),
                *earned.reasons,
                earning.reason(
                    "held",
                    days=self.settings.cashback_return_window_days,
                    date=day_text(available_at.astimezone(self.year.zone).date()),
                ),
            ],
            "decision_id": decision_id,
            "hold_id": hold.id,
            "hold_count": 1,
            "available_at": available_at,
            "released_at": None,
            "released_agorot": None,
            "refunded_agorot": 0,
            "cashback_returned_agorot": 0,
        }
        bought = Bought(row, shopper, campaign, business, month, day, hold)
        self.kept_month[(campaign.id, person.id, month)] += cashback
        self.kept_day[(campaign.id, person.id, business.id, day)] += cashback
        self.tally.purchases += 1
        self.tally.purchases_agorot += amount
        self.tally.cashback_agorot += cashback
        bought.flags = self.signals.raised(row, day=day, at=at)
        self.tally.flags += len(bought.flags)

        # What happens next: the release when the window ends, and perhaps a refund. A purchase
        # is written once nothing more happens to it within the year.
        def release(when: datetime) -> None:
            self._release(bought, when)

        if self.timeline.schedule(available_at, release, until=self.year.now):
            bought.pending += 1
        if self.rng.random() < 0.05:
            later = at + timedelta(days=self.rng.choice((1, 2, 3, 6, 10, 20, 30)))
            part = amount if self.rng.random() < 0.6 else self.rng.randint(1, max(1, amount - 1))
            if self.schedule(later, lambda when: self._refund(bought, part, when)):
                bought.pending += 1
        if bought.pending == 0:
            self._write(bought)

    def _decision(self, shopper: Shopper, month: str, at: datetime) -> uuid.UUID | None:
        """The month's decision of the cashback programme (stored with the first purchase)."""
        known = shopper.decisions.get(month)
        if known is not None:
            return known
        person = shopper.person
        on = at.astimezone(self.year.zone).date()
        facts = {
            "age": person.age(on),
            "residency_status": "verified",
            "household_size": person.household_size,
            "is_minor": person.age(on) < 18,
            "identifier_kind": "israeli_id",
            "disability": person.disability,
        }
        # The rule reads the facts alone: residents alike are judged alike (and once).
        known_facts = tuple(sorted(facts.items()))
        evaluation = self.judged.get(known_facts)
        if evaluation is None:
            evaluation = self.judged[known_facts] = judge(self.programme, self.version, facts, at)
        if not evaluation.eligible:
            return None
        decision_id = self.new_id()
        self.inserts.add(
            Decision,
            {
                "id": decision_id,
                "programme_id": self.programme.id,
                "rule_version_id": self.version.id if self.version is not None else None,
                "resident_id": person.id,
                "facts": evaluation.facts_used,
                "outcome": "eligible",
                "reasons": [reason.as_json() for reason in evaluation.reasons],
                "decided_at": at,
                "appeal_id": None,
            },
        )
        shopper.decisions[month] = decision_id
        return decision_id

    def _wallet(self, shopper: Shopper, at: datetime) -> tuple[uuid.UUID, uuid.UUID]:
        if shopper.wallet is None:
            resident_id = shopper.person.id
            cashback = self.ledger.open_account(
                owner_type=OwnerType.resident,
                owner_id=resident_id,
                purpose=accounts.CASHBACK,
                unit=Unit.ILS,
                at=at,
            )
            receivable = self.ledger.open_account(
                owner_type=OwnerType.resident,
                owner_id=resident_id,
                purpose=accounts.RECEIVABLE,
                unit=Unit.ILS,
                allow_negative=True,
                at=at,
            )
            self.inserts.add(
                WalletRow,
                {
                    "id": self.new_id(),
                    "created_at": at,
                    "resident_id": resident_id,
                    "cashback_account_id": cashback,
                    "receivable_account_id": receivable,
                },
            )
            shopper.wallet = (cashback, receivable)
        return shopper.wallet

    # --- what follows a purchase ---------------------------------------------------------------

    def _done(self, bought: Bought) -> None:
        bought.pending -= 1
        if bought.pending == 0:
            self._write(bought)

    def _write(self, bought: Bought) -> None:
        """The purchase as it stands, with its refunds and flags (and its hold, still pending)."""
        if bought.hold is not None and bought.hold.row["status"] == "pending":
            self.ledger.write_hold(bought.hold)
        self.inserts.add(Purchase, bought.row)
        for refund in bought.refunds:
            self.inserts.add(Refund, refund)
        for flag in bought.flags:
            self.inserts.add(Flag, flag)

    def _release(self, bought: Bought, at: datetime) -> None:
        """The return window is over: the hold is captured; the cashback is spendable."""
        row = bought.row
        if bought.hold is not None and row["released_at"] is None:
            row["released_agorot"] = sum(amount for _, amount in bought.hold.postings if amount > 0)
            self.ledger.capture(bought.hold, at=at)
            bought.hold = None
            row["released_at"] = at
        self._done(bought)

    def _refund(self, bought: Bought, amount: int, at: datetime) -> None:
        """Goods returned: the proportional cashback taken back, from the hold or the balance."""
        row = bought.row
        wallet = bought.shopper.wallet
        assert wallet is not None
        amount = min(amount, row["amount_agorot"] - row["refunded_agorot"])
        take = earning.taken_back(
            row["cashback_agorot"],
            row["amount_agorot"],
            row["refunded_agorot"] + amount,
            row["cashback_returned_agorot"],
        )
        refund_id = self.new_id()
        from_hold = from_balance = 0
        transaction_id = None
        campaign = bought.campaign
        if take > 0 and row["released_at"] is None and bought.hold is not None:
            from_hold = take
            old = bought.hold
            self.ledger.release(old, at=at)
            left = row["cashback_agorot"] - row["cashback_returned_agorot"] - take
            bought.hold = None
            row["hold_id"] = None
            if left > 0:
                row["hold_count"] += 1
                bought.hold = self.ledger.hold(
                    key=f"cashback:purchase:{row['id']}:hold:{row['hold_count']}",
                    kind="cashback",
                    postings=[(campaign.budget_account_id, -left), (wallet[0], left)],
                    expires_at=old.row["expires_at"],
                    reference=f"purchase:{row['id']}",
                    metadata=dict(old.row["details"]),
                    created_by=old.row["created_by"],
                    at=at,
                )
                row["hold_id"] = bought.hold.id if bought.hold is not None else None
        elif take > 0:
            if self.ledger.available(wallet[0]) < take:
                self._done(bought)  # already spent: the business keeps the sale
                return
            from_balance = take
            transaction_id = self.ledger.post(
                key=f"cashback:refund:{refund_id}",
                kind="cashback_refund",
                postings=[(campaign.budget_account_id, take), (wallet[0], -take)],
                reference=f"purchase:{row['id']}",
                created_by=bought.business.staff_user_id,
                at=at,
            )
        row["refunded_agorot"] += amount
        row["cashback_returned_agorot"] += take
        kept = (campaign.id, bought.shopper.person.id, bought.month)
        self.kept_month[kept] -= take
        bought.refunds.append(
            {
                "id": refund_id,
                "created_at": at,
                "purchase_id": row["id"],
                "merchant_id": row["merchant_id"],
                "staff_user_id": bought.business.staff_user_id,
                "idempotency_key": f"{self.rng.getrandbits(64):016x}",
                "amount_agorot": amount,
                "receipt": f"RR-{self.rng.randrange(10**7, 10**8)}",
                "cashback_taken_back_agorot": take,
                "from_hold_agorot": from_hold,
                "from_balance_agorot": from_balance,
                "shortfall_agorot": 0,
                "transaction_id": transaction_id,
            }
        )
        self.tally.refunds += 1
        self._done(bought)

    # --- spending cashback ---------------------------------------------------------------------

    def _redemption_event(self, shopper: Shopper, business: Business) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            self._redeem(shopper, business, at)

        return event

    def _redeem(self, shopper: Shopper, business: Business, at: datetime) -> None:
        if shopper.wallet is None or not business.open_from <= at < business.open_until:
            return
        available = self.ledger.available(shopper.wallet[0])
        if available < 500:
            return
        amount = available if self.rng.random() < 0.5 else self.rng.randint(500, available)
        owed = self.owed.get(business.id)
        if owed is None:
            owed = self.owed[business.id] = self.ledger.open_account(
                owner_type=OwnerType.merchant,
                owner_id=business.id,
                purpose=accounts.OWED,
                unit=Unit.ILS,
                at=at,
            )
        redemption_id = self.new_id()
        transaction_id = self.ledger.post(
            key=f"cashback:redemption:{redemption_id}",
            kind="cashback_redemption",
            postings=[(shopper.wallet[0], -amount), (owed, amount)],
            reference=f"redemption:{redemption_id}",
            created_by=business.staff_user_id,
            at=at,
        )
        key = f"{self.rng.getrandbits(64):016x}"
        receipt = f"C-{self.rng.randrange(10**7, 10**8)}"
        self.inserts.add(
            Redemption,
            {
                "id": redemption_id,
                "created_at": at,
                "merchant_id": business.id,
                "resident_id": shopper.person.id,
                "staff_user_id": business.staff_user_id,
                "idempotency_key": key,
                "request_hash": idempotency.request_hash(
                    {"card_token": f"card:{key}", "amount_agorot": amount, "receipt": receipt}
                ),
                "amount_agorot": amount,
                "receipt": receipt,
                "balance_after_agorot": available - amount,
                "transaction_id": transaction_id,
            },
        )
        self.tally.redemptions += 1


def _terms(campaign: Campaign) -> earning.Terms:
    return earning.Terms(
        rate_bp=campaign.rate_bp,
        min_purchase_agorot=campaign.min_purchase_agorot,
        cap_per_purchase_agorot=campaign.cap_per_purchase_agorot,
        cap_per_resident_month_agorot=campaign.cap_per_resident_month_agorot,
        cap_per_resident_business_day_agorot=campaign.cap_per_resident_business_day_agorot,
        names=campaign.names,
    )
