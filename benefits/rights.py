"""Benefits' part of a person's file and of their erasure: their ledger accounts with every posting,
the eligibility decisions about them with their reasons, their periodic grants and their appeals.

Erased, nothing of the ledger is changed or deleted: the accounts stay, owned by the anonymised
record (a pseudonym: an id that names no one). What is left on a programme's account (free parking
minutes) goes back to the programme's issuance account, by a transaction of kind ``erasure`` keyed
by the erasure, so the ledger balances and a run twice moves nothing twice
(docs/decisions/0020-erasure.md). An appeal's message, the person's own words, is removed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from benefits.appeals.repository import AppealRepository
from benefits.eligibility.repository import (
    AllowanceGrantRepository,
    DecisionRepository,
    ProgrammeRepository,
)
from benefits.eligibility.service.allowances import issuance_account
from benefits.ledger.models import OwnerType
from benefits.ledger.service.accounts import accounts_of_owner
from benefits.ledger.service.balances import get_balance, get_balances, statement
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from resident_card.rights.sections import Erased, ErasureStep, ExportSection, Holder, Json, record

# The ledger's kind of what an erasure settles.
ERASURE_KIND = "erasure"
# A clerk's account is another person's.
NOT_THEIRS = ("decided_by",)
STATEMENT_PAGE = 500


def _postings(session: Session, account_id: uuid.UUID) -> list[Json]:
    entries: list[Json] = []
    before = None
    while True:
        page = statement(session, account_id, limit=STATEMENT_PAGE, before=before)
        entries.extend(
            {
                "transaction_id": str(entry.transaction_id),
                "kind": entry.kind,
                "reference": entry.reference,
                "amount": entry.amount,
                "unit": entry.unit,
                "effective_at": entry.effective_at.isoformat(),
                "recorded_at": entry.recorded_at.isoformat(),
                "balance_after": entry.balance_after,
            }
            for entry in page.entries
        )
        if page.next_before is None:
            return entries
        before = page.next_before


def _export(session: Session, holder: Holder) -> Mapping[str, Json]:
    accounts = [
        account
        for resident_id in holder.resident_ids
        for account in accounts_of_owner(session, OwnerType.resident, resident_id)
    ]
    balances = get_balances(session, [account.id for account in accounts], now=holder.now)
    return {
        "ledger_accounts": [
            {
                **record(account),
                "available": balances[account.id].available,
                "pending": balances[account.id].pending,
                "reserved": balances[account.id].reserved,
                "postings": _postings(session, account.id),
            }
            for account in accounts
        ],
        "eligibility_decisions": [
            record(decision)
            for decision in DecisionRepository(session).of_residents(holder.resident_ids)
        ],
        "allowance_grants": [
            record(grant)
            for grant in AllowanceGrantRepository(session).of_residents(holder.resident_ids)
        ],
        "appeals": [
            record(appeal, leave_out=NOT_THEIRS)
            for appeal in AppealRepository(session).of_people(holder.user_id, holder.resident_ids)
        ],
    }


def _erase(session: Session, erased: Erased) -> None:
    if erased.resident_id is not None:
        programmes = {
            programme.code: programme for programme in ProgrammeRepository(session).list()
        }
        for account in accounts_of_owner(session, OwnerType.resident, erased.resident_id):
            programme = programmes.get(account.purpose)
            if programme is None or programme.allowance_amount is None:
                continue  # another domain's account: it settles its own
            left = get_balance(session, account.id, now=erased.now).available
            if left <= 0:
                continue
            issuance = issuance_account(session, programme)
            post_transaction(
                session,
                idempotency_key=f"erasure:{erased.erasure_id}:{account.id}",
                kind=ERASURE_KIND,
                postings=[PostingInput(account.id, -left), PostingInput(issuance.id, left)],
                reference=f"erasure:{erased.erasure_id}",
                metadata={"programme": programme.code},
                created_by=erased.actor_id,
                now=erased.now,
            )
    for appeal in AppealRepository(session).of_people(
        erased.user_id, [erased.resident_id] if erased.resident_id is not None else []
    ):
        appeal.message = ""
    session.flush()


EXPORT = ExportSection(export=_export)
ERASURE = ErasureStep(erase=_erase)
