"""``toshav ledger …``: check the ledger against itself, and expire holds past their time."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from benefits.ledger.repository.check import Violation
from benefits.ledger.service import holds
from benefits.ledger.service.check import check_ledger
from kernel.console import command_settings, language_option, unit_of_work
from kernel.i18n import Language, Text, render

VIOLATIONS: dict[str, Text] = {
    "too_few_postings": {
        "he": "ב-{subject} יש פחות משני רישומים ({postings}).",
        "ar": "في {subject} أقل من قيدين ({postings}).",
        "en": "{subject} has fewer than two postings ({postings}).",
    },
    "unbalanced_transaction": {
        "he": "{subject} אינה מתאזנת ב-{unit}: הסכום {sum}.",
        "ar": "{subject} غير متوازنة في {unit}: المجموع {sum}.",
        "en": "{subject} does not balance in {unit}: it sums to {sum}.",
    },
    "unit_mismatch": {
        "he": "{subject}: יחידת הרישום {posting_unit} שונה מיחידת החשבון {account_unit}.",
        "ar": "{subject}: وحدة القيد {posting_unit} تختلف عن وحدة الحساب {account_unit}.",
        "en": "{subject}: the posting's unit {posting_unit} differs from the account's {account_unit}.",
    },
    "balance_cache_mismatch": {
        "he": "{subject}: היתרה השמורה {cached} שונה מסכום הרישומים {postings}.",
        "ar": "{subject}: الرصيد المحفوظ {cached} يختلف عن مجموع القيود {postings}.",
        "en": "{subject}: the cached balance {cached} differs from the sum of its postings {postings}.",
    },
    "negative_balance": {
        "he": "{subject} אינו רשאי לרדת מתחת לאפס, ויתרתו {balance}.",
        "ar": "{subject} لا يجوز أن ينزل تحت الصفر، ورصيده {balance}.",
        "en": "{subject} may not go below zero, and its balance is {balance}.",
    },
    "running_balance_mismatch": {
        "he": "{subject}: היתרה שנרשמה {recorded} שונה מהסכום המצטבר {postings}.",
        "ar": "{subject}: الرصيد المسجل {recorded} يختلف عن المجموع التراكمي {postings}.",
        "en": "{subject}: the recorded balance {recorded} differs from the running sum {postings}.",
    },
    "unbalanced_hold": {
        "he": "{subject} אינו מתאזן ב-{unit}: הסכום {sum}.",
        "ar": "{subject} غير متوازن في {unit}: المجموع {sum}.",
        "en": "{subject} does not balance in {unit}: it sums to {sum}.",
    },
    "hold_cache_mismatch": {
        "he": "{subject}: השריונים השמורים ({cached_out} יוצא, {cached_in} נכנס) שונים מהשריונים הפתוחים ({holds_out}, {holds_in}).",
        "ar": "{subject}: الحجوزات المحفوظة ({cached_out} صادر، {cached_in} وارد) تختلف عن الحجوزات المفتوحة ({holds_out}، {holds_in}).",
        "en": "{subject}: the cached holds ({cached_out} out, {cached_in} in) differ from the pending holds ({holds_out}, {holds_in}).",
    },
}

CHECKED: Text = {
    "he": "הספר תקין: נבדקו {accounts} חשבונות, {transactions} תנועות, {postings} רישומים ו-{holds} שריונים.",
    "ar": "الدفتر سليم: فُحص {accounts} حساب و{transactions} حركة و{postings} قيد و{holds} حجز.",
    "en": "The ledger is sound: checked {accounts} accounts, {transactions} transactions, {postings} postings and {holds} holds.",
}

BROKEN: Text = {
    "he": "הספר אינו תקין: {problem}",
    "ar": "الدفتر غير سليم: {problem}",
    "en": "The ledger is not sound: {problem}",
}

EXPIRED: Text = {
    "he": "פג תוקפם של {count} שריונים.",
    "ar": "انتهت صلاحية {count} حجز.",
    "en": "{count} holds expired.",
}


def describe(violation: Violation, language: Language) -> str:
    return render(
        VIOLATIONS[violation.code], language, subject=violation.subject, **violation.figures
    )


@click.group()
def ledger() -> None:
    """The benefits ledger."""


@ledger.command("check")
@language_option
def check(language: Language) -> None:
    """Rebuild every balance from the postings and compare; exit non-zero at the first violation."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        result = check_ledger(session)
    if result.violation is not None:
        click.echo(render(BROKEN, language, problem=describe(result.violation, language)), err=True)
        raise SystemExit(1)
    click.echo(
        render(
            CHECKED,
            language,
            accounts=result.accounts,
            transactions=result.transactions,
            postings=result.postings,
            holds=result.holds,
        )
    )


@ledger.command("expire-holds")
@language_option
def expire_holds(language: Language) -> None:
    """Mark the pending holds past their expiry as expired, freeing what they reserved."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        count = holds.expire_holds(session, now=datetime.now(UTC))
    click.echo(render(EXPIRED, language, count=count))
