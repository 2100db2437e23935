"""The city's clerks and the campaigns: terms, budgets, changes, pausing, resuming and ending."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from benefits.ledger.exceptions import IdempotencyMismatch
from benefits.ledger.service.balances import Balance
from cashback.endpoints.answers import label
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AmountInvalid,
    CampaignEnded,
    CampaignExists,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignPaused,
    InvalidCampaign,
)
from cashback.models import BusinessCategory, Campaign
from cashback.schemas import (
    BudgetOut,
    CampaignActionIn,
    CampaignChangeIn,
    CampaignEndOut,
    CampaignIn,
    CampaignOut,
    TopUpIn,
    TopUpOut,
)
from cashback.service import campaigns as campaigns_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.idempotency import REPLAYED
from kernel.kit.pagination import PaginationQuery
from resident_card.accounts.dependencies import AdminCaller, StaffReader

router = APIRouter(tags=["cashback"])


def _campaign_outs(
    session: Session, campaigns: Sequence[Campaign], now: datetime
) -> list[CampaignOut]:
    """Campaigns with their budgets, read for all of them at once."""
    budgets = campaigns_service.budgets_of(session, campaigns, now=now)
    return [_shaped(campaign, budgets[campaign.id], now) for campaign in campaigns]


def _campaign_out(session: Session, campaign: Campaign, now: datetime) -> CampaignOut:
    return _campaign_outs(session, [campaign], now)[0]


def _shaped(campaign: Campaign, budget: Balance, now: datetime) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        code=campaign.code,
        names=label(campaign.names),
        rate_bp=campaign.rate_bp,
        min_purchase_agorot=campaign.min_purchase_agorot,
        cap_per_purchase_agorot=campaign.cap_per_purchase_agorot,
        cap_per_resident_month_agorot=campaign.cap_per_resident_month_agorot,
        cap_per_resident_business_day_agorot=campaign.cap_per_resident_business_day_agorot,
        categories=[BusinessCategory(c) for c in campaign.categories],
        neighbourhoods=list(campaign.neighbourhoods),
        programme_code=campaign.programme_code,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        running=campaign.is_running(now),
        state=campaign.state(now),
        paused_at=campaign.paused_at,
        ended_at=campaign.ended_at,
        returned_agorot=campaign.returned_agorot,
        budget=BudgetOut(
            available_agorot=budget.available,
            held_agorot=budget.reserved,
            posted_agorot=budget.posted,
        ),
    )


@router.post(
    "/admin/cashback/campaigns",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignExists, InvalidCampaign),
)
def create_campaign(
    body: CampaignIn, caller: AdminCaller, session: DbSession, now: Now
) -> CampaignOut:
    """Create a campaign with an empty budget (audited); fund it with a top-up."""
    campaign = campaigns_service.create_campaign(
        session,
        campaigns_service.CampaignTerms(
            code=body.code,
            names={"he": body.names.he, "ar": body.names.ar, "en": body.names.en},
            rate_bp=body.rate_bp,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            min_purchase_agorot=body.min_purchase_agorot,
            cap_per_purchase_agorot=body.cap_per_purchase_agorot,
            cap_per_resident_month_agorot=body.cap_per_resident_month_agorot,
            cap_per_resident_business_day_agorot=body.cap_per_resident_business_day_agorot,
            categories=tuple(body.categories),
            neighbourhoods=tuple(body.neighbourhoods),
            programme_code=body.programme_code,
        ),
        actor_id=caller.id,
        now=now,
    )
    return _campaign_out(session, campaign, now)


@router.get(
    "/admin/cashback/campaigns", response_model=list[CampaignOut], responses=responses(*AUTH)
)
def campaigns(
    caller: StaffReader, session: DbSession, now: Now, pagination: PaginationQuery
) -> list[CampaignOut]:
    """Every campaign with its budget, newest first (staff)."""
    found = campaigns_service.list_campaigns(
        session, limit=pagination.limit, offset=pagination.offset
    )
    return _campaign_outs(session, found, now)


@router.get(
    "/admin/cashback/campaigns/{campaign_id}",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound),
)
def campaign(
    campaign_id: uuid.UUID, caller: StaffReader, session: DbSession, now: Now
) -> CampaignOut:
    """One campaign and its budget (staff)."""
    return _campaign_out(session, campaigns_service.get_campaign(session, campaign_id), now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/top-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=TopUpOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, AmountInvalid, IdempotencyMismatch),
)
def top_up(
    campaign_id: uuid.UUID,
    body: TopUpIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
    response: Response,
) -> TopUpOut:
    """Fund a campaign's budget from the city (audited); the same idempotency key is a safe retry."""
    transaction, created = campaigns_service.top_up(
        session,
        campaign_id,
        amount_agorot=body.amount_agorot,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        actor_id=caller.id,
        now=now,
    )
    if not created:
        response.headers[REPLAYED] = "true"
    campaign = campaigns_service.get_campaign(session, campaign_id)
    out = _campaign_out(session, campaign, now)
    return TopUpOut(
        transaction_id=transaction.id, amount_agorot=body.amount_agorot, budget=out.budget
    )


@router.patch(
    "/admin/cashback/campaigns/{campaign_id}",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, InvalidCampaign),
)
def change_campaign(
    campaign_id: uuid.UUID,
    body: CampaignChangeIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Change a campaign's names, rate, minimum, caps, categories, neighbourhoods or end (audited)."""
    campaign = campaigns_service.change_campaign(
        session, campaign_id, body.changes(), reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/pause",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, CampaignPaused),
)
def pause_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Pause a campaign: purchases are refused until it is resumed (audited)."""
    campaign = campaigns_service.pause_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/resume",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, CampaignNotPaused),
)
def resume_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Resume a paused campaign (audited)."""
    campaign = campaigns_service.resume_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/end",
    response_model=CampaignEndOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded),
)
def end_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignEndOut:
    """End a campaign now and give its unspent budget back to the city (audited)."""
    answer = campaigns_service.end_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return CampaignEndOut(
        campaign=_campaign_out(session, answer.campaign, now),
        returned_agorot=answer.returned_agorot,
    )
