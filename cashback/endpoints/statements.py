"""A business's monthly statements and the city's payments, as its staff read them."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response

from cashback.endpoints.dependencies import AUTH, Period
from cashback.exceptions import NotMerchantStaff, StatementNotFound
from cashback.roles import MerchantCaller
from cashback.schemas import StatementDetailOut, StatementOut
from cashback.service import merchants as merchants_service
from cashback.service import settlement as settlement_service
from cashback.service import spreadsheets, statement_pdf
from cashback.service.settlement import Statement
from cashback.settings import CashbackAppSettings
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage

router = APIRouter(tags=["cashback"])


def _statement_out(statement: Statement) -> StatementOut:
    settlement = statement.settlement
    return StatementOut(
        period=settlement.period,
        final=statement.final,
        purchases=settlement.purchases,
        purchases_agorot=settlement.purchases_agorot,
        cashback_agorot=settlement.cashback_agorot,
        refunds_agorot=settlement.refunds_agorot,
        redemptions=settlement.redemptions,
        paid_agorot=settlement.paid_agorot,
        created_at=settlement.created_at,
    )


@router.get(
    "/cashback/merchants/me/statements",
    response_model=list[StatementOut],
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_statements(
    caller: MerchantCaller, session: DbSession, settings: CashbackAppSettings, now: Now
) -> list[StatementOut]:
    """My business's monthly statements, newest first: the month so far (provisional), then each
    settled month with the city's payment."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    statements = settlement_service.statements_of(session, settings, merchant, now=now)
    return [_statement_out(statement) for statement in statements]


@router.get(
    "/cashback/merchants/me/statements/{period}",
    response_model=StatementDetailOut,
    responses=responses(*AUTH, NotMerchantStaff, StatementNotFound),
)
def my_statement(
    period: Period,
    caller: MerchantCaller,
    session: DbSession,
    settings: CashbackAppSettings,
    now: Now,
) -> StatementDetailOut:
    """One month's statement of my business, line by line (provisional until it is settled)."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    statement = settlement_service.statement_of(session, settings, merchant, period, now=now)
    lines = list(csv.DictReader(io.StringIO(statement.settlement.statement_csv)))
    return StatementDetailOut.model_validate(
        {**_statement_out(statement).model_dump(), "lines": lines}
    )


@router.get(
    "/cashback/merchants/me/statements/{period}/csv",
    response_class=Response,
    responses={
        **responses(*AUTH, NotMerchantStaff, StatementNotFound),
        200: {"content": {"text/csv": {}}, "description": "The statement as CSV."},
    },
)
def my_statement_csv(
    period: Period,
    caller: MerchantCaller,
    session: DbSession,
    settings: CashbackAppSettings,
    now: Now,
    language: RequestLanguage,
) -> Response:
    """One month's statement of my business as a spreadsheet opens it: CSV in UTF-8 with a
    byte-order mark, headers in my language, shekels beside agorot."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    settlement = settlement_service.statement_of(
        session, settings, merchant, period, now=now
    ).settlement
    return Response(
        content=spreadsheets.statement_for_people(settlement.statement_csv, language),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{merchant.registry_number}-{settlement.period}.csv"'
            )
        },
    )


@router.get(
    "/cashback/merchants/me/statements/{period}/pdf",
    response_class=Response,
    responses={
        **responses(*AUTH, NotMerchantStaff, StatementNotFound),
        200: {"content": {"application/pdf": {}}, "description": "The statement as PDF."},
    },
)
def my_statement_pdf(
    period: Period,
    caller: MerchantCaller,
    session: DbSession,
    settings: CashbackAppSettings,
    now: Now,
    language: RequestLanguage,
) -> Response:
    """One month's statement of my business as a PDF in my language: final once settled, else
    the month so far (provisional), shekels with two decimals."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    statement = settlement_service.statement_of(session, settings, merchant, period, now=now)
    content = statement_pdf.statement_pdf(
        statement.settlement,
        merchant,
        final=statement.final,
        language=language,
        now=now,
        zone=ZoneInfo(settings.city_time_zone),
    )
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{merchant.registry_number}-{statement.settlement.period}.pdf"'
            ),
            "Cache-Control": "no-store",
        },
    )
