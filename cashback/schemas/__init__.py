"""What the cashback API takes and gives. Money is in agorot (integers), always. The statistics'
answers are in ``statistics``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from benefits.ledger.service.posting import MAX_AMOUNT
from cashback.earning import MAX_AMOUNT_AGOROT
from cashback.models import BusinessCategory, FlagOutcome, FlagStatus, MerchantStatus
from figures.statistics import NamedOut, WindowOut
from kernel.kit.integers import WholeNumber

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Receipt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
CardToken = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Agorot = Annotated[WholeNumber, Field(ge=0, le=MAX_AMOUNT_AGOROT)]
PositiveAgorot = Annotated[WholeNumber, Field(ge=1, le=MAX_AMOUNT_AGOROT)]
# What a till sends, within the ledger's bounds; the till's own check narrows it, answering
# ``amount_invalid``.
TillAgorot = Annotated[WholeNumber, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]


class Label(BaseModel):
    """One text in each of the city's languages."""

    he: str
    ar: str
    en: str


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid")

    he: Name
    ar: Name
    en: Name


# --- businesses ------------------------------------------------------------------------------------


class MerchantApplicationIn(BaseModel):
    """A business's application to the cashback scheme."""

    model_config = ConfigDict(extra="forbid")

    registry_number: str = Field(
        min_length=1, max_length=20, description="9 digits; the last is a check digit."
    )
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    category: BusinessCategory
    street_code: str = Field(min_length=1, max_length=32, description="From GET /city/streets.")
    house_number: WholeNumber = Field(ge=1, le=9999)


class NewAccountIn(BaseModel):
    """A login made while applying, for a person who has none."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9._@+\-]+$")
    password: str = Field(min_length=1, max_length=1024, repr=False)
    display_name: Name | None = None


class ApplicationWithAccountIn(BaseModel):
    """A business's application from a person without a login: the login, then the business."""

    model_config = ConfigDict(extra="forbid")

    account: NewAccountIn
    business: MerchantApplicationIn


class MerchantDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class StaffMemberIn(BaseModel):
    """A staff login for my business: an existing login by its username, or a new one
    (``new_login``) that its holder activates by choosing a password with a one-time link."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9._@+\-]+$")
    display_name: Name | None = None
    new_login: bool = False
    email: EmailStr | None = Field(
        default=None,
        max_length=254,
        description="A new login's invitation goes to this address instead of being shown.",
    )

    @model_validator(mode="after")
    def _email_only_for_a_new_login(self) -> StaffMemberIn:
        if self.email is not None and not self.new_login:
            raise ValueError("email is for a new login's invitation")
        return self


class StaffMemberOut(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str | None
    owner: bool = Field(description="The account that applied: it manages the staff.")
    since: datetime


class AddedStaffOut(StaffMemberOut):
    invite_path: str | None = Field(
        description="A new login's one-time link to choose its password (shown once), else null."
    )
    invite_expires_at: datetime | None
    invite_emailed: bool = Field(description="The invitation went to the address given.")


class AddressOut(BaseModel):
    street: Label
    street_code: str
    house_number: int
    neighbourhood: Label
    neighbourhood_code: str


class MerchantOut(BaseModel):
    id: uuid.UUID
    registry_number: str
    name: str
    category: BusinessCategory
    category_name: Label
    address: AddressOut
    status: MerchantStatus
    status_reason: str | None
    status_changed_at: datetime | None
    created_at: datetime


class CampaignBriefOut(BaseModel):
    id: uuid.UUID
    code: str
    names: Label
    rate_bp: int


class MyMerchantOut(MerchantOut):
    """The business as its own staff see it."""

    owed_agorot: int = Field(description="What the city owes the business now (unsettled).")
    campaigns: list[CampaignBriefOut] = Field(description="Campaigns running for it now.")
    owner: bool = Field(description="Whether I am its owner (I manage its staff).")


class AdminMerchantOut(MerchantOut):
    staff_user_ids: list[uuid.UUID]
    owed_agorot: int


# --- campaigns -------------------------------------------------------------------------------------


class CampaignIn(BaseModel):
    """A new campaign. Caps left out (null) do not apply; empty lists mean every category or
    neighbourhood. Its budget starts empty: fund it with a top-up."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
    names: Names
    rate_bp: WholeNumber = Field(ge=1, le=10_000, description="Basis points: 1000 is 10%.")
    min_purchase_agorot: Agorot = 0
    cap_per_purchase_agorot: PositiveAgorot | None = None
    cap_per_resident_month_agorot: PositiveAgorot | None = None
    cap_per_resident_business_day_agorot: PositiveAgorot | None = None
    categories: list[BusinessCategory] = Field(default_factory=list, max_length=20)
    neighbourhoods: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=200
    )
    programme_code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = (
        "cashback_resident"
    )
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> CampaignIn:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CampaignChangeIn(BaseModel):
    """What a clerk changes in a campaign, with a reason; fields left out stay as they are (a cap
    or the end set to null no longer applies). A new rate applies to later purchases only."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    names: Names | None = None
    rate_bp: WholeNumber | None = Field(default=None, ge=1, le=10_000)
    min_purchase_agorot: Agorot | None = None
    cap_per_purchase_agorot: PositiveAgorot | None = None
    cap_per_resident_month_agorot: PositiveAgorot | None = None
    cap_per_resident_business_day_agorot: PositiveAgorot | None = None
    categories: list[BusinessCategory] | None = Field(default=None, max_length=20)
    neighbourhoods: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] | None = (
        Field(default=None, max_length=200)
    )
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> CampaignChangeIn:
        changing = self.model_fields_set - {"reason"}
        if not changing:
            raise ValueError("nothing to change")
        # These may be cleared (null); the others may only be given a value.
        for name in changing - {
            "cap_per_purchase_agorot",
            "cap_per_resident_month_agorot",
            "cap_per_resident_business_day_agorot",
            "ends_at",
        }:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields given, as the service takes them."""
        changes: dict[str, Any] = {}
        for name in self.model_fields_set - {"reason"}:
            value = getattr(self, name)
            if name == "names":
                value = {"he": value.he, "ar": value.ar, "en": value.en}
            changes[name] = value
        return changes


class CampaignActionIn(BaseModel):
    """Pausing, resuming or ending a campaign: why (written to the audit log)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class TopUpIn(BaseModel):
    """The city funds a campaign's budget; the same key again is a safe retry."""

    model_config = ConfigDict(extra="forbid")

    amount_agorot: PositiveAgorot
    reason: Reason
    idempotency_key: str = Field(min_length=1, max_length=100)


class BudgetOut(BaseModel):
    available_agorot: int = Field(description="What can still be given as cashback.")
    held_agorot: int = Field(description="Cashback held in return windows.")
    posted_agorot: int


class CampaignOut(BaseModel):
    id: uuid.UUID
    code: str
    names: Label
    rate_bp: int
    min_purchase_agorot: int
    cap_per_purchase_agorot: int | None
    cap_per_resident_month_agorot: int | None
    cap_per_resident_business_day_agorot: int | None
    categories: list[BusinessCategory]
    neighbourhoods: list[str]
    programme_code: str
    starts_at: datetime
    ends_at: datetime | None
    running: bool = Field(description="Purchases earn from it now: started, not ended, not paused.")
    state: Literal["scheduled", "running", "paused", "ended"]
    paused_at: datetime | None = Field(description="Paused since then; null when not paused.")
    ended_at: datetime | None = Field(description="When a clerk ended it early; null otherwise.")
    returned_agorot: int = Field(description="Budget given back to the city since it ended.")
    budget: BudgetOut


class CampaignEndOut(BaseModel):
    campaign: CampaignOut
    returned_agorot: int = Field(
        description="Unspent budget given back to the city now; held cashback stays reserved "
        "and settles as usual."
    )


class TopUpOut(BaseModel):
    transaction_id: uuid.UUID
    amount_agorot: int
    budget: BudgetOut


# --- purchases, refunds, redemptions ---------------------------------------------------------------


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_token: CardToken = Field(description="The token of the resident's card QR, as scanned.")
    amount_agorot: TillAgorot = Field(description="The purchase, in agorot (₪12.50 is 1250).")
    receipt: Receipt = Field(description="The business's receipt number.")


class PurchaseReceiptOut(BaseModel):
    """The answer to a purchase: the same for a retry with the same Idempotency-Key and body."""

    purchase_id: uuid.UUID
    amount_agorot: int
    receipt: str
    cashback_agorot: int = Field(
        description="Credited to the resident, held for the return window."
    )
    campaign: CampaignBriefOut
    why: list[str] = Field(description="Why this cashback, in the caller's language.")
    available_at: datetime = Field(description="When the resident can spend it.")
    created_at: datetime


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_agorot: TillAgorot = Field(
        description="How much of the purchase is refunded, in agorot."
    )
    receipt: Receipt | None = None


class RefundOut(BaseModel):
    id: uuid.UUID
    purchase_id: uuid.UUID
    amount_agorot: int
    receipt: str | None
    cashback_taken_back_agorot: int
    from_hold_agorot: int = Field(description="Taken from cashback still held.")
    from_balance_agorot: int = Field(description="Taken from the resident's balance.")
    shortfall_agorot: int = Field(description="Already spent: now owed by the resident.")
    created_at: datetime


class PurchaseOut(PurchaseReceiptOut):
    """A purchase as it stands now, with its refunds."""

    state: str = Field(description="held, available or returned.")
    refunded_agorot: int
    cashback_returned_agorot: int
    refunds: list[RefundOut]


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_token: CardToken
    amount_agorot: TillAgorot = Field(description="Paid with cashback, in agorot.")
    receipt: Receipt | None = None


class RedemptionOut(BaseModel):
    id: uuid.UUID
    amount_agorot: int
    receipt: str | None
    balance_after_agorot: int = Field(description="The resident's spendable cashback after it.")
    created_at: datetime


class BalanceCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_token: CardToken


class BalanceCheckOut(BaseModel):
    available_agorot: int
    pending_agorot: int


class WalletPurchaseOut(BaseModel):
    id: uuid.UUID
    business: str
    amount_agorot: int
    cashback_agorot: int
    cashback_returned_agorot: int
    refunded_agorot: int = Field(description="How much of the purchase the business refunded.")
    state: str = Field(description="held, available or returned.")
    available_at: datetime = Field(description="When the return window ends: held until then.")
    released_at: datetime | None = Field(description="When the cashback became spendable.")
    created_at: datetime


class WalletOut(BaseModel):
    """A resident's cashback."""

    available_agorot: int = Field(description="Can be spent at a participating business now.")
    pending_agorot: int = Field(description="Held until the purchases' return windows end.")
    owed_agorot: int = Field(description="Owed back (refunds of spent cashback); settled first.")
    purchases: list[WalletPurchaseOut] = Field(description="Newest first.")


class WalletEntryOut(BaseModel):
    kind: Literal["held", "released", "spent", "refunded", "expired"] = Field(
        description="held: credited and held until `held_until`; released: spendable since `at`;"
        " spent at a business; refunded: taken back by a refund; expired: never released."
    )
    amount_agorot: int = Field(description="Signed: positive adds to the resident's cashback.")
    at: datetime
    held_until: datetime | None
    business: str


class WalletStatementOut(BaseModel):
    """The entries behind a resident's cashback balances, newest first."""

    entries: list[WalletEntryOut]


# --- settlement ------------------------------------------------------------------------------------


class StatementOut(BaseModel):
    period: str
    final: bool = Field(
        description="Settled: the city paid what it owed. False: the month so far, provisional."
    )
    purchases: int
    purchases_agorot: int
    cashback_agorot: int
    refunds_agorot: int
    redemptions: int
    paid_agorot: int = Field(
        description="What the city paid the business for the month (so far: what it owes)."
    )
    created_at: datetime


class StatementDetailOut(StatementOut):
    lines: list[dict[str, Any]]


# --- flags -----------------------------------------------------------------------------------------


class FlaggedPurchaseOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    amount_agorot: int
    cashback_agorot: int
    receipt: str
    created_at: datetime


class FlagOut(BaseModel):
    id: uuid.UUID
    signal: str
    signal_name: Label
    details: dict[str, Any]
    status: FlagStatus
    outcome: FlagOutcome | None
    resolution_reason: str | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    created_at: datetime
    merchant_id: uuid.UUID
    merchant_name: str
    purchase: FlaggedPurchaseOut


class FlagResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: FlagOutcome
    reason: Reason


# --- what the scheme does for a business ----------------------------------------------------------


class BusinessMonthOut(BaseModel):
    """A city month of purchases. ``purchases`` counts every purchase recorded in the month (one
    refunded since too); ``sales_agorot`` and ``cashback_agorot`` are their amounts and cashback
    net of what was refunded of them since; ``residents`` the distinct residents who bought;
    ``returning_residents`` those of them who had bought here in an earlier month (within the
    window or before it): residents who came back."""

    month: str
    purchases: int
    sales_agorot: int
    cashback_agorot: int
    residents: int
    returning_residents: int


class CategoryMonthOut(BaseModel):
    """A city month of every business of the category in the neighbourhood (here: the same
    businesses), the same figures as a business's; null and ``hidden_because`` said when hidden:
    ``too_few_residents`` (fewer than the open data's k), ``too_few_businesses`` (fewer than 3 sold
    that month, or are in the scheme, so no business could subtract itself to learn another's)."""

    month: str
    hidden_because: str | None
    purchases: int | None
    sales_agorot: int | None
    cashback_agorot: int | None
    residents: int | None
    returning_residents: int | None


class CategoryFiguresOut(BaseModel):
    category: NamedOut
    neighbourhood: NamedOut
    businesses: int = Field(
        description="Businesses of the category in the neighbourhood in the scheme."
    )
    months: list[CategoryMonthOut]


class BusinessFiguresOut(BaseModel):
    """What the scheme did for a business, month by month, beside its category in its
    neighbourhood; money in agorot."""

    window: WindowOut
    id: uuid.UUID
    name: str
    months: list[BusinessMonthOut]
    category: CategoryFiguresOut


class ListedBusinessOut(BaseModel):
    """A business in the scheme as the public sees it: no registry number, no people."""

    name: str
    category: BusinessCategory
    address: str = Field(
        description="Street and house number, the street in the caller's language."
    )
