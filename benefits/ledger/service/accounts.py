"""The ledger's accounts: one per owner, purpose and unit, made when first needed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    AccountNotFound,
    AccountSettingsMismatch,
    InvalidAccountOwner,
    UnitMismatch,
)
from benefits.ledger.models import Account, OwnerType, Unit
from benefits.ledger.repository.accounts import AccountRepository
from benefits.ledger.repository.posting import PostingRepository

MAX_PURPOSE_LENGTH = 50


def get_or_create_account(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_id: uuid.UUID | None,
    purpose: str,
    unit: Unit | str,
    allow_negative: bool = False,
) -> Account:
    """The owner's account for this purpose and unit, made if it does not exist yet.

    Safe when two callers make the same account at once: one row is made and both get it.
    """
    owner = owner_type_of(owner_type)
    unit_value = checked_unit(unit)
    if owner is OwnerType.city and owner_id is not None:
        raise InvalidAccountOwner(problem="the city's accounts have no owner id")
    if owner is not OwnerType.city and owner_id is None:
        raise InvalidAccountOwner(problem="an owner id is required")
    if not purpose or len(purpose) > MAX_PURPOSE_LENGTH:
        raise InvalidAccountOwner(problem=f"purpose must be 1 to {MAX_PURPOSE_LENGTH} characters")
    repository = AccountRepository(session)
    account = repository.account_by_owner(owner.value, owner_id, purpose, unit_value)
    if account is None:
        account = repository.insert_account_if_absent(
            {
                "id": uuid.uuid4(),
                "owner_type": owner.value,
                "owner_id": owner_id,
                "purpose": purpose,
                "unit": unit_value,
                "allow_negative": allow_negative,
                "balance": 0,
                "held_out": 0,
                "held_in": 0,
            }
        )
    if account is None:  # made by a concurrent caller between our read and our insert
        account = repository.account_by_owner(owner.value, owner_id, purpose, unit_value)
    if account is None:  # pragma: no cover - the insert conflicted, so the row exists
        raise RuntimeError("the account was neither found nor made")
    if account.allow_negative != allow_negative:
        raise AccountSettingsMismatch()
    return account


def create_accounts(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_id: uuid.UUID,
    purposes: Sequence[str],
    unit: Unit | str,
) -> None:
    """Make the owner's accounts for these purposes (not below zero) in one statement, leaving
    any that exists as it is. Safe when two callers make them at once."""
    owner = owner_type_of(owner_type)
    if owner is OwnerType.city:
        raise InvalidAccountOwner(problem="the city's accounts have no owner id")
    if any(not purpose or len(purpose) > MAX_PURPOSE_LENGTH for purpose in purposes):
        raise InvalidAccountOwner(problem=f"purpose must be 1 to {MAX_PURPOSE_LENGTH} characters")
    unit_value = checked_unit(unit)
    AccountRepository(session).insert_accounts_if_absent(
        [
            {
                "id": uuid.uuid4(),
                "owner_type": owner.value,
                "owner_id": owner_id,
                "purpose": purpose,
                "unit": unit_value,
                "allow_negative": False,
                "balance": 0,
                "held_out": 0,
                "held_in": 0,
            }
            for purpose in purposes
        ]
    )


def accounts_of_owners(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_ids: Iterable[uuid.UUID],
    purposes: Sequence[str],
    unit: Unit | str,
) -> list[Account]:
    """The accounts these owners have for any of these purposes (none is made), by owner and
    then in the order of ``purposes``."""
    return list(
        AccountRepository(session).accounts_of_owners(
            owner_type_of(owner_type).value, owner_ids, purposes, checked_unit(unit)
        )
    )


def claim_account(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_id: uuid.UUID,
    purposes: Sequence[str],
    unit: Unit | str,
    at_least: int = 0,
) -> uuid.UUID | None:
    """Lock, without waiting, one of the owner's accounts for these purposes that no other
    transaction holds and that has at least ``at_least`` available (by its cached figures, which
    never count less reserved than is), chosen at random; None when there is none now.

    For money spread over several accounts of one owner so that concurrent writers need not
    queue on one row: each takes whichever account is free."""
    return AccountRepository(session).claim(
        owner_type_of(owner_type).value, owner_id, purposes, checked_unit(unit), at_least=at_least
    )


def claim_short_accounts(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_id: uuid.UUID,
    purposes: Sequence[str],
    unit: Unit | str,
    below: int,
    limit: int,
) -> list[uuid.UUID]:
    """Lock, without waiting, up to ``limit`` of the owner's accounts for these purposes that no
    other transaction holds and that have less than ``below`` available (by their cached
    figures): the ones to top up."""
    return list(
        AccountRepository(session).claim_short(
            owner_type_of(owner_type).value,
            owner_id,
            purposes,
            checked_unit(unit),
            below=below,
            limit=limit,
        )
    )


def lock_accounts(session: Session, account_ids: Iterable[uuid.UUID]) -> None:
    """Lock these accounts (in the one fixed order every write takes), waiting for any other
    writer, and hold them until the transaction ends: for a caller that must take a set of
    accounts before another one."""
    PostingRepository(session).lock_accounts(account_ids)


def get_account(session: Session, account_id: uuid.UUID) -> Account:
    account = AccountRepository(session).account(account_id)
    if account is None:
        raise AccountNotFound()
    return account


def accounts_of_owner(
    session: Session, owner_type: OwnerType | str, owner_id: uuid.UUID | None
) -> list[Account]:
    return list(AccountRepository(session).accounts_of_owner(owner_type_of(owner_type), owner_id))


def owner_type_of(value: OwnerType | str) -> OwnerType:
    try:
        return OwnerType(value)
    except ValueError as exc:
        raise InvalidAccountOwner(problem=f"unknown owner type {str(value)[:20]!r}") from exc


def checked_unit(value: Unit | str) -> str:
    try:
        return Unit(value).value
    except ValueError as exc:
        raise UnitMismatch() from exc
