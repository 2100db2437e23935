"""Claims on a registered identity: an enrolment that gave an identifier another resident's record
already holds, answered as any new enrolment and decided by a clerk. Never commits.

The enrolment keeps a pending record of its own under a stand-in identifier hash, so the answer,
the enrolment's record and its requests timeline are those of any new enrolment, and nobody
learns from them that the identifier was registered. The holder's record is not touched, and its
accounts are told. A clerk then refuses the claim (the enrolment is refused, as any other), or
accepts it: the holder's record passes to the claimant's account (a lost account; a stolen one
given back), the account that held it before no longer does, and the claimant's own record is
closed. Either way that record ends rejected, with the clerk's reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.models import Role
from resident_card.accounts.repository import UserRepository
from resident_card.audit import service as audit
from resident_card.residents import notices
from resident_card.residents.exceptions import NoOpenClaim, ResidentNotFound
from resident_card.residents.identifiers import ProtectedIdentifier, stand_in_hash
from resident_card.residents.models import ClaimState, IdentityClaim, ResidencyStatus, Resident
from resident_card.residents.repository import ClaimRepository, ResidentRepository
from resident_card.residents.service import residency


def stand_in(
    settings: Settings, protected: ProtectedIdentifier, claim_id: uuid.UUID
) -> ProtectedIdentifier:
    """What the claimant's record keeps of the identifier: its kind and last characters, as the
    enrolment gave them, and a hash of its own in place of the identifier's."""
    key = settings.id_hash_key.get_secret_value()
    return ProtectedIdentifier(
        kind=protected.kind, hash=stand_in_hash(key, claim_id), hint=protected.hint
    )


def open_claim(
    session: Session,
    *,
    claim_id: uuid.UUID,
    claimant: Resident,
    holder: Resident,
    matches_record: bool,
) -> IdentityClaim:
    """Record the claim; nothing of the holder's changes. The worker tells the holder's accounts
    (``tell_holders``): posting a notice here would make this answer slower than a new one's."""
    return ClaimRepository(session).add(
        IdentityClaim(
            id=claim_id,
            claimant_id=claimant.id,
            holder_id=holder.id,
            matches_record=matches_record,
            state=ClaimState.open.value,
        )
    )


def tell_holders(session: Session, *, now: datetime, limit: int = 100) -> int:
    """Tell the accounts of each holder whose identifier a new claim gave; how many were told."""
    residents = ResidentRepository(session)
    found = ClaimRepository(session).untold(limit=limit)
    for claim in found:
        holder = residents.get(claim.holder_id)
        assert holder is not None  # a foreign key keeps it there
        notices.identity_claimed(session, holder, claim_id=claim.id)
        claim.holder_told_at = now
    session.flush()
    return len(found)


def claim_of(session: Session, claimant_id: uuid.UUID) -> IdentityClaim | None:
    """The claim this resident's enrolment makes on a registered identity, if it makes one."""
    return ClaimRepository(session).of_claimant(claimant_id)


def states_of(session: Session, claimant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The state of each of these residents' claims, for those whose enrolment makes one."""
    return ClaimRepository(session).states_of(claimant_ids)


def decide(
    session: Session,
    settings: Settings,
    *,
    claimant_id: uuid.UUID,
    accept: bool,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Resident:
    """Refuse or accept an open claim, with a reason; written to the audit log. The claimant's
    record, rejected either way, is returned."""
    residents = ResidentRepository(session)
    claimant = residents.get_for_update(claimant_id)
    if claimant is None:
        raise ResidentNotFound()
    claim = ClaimRepository(session).of_claimant(claimant_id, for_update=True)
    if claim is None or claim.state != ClaimState.open:
        raise NoOpenClaim()
    holder = residents.get_for_update(claim.holder_id)
    assert holder is not None  # a foreign key keeps it there
    claim.state = (ClaimState.accepted if accept else ClaimState.refused).value
    claim.decided_by = actor_id
    claim.decided_at = now
    claim.reason = reason
    session.flush()

    account = claimant.user_id
    former = holder.user_id
    if accept and account is not None:
        # One account per record: the claimant's is freed before the holder's record takes it.
        claimant.user_id = None
        holder.user_id = None
        session.flush()
        holder.user_id = account
        holder.email = claimant.email or holder.email
        holder.phone = claimant.phone or holder.phone
        session.flush()
        _close_former(session, former, actor_id=actor_id, reason=reason, now=now)
    # Refused, the claimant's account is told as for any refused enrolment; accepted, the record
    # has no account any more, and the notices below tell what happened.
    residency.change_status(
        session,
        settings,
        resident_id=claimant.id,
        status=ResidencyStatus.rejected,
        reason=reason,
        actor_id=actor_id,
        now=now,
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.claim",
        subject_type="resident",
        subject_id=holder.id,
        before={"user_id": str(former) if former else None},
        after={
            "claimant_id": str(claimant.id),
            "state": claim.state,
            "user_id": str(holder.user_id) if holder.user_id else None,
        },
        reason=reason,
    )
    if accept and account is not None:
        notices.record_passed(session, holder, to_account=account, from_account=former)
    return claimant


def _close_former(
    session: Session,
    former: uuid.UUID | None,
    *,
    actor_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> None:
    """The account that held the record before: a resident's account and nothing else is disabled
    (its refresh tokens revoked); a staff account keeps its other work."""
    if former is None:
        return
    user = UserRepository(session).get(former)
    if user is None or set(user.roles) != {Role.resident.value}:
        return
    accounts.set_active(session, user=user, active=False, actor_id=actor_id, reason=reason, now=now)
