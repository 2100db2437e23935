"""The ledger's accounts: found by id or by owner, and made once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from benefits.ledger.models import Account
from benefits.ledger.repository.base import RepositoryBase
from kernel.kit.inserts import insert_if_absent


class AccountRepository(RepositoryBase):
    def accounts(self, account_ids: Iterable[uuid.UUID]) -> Sequence[Account]:
        """These accounts, read afresh, in one statement."""
        wanted = sorted(set(account_ids))
        if not wanted:
            return []
        return self.session.scalars(
            select(Account).where(Account.id.in_(wanted)).execution_options(populate_existing=True)
        ).all()

    def accounts_by_owners(
        self, owner_type: str, owner_ids: Iterable[uuid.UUID], purpose: str, unit: str
    ) -> Sequence[Account]:
        """The accounts for this purpose and unit of those of these owners who have one, read
        afresh, in one statement."""
        wanted = sorted(set(owner_ids))
        if not wanted:
            return []
        return self.session.scalars(
            select(Account)
            .where(
                Account.owner_type == owner_type,
                Account.owner_id.in_(wanted),
                Account.purpose == purpose,
                Account.unit == unit,
            )
            .execution_options(populate_existing=True)
        ).all()

    def accounts_of_owners(
        self, owner_type: str, owner_ids: Iterable[uuid.UUID], purposes: Sequence[str], unit: str
    ) -> Sequence[Account]:
        """The accounts of these owners for any of these purposes, in this unit, read afresh, in
        one statement (ordered by owner, then by the order of ``purposes``)."""
        wanted = sorted(set(owner_ids))
        if not wanted or not purposes:
            return []
        accounts = self.session.scalars(
            select(Account)
            .where(
                Account.owner_type == owner_type,
                Account.owner_id.in_(wanted),
                Account.purpose.in_(list(purposes)),
                Account.unit == unit,
            )
            .execution_options(populate_existing=True)
        ).all()
        rank = {purpose: index for index, purpose in enumerate(purposes)}
        return sorted(accounts, key=lambda a: (str(a.owner_id), rank[a.purpose]))

    def claim(
        self,
        owner_type: str,
        owner_id: uuid.UUID,
        purposes: Sequence[str],
        unit: str,
        *,
        at_least: int,
    ) -> uuid.UUID | None:
        """Lock one of the owner's accounts for these purposes that no other transaction holds
        and whose cached figures leave at least ``at_least`` available, chosen at random; None
        when there is none now. It never waits: a locked account is skipped (PostgreSQL's SKIP
        LOCKED; SQLite's writers take turns on the whole database anyway)."""
        return self.session.scalar(
            select(Account.id)
            .where(
                Account.owner_type == owner_type,
                Account.owner_id == owner_id,
                Account.purpose.in_(list(purposes)),
                Account.unit == unit,
                Account.balance - Account.held_out >= at_least,
            )
            .order_by(func.random())
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    def claim_short(
        self,
        owner_type: str,
        owner_id: uuid.UUID,
        purposes: Sequence[str],
        unit: str,
        *,
        below: int,
        limit: int,
    ) -> Sequence[uuid.UUID]:
        """Lock up to ``limit`` of the owner's accounts for these purposes that no other
        transaction holds and whose cached figures leave less than ``below`` available, in the
        ledger's order; it never waits (a locked account is skipped)."""
        return self.session.scalars(
            select(Account.id)
            .where(
                Account.owner_type == owner_type,
                Account.owner_id == owner_id,
                Account.purpose.in_(list(purposes)),
                Account.unit == unit,
                Account.balance - Account.held_out < below,
            )
            .order_by(Account.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()

    def account(self, account_id: uuid.UUID, *, fresh: bool = False) -> Account | None:
        return self.session.get(Account, account_id, populate_existing=fresh)

    def account_by_owner(
        self, owner_type: str, owner_id: uuid.UUID | None, purpose: str, unit: str
    ) -> Account | None:
        owner = Account.owner_id.is_(None) if owner_id is None else Account.owner_id == owner_id
        return self.session.scalar(
            select(Account).where(
                Account.owner_type == owner_type,
                owner,
                Account.purpose == purpose,
                Account.unit == unit,
            )
        )

    def insert_account_if_absent(self, values: dict[str, Any]) -> Account | None:
        """The new account, or None when one with the same owner, purpose and unit exists."""
        statement = insert_if_absent(self.session, Account).values(**values).returning(Account)
        account: Account | None = self.session.scalar(statement)
        return account

    def insert_accounts_if_absent(self, rows: list[dict[str, Any]]) -> None:
        """Several accounts in one statement; one that exists already is left as it is."""
        if rows:
            self.session.execute(insert_if_absent(self.session, Account).values(rows))

    def accounts_of_owner(self, owner_type: str, owner_id: uuid.UUID | None) -> Sequence[Account]:
        owner = Account.owner_id.is_(None) if owner_id is None else Account.owner_id == owner_id
        return self.session.scalars(
            select(Account)
            .where(Account.owner_type == owner_type, owner)
            .order_by(Account.purpose, Account.unit, Account.id)
        ).all()
