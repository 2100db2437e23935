"""cashback merchants, campaigns, purchases and settlement

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 18:07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows that record what happened, and are never changed afterwards.
APPEND_ONLY = (
    "cashback_card_token_uses",
    "cashback_refunds",
    "cashback_redemptions",
    "cashback_settlements",
)


def upgrade() -> None:
    op.create_table(
        "cashback_campaigns",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("min_purchase_agorot", sa.BigInteger(), nullable=False),
        sa.Column("cap_per_purchase_agorot", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_resident_month_agorot", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_resident_business_day_agorot", sa.BigInteger(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("neighbourhoods", sa.JSON(), nullable=False),
        sa.Column("programme_code", sa.String(length=50), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("budget_account_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_he", sa.String(length=120), nullable=False),
        sa.Column("name_ar", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "min_purchase_agorot >= 0", name=op.f("ck_cashback_campaigns_minimum_not_negative")
        ),
        sa.CheckConstraint(
            "rate_bp >= 1 AND rate_bp <= 10000", name=op.f("ck_cashback_campaigns_rate_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["budget_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_cashback_campaigns_budget_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_cashback_campaigns_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_campaigns")),
        sa.UniqueConstraint(
            "budget_account_id", name=op.f("uq_cashback_campaigns_budget_account_id")
        ),
        sa.UniqueConstraint("code", name=op.f("uq_cashback_campaigns_code")),
    )
    op.create_table(
        "cashback_merchants",
        sa.Column("registry_number", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("house_number", sa.Integer(), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'suspended', 'rejected')",
            name=op.f("ck_cashback_merchants_status_known"),
        ),
        sa.CheckConstraint(
            "house_number >= 1", name=op.f("ck_cashback_merchants_house_number_positive")
        ),
        sa.ForeignKeyConstraint(
            ["applied_by"], ["users.id"], name=op.f("fk_cashback_merchants_applied_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_cashback_merchants_neighbourhood_id_neighbourhoods"),
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_cashback_merchants_street_id_streets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_merchants")),
        sa.UniqueConstraint("registry_number", name=op.f("uq_cashback_merchants_registry_number")),
    )
    with op.batch_alter_table("cashback_merchants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cashback_merchants_category"), ["category"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cashback_merchants_neighbourhood_id"), ["neighbourhood_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cashback_merchants_status"), ["status"], unique=False)

    op.create_table(
        "cashback_card_token_uses",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("used_for", sa.String(length=12), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_card_token_uses_merchant_id_cashback_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_card_token_uses")),
        sa.UniqueConstraint("jti", name=op.f("uq_cashback_card_token_uses_jti")),
    )
    op.create_table(
        "cashback_merchant_staff",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_merchant_staff_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cashback_merchant_staff_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_merchant_staff")),
        sa.UniqueConstraint("user_id", name=op.f("uq_cashback_merchant_staff_user_id")),
    )
    with op.batch_alter_table("cashback_merchant_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cashback_merchant_staff_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "cashback_settlements",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("purchases_agorot", sa.BigInteger(), nullable=False),
        sa.Column("cashback_agorot", sa.BigInteger(), nullable=False),
        sa.Column("refunds_agorot", sa.BigInteger(), nullable=False),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("paid_agorot", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("statement_csv", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_settlements_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_cashback_settlements_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_settlements")),
        sa.UniqueConstraint(
            "merchant_id", "period", name=op.f("uq_cashback_settlements_merchant_id_period")
        ),
    )
    op.create_table(
        "cashback_purchases",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("amount_agorot", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.Column("cashback_agorot", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_agorot", sa.BigInteger(), nullable=False),
        sa.Column("cashback_returned_agorot", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_agorot >= 1", name=op.f("ck_cashback_purchases_amount_positive")
        ),
        sa.CheckConstraint(
            "cashback_agorot >= 1", name=op.f("ck_cashback_purchases_cashback_positive")
        ),
        sa.CheckConstraint(
            "cashback_returned_agorot >= 0 AND cashback_returned_agorot <= cashback_agorot",
            name=op.f("ck_cashback_purchases_returned_in_range"),
        ),
        sa.CheckConstraint(
            "refunded_agorot >= 0 AND refunded_agorot <= amount_agorot",
            name=op.f("ck_cashback_purchases_refunds_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["cashback_campaigns.id"],
            name=op.f("fk_cashback_purchases_campaign_id_cashback_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["eligibility_decisions.id"],
            name=op.f("fk_cashback_purchases_decision_id_eligibility_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["ledger_holds.id"],
            name=op.f("fk_cashback_purchases_hold_id_ledger_holds"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_purchases_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_cashback_purchases_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["users.id"], name=op.f("fk_cashback_purchases_staff_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_purchases")),
        sa.UniqueConstraint(
            "merchant_id",
            "idempotency_key",
            name=op.f("uq_cashback_purchases_merchant_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("cashback_purchases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cashback_purchases_campaign_id_resident_id_created_at",
            ["campaign_id", "resident_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cashback_purchases_merchant_id_created_at",
            ["merchant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cashback_purchases_released_at_available_at",
            ["released_at", "available_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cashback_purchases_resident_id_created_at",
            ["resident_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "cashback_redemptions",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("amount_agorot", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=True),
        sa.Column("balance_after_agorot", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_agorot >= 1", name=op.f("ck_cashback_redemptions_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_redemptions_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_cashback_redemptions_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["users.id"],
            name=op.f("fk_cashback_redemptions_staff_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_cashback_redemptions_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_redemptions")),
        sa.UniqueConstraint(
            "merchant_id",
            "idempotency_key",
            name=op.f("uq_cashback_redemptions_merchant_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("cashback_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cashback_redemptions_merchant_id_created_at",
            ["merchant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_cashback_redemptions_resident_id"), ["resident_id"], unique=False
        )

    op.create_table(
        "cashback_wallets",
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("cashback_account_id", sa.Uuid(), nullable=False),
        sa.Column("receivable_account_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cashback_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_cashback_wallets_cashback_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["receivable_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_cashback_wallets_receivable_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_cashback_wallets_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_wallets")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_cashback_wallets_resident_id")),
    )
    op.create_table(
        "cashback_flags",
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("signal", sa.String(length=30), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("resolution_reason", sa.String(length=500), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'resolved')", name=op.f("ck_cashback_flags_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_flags_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["cashback_purchases.id"],
            name=op.f("fk_cashback_flags_purchase_id_cashback_purchases"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_cashback_flags_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_flags")),
        sa.UniqueConstraint(
            "purchase_id", "signal", name=op.f("uq_cashback_flags_purchase_id_signal")
        ),
    )
    with op.batch_alter_table("cashback_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cashback_flags_merchant_id"), ["merchant_id"], unique=False
        )
        batch_op.create_index(
            "ix_cashback_flags_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "cashback_refunds",
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("amount_agorot", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=True),
        sa.Column("cashback_taken_back_agorot", sa.BigInteger(), nullable=False),
        sa.Column("from_hold_agorot", sa.BigInteger(), nullable=False),
        sa.Column("from_balance_agorot", sa.BigInteger(), nullable=False),
        sa.Column("shortfall_agorot", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_agorot >= 1", name=op.f("ck_cashback_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["cashback_merchants.id"],
            name=op.f("fk_cashback_refunds_merchant_id_cashback_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["cashback_purchases.id"],
            name=op.f("fk_cashback_refunds_purchase_id_cashback_purchases"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["users.id"], name=op.f("fk_cashback_refunds_staff_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_cashback_refunds_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cashback_refunds")),
        sa.UniqueConstraint(
            "purchase_id",
            "idempotency_key",
            name=op.f("uq_cashback_refunds_purchase_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("cashback_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cashback_refunds_merchant_id"), ["merchant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cashback_refunds_purchase_id"), ["purchase_id"], unique=False
        )

    for table in APPEND_ONLY:
        protect(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        unprotect(table)
    with op.batch_alter_table("cashback_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cashback_refunds_purchase_id"))
        batch_op.drop_index(batch_op.f("ix_cashback_refunds_merchant_id"))

    op.drop_table("cashback_refunds")
    with op.batch_alter_table("cashback_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_cashback_flags_status_created_at")
        batch_op.drop_index(batch_op.f("ix_cashback_flags_merchant_id"))

    op.drop_table("cashback_flags")
    op.drop_table("cashback_wallets")
    with op.batch_alter_table("cashback_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cashback_redemptions_resident_id"))
        batch_op.drop_index("ix_cashback_redemptions_merchant_id_created_at")

    op.drop_table("cashback_redemptions")
    with op.batch_alter_table("cashback_purchases", schema=None) as batch_op:
        batch_op.drop_index("ix_cashback_purchases_resident_id_created_at")
        batch_op.drop_index("ix_cashback_purchases_released_at_available_at")
        batch_op.drop_index("ix_cashback_purchases_merchant_id_created_at")
        batch_op.drop_index("ix_cashback_purchases_campaign_id_resident_id_created_at")

    op.drop_table("cashback_purchases")
    op.drop_table("cashback_settlements")
    with op.batch_alter_table("cashback_merchant_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cashback_merchant_staff_merchant_id"))

    op.drop_table("cashback_merchant_staff")
    op.drop_table("cashback_card_token_uses")
    with op.batch_alter_table("cashback_merchants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cashback_merchants_status"))
        batch_op.drop_index(batch_op.f("ix_cashback_merchants_neighbourhood_id"))
        batch_op.drop_index(batch_op.f("ix_cashback_merchants_category"))

    op.drop_table("cashback_merchants")
    op.drop_table("cashback_campaigns")
