"""``toshav cashback …``: release held cashback whose return window is over, and settle a month
with the businesses (statements written under var_dir, the city's payments in the ledger)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import click

from cashback import earning
from cashback.service import campaigns, releases, settlement
from kernel.console import command_settings, language_option, short_transactions, unit_of_work
from kernel.errors import ToshavError
from kernel.i18n import Language, Text, render

RELEASED: Text = {
    "he": "שוחררו {count} החזרים כספיים ({amount}); מתוכם {recovered} כיסו חובות של תושבים.",
    "ar": "تم تحرير {count} استردادًا نقديًا ({amount})؛ منها {recovered} سدّدت ديون مقيمين.",
    "en": "Released {count} cashback holds ({amount}); {recovered} of it settled residents' debts.",
}

SETTLED: Text = {
    "he": "{business} ({registry}) {period}: {purchases} קניות, שולמו {paid}. הדוח: {path}",
    "ar": "{business} ({registry}) {period}: {purchases} عملية شراء، دُفع {paid}. الكشف: {path}",
    "en": "{business} ({registry}) {period}: {purchases} purchases, paid {paid}. Statement: {path}",
}

ALREADY: Text = {
    "he": "{business} ({registry}) {period}: כבר סולק ({paid}). הדוח: {path}",
    "ar": "{business} ({registry}) {period}: تمت التسوية من قبل ({paid}). الكشف: {path}",
    "en": "{business} ({registry}) {period}: already settled ({paid}). Statement: {path}",
}

RETURNED: Text = {
    "he": "הוחזרו לעירייה {amount} מתקציבי קמפיינים שהסתיימו ({count}).",
    "ar": "أُعيد إلى البلدية {amount} من ميزانيات حملات انتهت ({count}).",
    "en": "Returned {amount} to the city from the budgets of ended campaigns ({count}).",
}

NONE: Text = {
    "he": "אין עסקים להסדרה.",
    "ar": "لا توجد مصالح للتسوية.",
    "en": "There are no businesses to settle.",
}


@click.group()
def cashback() -> None:
    """Cashback at the city's small businesses."""


@cashback.command("release-holds")
@language_option
def release_holds(language: Language) -> None:
    """Make held cashback available once its return window is over (run it hourly)."""
    settings = command_settings()
    now = datetime.now(UTC)
    report = releases.ReleaseReport()
    with short_transactions(settings) as run:
        while True:
            due = run(
                lambda session: releases.residents_with_due_holds(session, now=now, limit=500)
            )
            if not due:
                break
            # One resident per transaction: a release locks a campaign's budget, which purchases
            # by other residents wait for while holding their own wallets.
            for resident_id in due:
                done = run(partial(releases.release_due_holds, now=now, resident_id=resident_id))
                report.released += done.released
                report.amount_agorot += done.amount_agorot
                report.recovered_agorot += done.recovered_agorot
        # What came back to ended campaigns' budgets (refunds, lapsed holds) goes to the city,
        # one campaign per transaction.
        returned = emptied = 0
        ended = run(lambda session: campaigns.ended_campaigns_with_budget(session, now=now))
        for campaign_id in ended:
            amount = run(
                partial(campaigns.return_unspent_budgets, campaign_id=campaign_id, now=now)
            )
            if amount:
                returned += amount
                emptied += 1
    click.echo(
        render(
            RELEASED,
            language,
            count=report.released,
            amount=earning.format_agorot(report.amount_agorot),
            recovered=earning.format_agorot(report.recovered_agorot),
        )
    )
    if returned:
        click.echo(
            render(RETURNED, language, amount=earning.format_agorot(returned), count=emptied)
        )


@cashback.command("settle")
@click.option("--period", required=True, help="The month to settle, YYYY-MM (it must be over).")
@language_option
def settle(period: str, language: Language) -> None:
    """Write each business's statement for a month and record the city's payment; safe to rerun."""
    settings = command_settings()
    try:
        with unit_of_work(settings) as session:
            answers = settlement.settle(
                session, settings, period_label=period, now=datetime.now(UTC)
            )
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc
    if not answers:
        click.echo(render(NONE, language))
    for answer in answers:
        path = settlement.write_statement(settings, answer)
        click.echo(
            render(
                SETTLED if answer.created else ALREADY,
                language,
                business=answer.merchant.name,
                registry=answer.merchant.registry_number,
                period=answer.settlement.period,
                purchases=answer.settlement.purchases,
                paid=earning.format_agorot(answer.settlement.paid_agorot),
                path=path,
            )
        )
