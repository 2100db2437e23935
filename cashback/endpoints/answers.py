"""The shapes of the answers that more than one of cashback's resources give."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from cashback import earning
from cashback.models import Campaign, Merchant, Purchase, Refund
from cashback.schemas import AddressOut, CampaignBriefOut, Label, PurchaseOut, RefundOut
from cashback.service import campaigns as campaigns_service
from cashback.service import purchases as purchases_service
from cashback.service import refunds as refunds_service
from kernel.i18n import Language, Text
from resident_card.city.models import Neighbourhood, Street


def label(text: Text) -> Label:
    return Label(he=text["he"], ar=text["ar"], en=text["en"])


def merchant_fields(merchant: Merchant, place: tuple[Street, Neighbourhood]) -> dict[str, object]:
    """A business's fields, ``place`` its street and neighbourhood (``merchants.places``)."""
    street, neighbourhood = place
    return {
        "id": merchant.id,
        "registry_number": merchant.registry_number,
        "name": merchant.name,
        "category": merchant.category,
        "category_name": label(earning.CATEGORY_NAMES[merchant.category]),
        "address": AddressOut(
            street=label(street.names),
            street_code=street.code,
            house_number=merchant.house_number,
            neighbourhood=label(neighbourhood.names),
            neighbourhood_code=neighbourhood.code,
        ),
        "status": merchant.status,
        "status_reason": merchant.status_reason,
        "status_changed_at": merchant.status_changed_at,
        "created_at": merchant.created_at,
    }


def brief(campaign: Campaign, purchase: Purchase | None = None) -> CampaignBriefOut:
    """The campaign in short; for a purchase, as it was then (its rate and names may have changed
    since, and a retried purchase gets the very same answer)."""
    names, rate_bp = campaign.names, campaign.rate_bp
    if purchase is not None:
        names, rate_bp = purchases_service.names_and_rate_as_bought(purchase, campaign)
    return CampaignBriefOut(id=campaign.id, code=campaign.code, names=label(names), rate_bp=rate_bp)


def receipt_fields(purchase: Purchase, campaign: Campaign, language: Language) -> dict[str, object]:
    return {
        "purchase_id": purchase.id,
        "amount_agorot": purchase.amount_agorot,
        "receipt": purchase.receipt,
        "cashback_agorot": purchase.cashback_agorot,
        "campaign": brief(campaign, purchase),
        "why": [earning.render_reason(reason, language) for reason in purchase.explanation],
        "available_at": purchase.available_at,
        "created_at": purchase.created_at,
    }


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.id,
        purchase_id=refund.purchase_id,
        amount_agorot=refund.amount_agorot,
        receipt=refund.receipt,
        cashback_taken_back_agorot=refund.cashback_taken_back_agorot,
        from_hold_agorot=refund.from_hold_agorot,
        from_balance_agorot=refund.from_balance_agorot,
        shortfall_agorot=refund.shortfall_agorot,
        created_at=refund.created_at,
    )


def purchase_outs(
    session: Session, purchases: Sequence[Purchase], language: Language
) -> list[PurchaseOut]:
    """Purchases with their campaigns and refunds, read for all of them at once."""
    campaigns = campaigns_service.campaigns_by_id(session, {p.campaign_id for p in purchases})
    refunds = refunds_service.refunds_of_each(session, purchases)
    return [
        PurchaseOut.model_validate(
            {
                **receipt_fields(purchase, campaigns[purchase.campaign_id], language),
                "state": purchases_service.purchase_state(purchase),
                "refunded_agorot": purchase.refunded_agorot,
                "cashback_returned_agorot": purchase.cashback_returned_agorot,
                "refunds": [refund_out(r) for r in refunds[purchase.id]],
            }
        )
        for purchase in purchases
    ]
