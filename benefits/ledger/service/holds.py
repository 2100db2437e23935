"""Holds (two-phase transfers): reserve now; later capture, release, or let expire."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    HoldAlreadyCaptured,
    HoldAlreadyReleased,
    HoldExpired,
    HoldNotFound,
    InsufficientBalance,
    InvalidCaptureAmount,
    InvalidExpiry,
    PartialCaptureNotSupported,
)
from benefits.ledger.models import Hold, HoldPosting, HoldStatus, Transaction
from benefits.ledger.repository.holds import HoldRepository
from benefits.ledger.repository.posting import PostingRepository
from benefits.ledger.service.posting import (
    Effect,
    Plan,
    PostingInput,
    apply_plan,
    check_available,
    check_figures_in_range,
    check_request,
    fingerprint,
    found,
    plan_postings,
    post,
    replayed,
)

EXPIRY_BATCH = 500


def create_hold(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    expires_at: datetime,
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> Hold:
    """Reserve a transfer: the paying side's available balance drops now, the receiving side sees
    it as pending. Later ``capture_hold`` posts it, ``release_hold`` voids it, or it expires."""
    check_request(idempotency_key, kind, reference, postings)
    if expires_at <= now:
        raise InvalidExpiry()
    details = dict(metadata or {})
    request_hash = fingerprint(
        kind=kind,
        postings=postings,
        reference=reference,
        metadata=details,
        effective_at=None,
        extra={"expires_at": expires_at.isoformat()},
    )
    repository = HoldRepository(session)
    writes = PostingRepository(session)
    locked = writes.lock_accounts((p.account_id for p in postings), key=idempotency_key, keyed=Hold)
    if locked.existing_id is not None:
        return replayed(found(repository.hold(locked.existing_id)), request_hash)
    plan = plan_postings(locked, postings)
    for posting in postings:
        effect = plan.effects[posting.account_id]
        if posting.amount < 0:
            effect.held_out += -posting.amount
        else:
            effect.held_in += posting.amount
    check_figures_in_range(plan)
    try:
        check_available(repository, plan, now)
    except InsufficientBalance:
        winner = repository.hold_by_key(idempotency_key)
        if winner is None:
            raise
        return replayed(winner, request_hash)
    values = {
        "id": uuid.uuid4(),
        "created_at": now,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "kind": kind,
        "reference": reference,
        "details": details,
        "created_by": created_by,
        "expires_at": expires_at,
        "status": HoldStatus.pending.value,
    }
    rows = [
        {"account_id": p.account_id, "amount": p.amount, "unit": plan.accounts[p.account_id].unit}
        for p in postings
    ]
    hold: Hold | None
    if writes.writes_in_one_statement:
        hold = writes.record_hold(values, rows, apply_plan(plan))
    else:
        hold = repository.insert_hold_if_absent(values)
        if hold is not None:
            repository.add_hold_postings([{"hold_id": hold.id, **row} for row in rows])
            writes.write_cached(apply_plan(plan))
    if hold is None:  # the same key, made concurrently: the winner's answer
        winner = repository.hold_by_key(idempotency_key)
        if winner is None:  # pragma: no cover - the insert conflicted on the key
            raise RuntimeError("the hold was neither found nor made")
        return replayed(winner, request_hash)
    return hold


def capture_hold(
    session: Session, hold_id: uuid.UUID, *, amount: int | None = None, now: datetime
) -> Transaction:
    """Post a pending hold, in full or (a two-posting hold) for a smaller amount; the rest of the
    reservation is freed."""
    repository = HoldRepository(session)
    hold = _pending_hold(repository, hold_id, now)
    held = list(repository.hold_postings_of([hold.id]))
    postings = [PostingInput(p.account_id, p.amount) for p in held]
    if amount is not None:
        full = sum(p.amount for p in held if p.amount > 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= full:
            raise InvalidCaptureAmount(maximum=full)
        if amount != full:
            if len(held) != 2:
                raise PartialCaptureNotSupported()
            postings = [
                PostingInput(p.account_id, amount if p.amount > 0 else -amount) for p in held
            ]
    releases: dict[uuid.UUID, Effect] = defaultdict(Effect)
    for posting in held:
        if posting.amount < 0:
            releases[posting.account_id].held_out -= -posting.amount
        else:
            releases[posting.account_id].held_in -= posting.amount
    transaction, _created = post(
        session,
        idempotency_key=f"hold:{hold.id}:capture",
        kind=hold.kind,
        postings=postings,
        reference=hold.reference,
        metadata={**hold.details, "hold_id": str(hold.id)},
        effective_at=None,
        created_by=hold.created_by,
        now=now,
        also=releases,
    )
    hold.status = HoldStatus.captured.value
    hold.resolved_at = now
    hold.captured_amount = sum(p.amount for p in postings if p.amount > 0)
    hold.transaction_id = transaction.id
    session.flush()
    return transaction


def release_hold(session: Session, hold_id: uuid.UUID, *, now: datetime) -> Hold:
    """Void a pending hold: what it reserved is available again."""
    repository = HoldRepository(session)
    hold = _pending_hold(repository, hold_id, now)
    _unreserve(repository, [hold])
    hold.status = HoldStatus.released.value
    hold.resolved_at = now
    session.flush()
    return hold


def expire_holds(session: Session, *, now: datetime) -> int:
    """Mark every pending hold past its expiry as expired and free what it reserved.

    Holds read after their expiry already count as expired; this tidies the cache and the status.
    """
    repository = HoldRepository(session)
    expired = 0
    while True:
        due = list(repository.due_holds(now, limit=EXPIRY_BATCH))
        if not due:
            return expired
        _unreserve(repository, due)
        for hold in due:
            hold.status = HoldStatus.expired.value
            hold.resolved_at = hold.expires_at
        session.flush()
        expired += len(due)


def get_hold(session: Session, hold_id: uuid.UUID) -> Hold:
    hold = HoldRepository(session).hold(hold_id)
    if hold is None:
        raise HoldNotFound()
    return hold


def hold_postings_of(session: Session, hold_id: uuid.UUID) -> list[HoldPosting]:
    return list(HoldRepository(session).hold_postings_of([hold_id]))


def lock_accounts_of_holds(session: Session, hold_ids: Sequence[uuid.UUID]) -> None:
    """Lock every account these holds touch, all at once in the one fixed order, before
    capturing or releasing them one by one."""
    if not hold_ids:
        return
    postings = HoldRepository(session).hold_postings_of(hold_ids)
    PostingRepository(session).lock_accounts(p.account_id for p in postings)


def _pending_hold(repository: HoldRepository, hold_id: uuid.UUID, now: datetime) -> Hold:
    """The hold, locked, if it is still pending; otherwise say what became of it."""
    hold = repository.hold(hold_id, for_update=True)
    if hold is None:
        raise HoldNotFound()
    if hold.status == HoldStatus.captured.value:
        raise HoldAlreadyCaptured()
    if hold.status == HoldStatus.released.value:
        raise HoldAlreadyReleased()
    if hold.status == HoldStatus.expired.value or hold.expires_at <= now:
        raise HoldExpired()
    return hold


def _unreserve(repository: HoldRepository, holds: Sequence[Hold]) -> None:
    postings = repository.hold_postings_of(hold.id for hold in holds)
    writes = PostingRepository(repository.session)
    locked = writes.lock_accounts(p.account_id for p in postings)
    plan = Plan(accounts=locked.accounts)
    for posting in postings:
        effect = plan.effects[posting.account_id]
        if posting.amount < 0:
            effect.held_out -= -posting.amount
        else:
            effect.held_in -= posting.amount
    writes.write_cached(apply_plan(plan))
