"""A unit of work of its own: what ``work`` did is kept when it returns and gone when it raises."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from functools import partial

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.database import in_own_transaction, make_sessionmaker, own_transaction
from resident_card.audit.models import AuditEntry
from tests.conftest import FreshDatabase


class Refused(Exception):
    pass


def _note(action: str, session: Session) -> str:
    session.add(AuditEntry(action=action, subject_type="test", subject_id="1"))
    session.flush()
    return action


def _note_then_refuse(action: str, session: Session) -> None:
    _note(action, session)
    raise Refused()


def _count(database: FreshDatabase, action: str) -> int:
    with database.session() as session:
        found = session.scalar(select(func.count()).where(AuditEntry.action == action))
        return int(found or 0)


def test_own_transaction_keeps_what_the_work_did(fresh_database: FreshDatabase) -> None:
    sessionmaker = make_sessionmaker(fresh_database.engine)

    assert own_transaction(sessionmaker, partial(_note, "kept")) == "kept"

    assert _count(fresh_database, "kept") == 1


def test_own_transaction_rolls_back_when_the_work_raises(fresh_database: FreshDatabase) -> None:
    sessionmaker = make_sessionmaker(fresh_database.engine)

    with pytest.raises(Refused):
        own_transaction(sessionmaker, partial(_note_then_refuse, "refused"))

    assert _count(fresh_database, "refused") == 0


def _run_async(work: Callable[[], Awaitable[object]]) -> None:
    """``work`` on an event loop of its own, in a thread of its own: a browser test of the same
    run may have left a loop running in this one."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            anyio.run(work)
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if failed:
        raise failed[0]


def test_in_own_transaction_keeps_it_from_async_code(fresh_database: FreshDatabase) -> None:
    sessionmaker = make_sessionmaker(fresh_database.engine)

    _run_async(partial(in_own_transaction, sessionmaker, partial(_note, "from async")))
    with pytest.raises(Refused):
        _run_async(
            partial(in_own_transaction, sessionmaker, partial(_note_then_refuse, "async refused"))
        )

    assert _count(fresh_database, "from async") == 1
    assert _count(fresh_database, "async refused") == 0
