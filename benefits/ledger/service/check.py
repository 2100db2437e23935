"""The check behind ``toshav ledger check``: every figure rebuilt from postings and holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from benefits.ledger.repository.check import LedgerCheckRepository, Violation


@dataclass(frozen=True)
class LedgerCheck:
    accounts: int
    transactions: int
    postings: int
    holds: int
    violation: Violation | None

    @property
    def ok(self) -> bool:
        return self.violation is None


def check_ledger(session: Session) -> LedgerCheck:
    """Rebuild every figure from the postings and holds and compare: the first violation, or None."""
    repository = LedgerCheckRepository(session)
    counts = repository.counts()
    violation = next(repository.violations(), None)
    return LedgerCheck(
        accounts=counts["accounts"],
        transactions=counts["transactions"],
        postings=counts["postings"],
        holds=counts["holds"],
        violation=violation,
    )
