"""rows kept: TRUNCATE refused on the append-only tables and the ledger's holds, whose rows are
never deleted either (a hold is released or expires)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

from migrations.append_only import (
    allow_delete,
    allow_truncate,
    drop_truncate_function,
    refuse_delete,
    refuse_truncate,
)

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose UPDATE and DELETE triggers (migrations.append_only.protect) keep it append-only.
APPEND_ONLY = (
    "audit_log",
    "resident_status_changes",
    "ledger_transactions",
    "ledger_postings",
    "ledger_hold_postings",
    "eligibility_decisions",
    "cashback_card_token_uses",
    "cashback_refunds",
    "cashback_redemptions",
    "cashback_settlements",
)
HOLDS = "ledger_holds"


def upgrade() -> None:
    for table in (*APPEND_ONLY, HOLDS):
        refuse_truncate(table)
    refuse_delete(HOLDS)


def downgrade() -> None:
    allow_delete(HOLDS)
    for table in (*APPEND_ONLY, HOLDS):
        allow_truncate(table)
    drop_truncate_function()
