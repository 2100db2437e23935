"""Group commit: standalone transactions from many callers posted together in one database
transaction, each caller answered with its own result.

A standalone transaction is one that nothing else must commit with (a transfer, a grant with no
record beside it). ``LedgerBatcher.submit`` checks the request and fingerprints it in the
caller's thread and returns a future; the batcher's writer takes everything waiting (up to its
bound) and runs ``post_batch`` in one transaction of its own: every account of the batch locked
in the one fixed order and every key looked up in one statement, each transaction judged in turn
by the same ``plan_postings``/``settle`` as ``post``, against the figures the batch's earlier
ones left, every accepted one written in one more statement, one commit. A refused transaction
(overdraft, unbalanced, missing account, key reused for a different request) is answered with
its own error and writes nothing; the others commit. A key repeated within a batch gets the
first one's answer. Callers are answered only after the commit. When the database fails a batch
(nothing of it written), each of its requests is posted again alone, so only the failing one
fails.

A transaction that must commit with other rows (a purchase and its cashback, an adjustment and
its audit record) takes ``post`` inside its own business transaction, as before.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import InsufficientBalance
from benefits.ledger.metrics import TRANSACTIONS
from benefits.ledger.models import Transaction
from benefits.ledger.repository.batches import BatchRepository
from benefits.ledger.repository.holds import HoldRepository
from benefits.ledger.repository.posting import Locked, LockedAccount
from benefits.ledger.repository.transactions import TransactionRepository
from benefits.ledger.service.posting import (
    PostingInput,
    check_request,
    fingerprint,
    found,
    plan_postings,
    replayed,
    same_request,
    settle,
    winner_or,
)
from kernel.database import own_transaction
from kernel.errors import ToshavError
from kernel.metrics import count_when_committed

logger = logging.getLogger(__name__)

# A batch whose keys were taken meanwhile by writers outside it is tried again this many times.
ATTEMPTS = 5


@dataclass(frozen=True)
class Posted:
    """A batched request's answer: the transaction posted under its key (by this request, or by
    the first one that carried the key: ``created`` False), as ``post_transaction_once`` gives it.
    Plain values, not a row of any session: the batch's session is gone when it is read."""

    id: uuid.UUID
    idempotency_key: str
    kind: str
    reference: str | None
    effective_at: datetime
    created_at: datetime
    created_by: uuid.UUID | None
    details: dict[str, Any]
    reverses: uuid.UUID | None
    created: bool

    @classmethod
    def of(cls, transaction: Transaction, *, created: bool) -> Posted:
        return cls(
            id=transaction.id,
            idempotency_key=transaction.idempotency_key,
            kind=transaction.kind,
            reference=transaction.reference,
            effective_at=transaction.effective_at,
            created_at=transaction.created_at,
            created_by=transaction.created_by,
            details=transaction.details,
            reverses=transaction.reverses,
            created=created,
        )


Outcome = Posted | ToshavError


@dataclass(frozen=True)
class Standalone:
    """One standalone transaction to post, checked and fingerprinted (``standalone``)."""

    idempotency_key: str
    kind: str
    postings: tuple[PostingInput, ...]
    reference: str | None
    metadata: dict[str, Any]
    effective_at: datetime | None
    created_by: uuid.UUID | None
    now: datetime
    request_hash: str


def standalone(
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    effective_at: datetime | None = None,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> Standalone:
    """A request as ``post_transaction`` takes it, checked (a malformed one is refused here) and
    fingerprinted as ``post`` does, so a retry through either path is recognised."""
    check_request(idempotency_key, kind, reference, postings)
    details = dict(metadata or {})
    return Standalone(
        idempotency_key=idempotency_key,
        kind=kind,
        postings=tuple(postings),
        reference=reference,
        metadata=details,
        effective_at=effective_at,
        created_by=created_by,
        now=now,
        request_hash=fingerprint(
            kind=kind,
            postings=postings,
            reference=reference,
            metadata=details,
            effective_at=effective_at,
        ),
    )


class KeyTakenMeanwhile(Exception):
    """A key of the batch was committed by a writer outside it after the batch looked: the batch
    is rolled back and tried again (it then finds the key)."""


def post_batch(session: Session, batch: Sequence[Standalone]) -> list[Outcome]:
    """Post each standalone transaction of the batch, in order, in the session's transaction;
    each one's answer (as ``post`` gives it) or the error that refused it. Never commits."""
    repository = BatchRepository(session)
    transactions = TransactionRepository(session)
    holds = HoldRepository(session)
    accounts, taken = repository.lock_batch(
        (p.account_id for asked in batch for p in asked.postings),
        [asked.idempotency_key for asked in batch],
    )
    locked = Locked(accounts, None)
    made: dict[str, tuple[Posted, str]] = {}  # by key: the answer, and the request's hash
    written: list[dict[str, Any]] = []
    posting_rows: list[dict[str, Any]] = []
    changed: dict[uuid.UUID, LockedAccount] = {}
    outcomes: list[Outcome] = []
    for asked in batch:
        key, request_hash = asked.idempotency_key, asked.request_hash
        try:
            if key in made:
                first, first_hash = made[key]
                same_request(first_hash, request_hash)
                outcomes.append(replace(first, created=False))
                continue
            if key in taken:
                existing = found(transactions.transaction(taken[key]))
                outcomes.append(Posted.of(replayed(existing, request_hash), created=False))
                continue
            plan = plan_postings(locked, asked.postings)
            try:
                rows, applied = settle(holds, plan, asked.postings, asked.now)
            except InsufficientBalance as refusal:
                # A request with this key may have posted while the batch waited for the locks.
                winner = replayed(winner_or(transactions, key, refusal), request_hash)
                outcomes.append(Posted.of(winner, created=False))
                continue
        except ToshavError as refusal:
            outcomes.append(refusal)
            continue
        transaction_id = uuid.uuid4()
        effective_at = asked.effective_at or asked.now
        values: dict[str, Any] = {
            "id": transaction_id,
            "created_at": asked.now,
            "idempotency_key": key,
            "request_hash": request_hash,
            "kind": asked.kind,
            "reference": asked.reference,
            "effective_at": effective_at,
            "details": asked.metadata,
            "created_by": asked.created_by,
        }
        written.append(values)
        posting_rows.extend({"transaction_id": transaction_id, **row} for row in rows)
        changed.update((account.id, account) for account in applied)
        # The row is exactly what is sent: the answer is built from it, not read back.
        answer = Posted(
            id=transaction_id,
            idempotency_key=key,
            kind=asked.kind,
            reference=asked.reference,
            effective_at=effective_at,
            created_at=asked.now,
            created_by=asked.created_by,
            details=asked.metadata,
            reverses=None,
            created=True,
        )
        made[key] = (answer, request_hash)
        outcomes.append(answer)
    if written:
        if not repository.record_batch(written, posting_rows, list(changed.values())):
            raise KeyTakenMeanwhile()
        for kind, count in Counter(values["kind"] for values in written).items():
            count_when_committed(session, TRANSACTIONS.labels(kind), count)
    return outcomes


@dataclass
class _Waiting:
    asked: Standalone
    answer: Future[Posted]


class LedgerBatcher:
    """A process's group commit: callers ``submit`` standalone transactions and wait on their
    futures; a writer thread (``writers`` of them) posts what waits, up to ``bound`` at a time,
    in one database transaction per batch (``post_batch``). A batch is what gathered while the
    previous one was written: one caller alone waits for no one.
    """

    def __init__(
        self, sessionmaker: Callable[[], Session], *, bound: int = 500, writers: int = 1
    ) -> None:
        self._sessionmaker = sessionmaker
        self._bound = bound
        self._writers = writers
        self._waiting: deque[_Waiting] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> LedgerBatcher:
        with self._wake:
            self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"ledger-batcher-{n}", daemon=True)
            for n in range(self._writers)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Post what waits, then stop the writers."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def __enter__(self) -> LedgerBatcher:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def submit(self, asked: Standalone) -> Future[Posted]:
        """Queue a standalone transaction; its future gives its answer once the batch that holds
        it has committed, or raises the error that refused it."""
        answer: Future[Posted] = Future()
        with self._wake:
            if self._stopping or not self._threads:
                raise RuntimeError("the ledger batcher is not running")
            self._waiting.append(_Waiting(asked, answer))
            self._wake.notify()
        return answer

    def post(self, asked: Standalone) -> Posted:
        """``submit`` and wait for the answer."""
        return self.submit(asked).result()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._stopping:
                    self._wake.wait()
                if not self._waiting:
                    return
                count = min(self._bound, len(self._waiting))
                batch = [self._waiting.popleft() for _ in range(count)]
            self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        asked = [waiting.asked for waiting in batch]
        for attempt in range(1, ATTEMPTS + 1):
            try:
                outcomes = own_transaction(self._sessionmaker, partial(post_batch, batch=asked))
            except KeyTakenMeanwhile:
                if attempt < ATTEMPTS:
                    continue
                failure: BaseException = RuntimeError("a batch's keys kept being taken")
            except Exception as exc:  # the batch's transaction failed: none of it was written
                if len(batch) > 1:
                    # One request the database refuses (a row it names is gone) must not fail
                    # the others: each is tried again alone, and only its own failure is its.
                    # The error's kind only: a database error's text quotes the statement's
                    # parameters, and the log holds no request's contents.
                    logger.warning(
                        "a ledger batch of %d failed (%s), posted one by one",
                        len(batch),
                        type(exc).__name__,
                    )
                    for waiting in batch:
                        self._write([waiting])
                    return
                failure = exc
            else:
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, ToshavError):
                        waiting.answer.set_exception(outcome)
                    else:
                        waiting.answer.set_result(outcome)
                return
            for waiting in batch:
                waiting.answer.set_exception(failure)
            return
