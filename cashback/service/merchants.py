"""Businesses in the scheme: applying, a clerk's decisions, their staff accounts, where they are,
and what the city owes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits.ledger.models import OwnerType, Unit
from benefits.ledger.service.balances import balances_of_owners
from cashback import earning, notices
from cashback.exceptions import (
    STANDING,
    AddressNotInCity,
    AlreadyMerchantStaff,
    InvalidMerchantTransition,
    InvalidRegistryNumber,
    MerchantNotApproved,
    MerchantNotFound,
    NotAMerchantAccount,
    NotMerchantStaff,
    RegistryNumberTaken,
)
from cashback.models import BusinessCategory, Merchant, MerchantStatus
from cashback.repository.merchants import MerchantRepository
from cashback.service import accounts
from resident_card.accounts.models import Role
from resident_card.accounts.repository import UserRepository
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood, Street


@dataclass(frozen=True)
class Application:
    registry_number: str
    name: str
    category: BusinessCategory
    street_code: str
    house_number: int


def apply(
    session: Session,
    application: Application,
    *,
    actor_id: uuid.UUID,
    as_staff: bool,
    now: datetime,
) -> Merchant:
    """A business applies to the scheme (pending until a clerk decides).

    ``as_staff``: the applicant (any active account that belongs to no business yet: a resident
    applies with the login they already have) becomes the business's first staff account and its
    owner; the ``merchant`` role comes with the clerk's approval (``grant_owner_role``). A clerk
    filing a paper application does not.
    """
    registry_number = earning.normalise_registry_number(application.registry_number)
    if registry_number is None:
        raise InvalidRegistryNumber()
    street = city.street_by_code(session, application.street_code)
    if street is None:
        raise AddressNotInCity()
    neighbourhood = city.neighbourhood_for(session, street, application.house_number)
    if neighbourhood is None:
        raise AddressNotInCity()
    repository = MerchantRepository(session)
    if as_staff:
        _check_can_apply(session, actor_id)
    if repository.registry_number_taken(registry_number):
        raise RegistryNumberTaken()
    merchant = Merchant(
        id=uuid.uuid4(),
        created_at=now,
        registry_number=registry_number,
        name=application.name,
        category=application.category.value,
        street_id=street.id,
        house_number=application.house_number,
        neighbourhood_id=neighbourhood.id,
        status=MerchantStatus.pending.value,
        applied_by=actor_id,
    )
    try:
        with session.begin_nested():
            repository.add(merchant)
    except IntegrityError as exc:  # the same number, registered at this very moment
        raise RegistryNumberTaken() from exc
    if as_staff and not repository.add_staff_if_absent(merchant.id, actor_id):
        raise AlreadyMerchantStaff()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.apply",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        after={"status": merchant.status, "category": merchant.category, "name": merchant.name},
    )
    return merchant


def _check_can_apply(session: Session, user_id: uuid.UUID) -> None:
    user = UserRepository(session).get(user_id)
    if user is None or not user.is_active:
        raise NotAMerchantAccount()
    if MerchantRepository(session).staff_link(user_id) is not None:
        raise AlreadyMerchantStaff()


def grant_owner_role(session: Session, merchant: Merchant) -> None:
    """An approved business's owner (the account that applied, while it works there) may use the
    till: their account gains the ``merchant`` role beside the roles it has, so one login serves
    a resident who is also a shop owner."""
    if merchant.applied_by is None:
        return
    link = MerchantRepository(session).staff_link(merchant.applied_by)
    if link is None or link.merchant_id != merchant.id:
        return
    user = UserRepository(session).get_for_update(merchant.applied_by)
    if user is not None and not user.has_role(Role.merchant):
        user.roles = sorted({*user.roles, Role.merchant.value})
        session.flush()


def _check_can_be_staff(session: Session, user_id: uuid.UUID) -> None:
    user = UserRepository(session).get(user_id)
    if user is None or not user.has_role(Role.merchant):
        raise NotAMerchantAccount()
    if MerchantRepository(session).staff_link(user_id) is not None:
        raise AlreadyMerchantStaff()


# Which status a clerk may move a business to, from which.
TRANSITIONS: dict[MerchantStatus, frozenset[MerchantStatus]] = {
    MerchantStatus.pending: frozenset({MerchantStatus.approved, MerchantStatus.rejected}),
    MerchantStatus.approved: frozenset({MerchantStatus.suspended}),
    MerchantStatus.suspended: frozenset({MerchantStatus.approved, MerchantStatus.rejected}),
    MerchantStatus.rejected: frozenset(),
}


def change_status(
    session: Session,
    merchant_id: uuid.UUID,
    *,
    to: MerchantStatus,
    reason: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> Merchant:
    """A clerk approves, suspends or rejects a business, with a reason (written to the audit log)."""
    merchant = MerchantRepository(session).get(merchant_id, for_update=True)
    if merchant is None:
        raise MerchantNotFound()
    before = MerchantStatus(merchant.status)
    if to not in TRANSITIONS[before]:
        raise InvalidMerchantTransition(before=before.value, after=to.value)
    merchant.status = to.value
    merchant.status_reason = reason
    merchant.status_changed_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action=f"cashback.merchant.{to.value}",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        before={"status": before.value},
        after={"status": to.value},
        reason=reason,
    )
    if to == MerchantStatus.approved:
        grant_owner_role(session, merchant)
        notices.business_approved(session, merchant)
    return merchant


def add_staff(
    session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID, *, actor_id: uuid.UUID
) -> None:
    """A clerk makes a ``merchant`` account staff of a business (audited)."""
    repository = MerchantRepository(session)
    if repository.get(merchant_id) is None:
        raise MerchantNotFound()
    _check_can_be_staff(session, user_id)
    if not repository.add_staff_if_absent(merchant_id, user_id):
        raise AlreadyMerchantStaff()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.add_staff",
        subject_type="cashback_merchant",
        subject_id=merchant_id,
        after={"user_id": str(user_id)},
    )


def remove_staff(
    session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID, *, actor_id: uuid.UUID
) -> None:
    repository = MerchantRepository(session)
    link = repository.staff_link(user_id)
    if link is None or link.merchant_id != merchant_id:
        raise MerchantNotFound()
    repository.remove_staff(link)
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.remove_staff",
        subject_type="cashback_merchant",
        subject_id=merchant_id,
        before={"user_id": str(user_id)},
    )


def staff_merchant(session: Session, user_id: uuid.UUID) -> Merchant:
    """The business a staff account belongs to."""
    merchant = MerchantRepository(session).merchant_of_staff(user_id)
    if merchant is None:
        raise NotMerchantStaff()
    return merchant


def get_merchant(session: Session, merchant_id: uuid.UUID) -> Merchant:
    merchant = MerchantRepository(session).get(merchant_id)
    if merchant is None:
        raise MerchantNotFound()
    return merchant


def list_merchants(
    session: Session, *, status: MerchantStatus | None, limit: int, offset: int
) -> Sequence[Merchant]:
    return MerchantRepository(session).list(
        status=status.value if status else None, limit=limit, offset=offset
    )


def places(
    session: Session, merchants: Sequence[Merchant]
) -> dict[uuid.UUID, tuple[Street, Neighbourhood]]:
    """Where each business is: its street and its neighbourhood."""
    return MerchantRepository(session).places(merchants)


def staff_of_each(
    session: Session, merchants: Sequence[Merchant]
) -> Mapping[uuid.UUID, Sequence[uuid.UUID]]:
    """Each business's staff accounts, by business."""
    return MerchantRepository(session).staff_of_each(m.id for m in merchants)


def neighbourhood_code(session: Session, merchant: Merchant) -> str:
    return MerchantRepository(session).neighbourhood_codes([merchant.neighbourhood_id])[
        merchant.neighbourhood_id
    ]


def owed_to(session: Session, merchant: Merchant, *, now: datetime) -> int:
    """What the city owes the business now (redemptions not yet settled)."""
    return owed_to_each(session, [merchant], now=now)[merchant.id]


def owed_to_each(
    session: Session, merchants: Sequence[Merchant], *, now: datetime
) -> dict[uuid.UUID, int]:
    """What the city owes each business now, by business. Reading makes no account: a business
    that no redemption has reached has none in the ledger yet, and is owed nothing; its account
    is made where money is first posted to it (``accounts.owed_account``)."""
    balances = balances_of_owners(
        session,
        owner_type=OwnerType.merchant,
        owner_ids=[m.id for m in merchants],
        purpose=accounts.OWED,
        unit=Unit.ILS,
        now=now,
    )
    return {m.id: balances[m.id].posted if m.id in balances else 0 for m in merchants}


def check_approved(merchant: Merchant) -> None:
    if merchant.status != MerchantStatus.approved:
        raise MerchantNotApproved(status=STANDING[merchant.status])
