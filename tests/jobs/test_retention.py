"""Retention that runs itself: each domain's nightly job removes (or anonymises) the personal
records older than its setting says, keeps the recent ones, and records every run in the audit
log with its kind, cutoff and rows; ``toshav parking anonymise`` applies the same rule."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashback import retention as cashback_retention
from cashback.models import CardTokenUse, Merchant
from kernel.clock import SetClock
from messages import retention as messages_retention
from messages.models import Message, MessageDelivery
from parking import tasks as parking_tasks
from parking.models import Inspection, ParkingSession, ParkingZone, Vehicle
from resident_card.accounts import retention as accounts_retention
from resident_card.accounts.models import LoginFailure, RefreshToken, Role
from resident_card.audit.models import AuditEntry
from resident_card.city.models import Neighbourhood
from tests.factories import create_resident, create_street, create_user
from tests.jobs.conftest import runs_of, worker_in
from toshav.settings import ServiceSettings

NAMES = {"name_he": "א", "name_ar": "ا", "name_en": "a"}


def _recorded(session: Session, kind: str) -> list[dict[str, object]]:
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "retention.applied", AuditEntry.subject_id == kind)
        .order_by(AuditEntry.created_at)
    ).all()
    return [entry.after or {} for entry in entries]


def _seed(session: Session, settings: ServiceSettings, now: datetime) -> dict[str, object]:
    """One record of each kind just past its retention and one well within it."""
    old: dict[str, timedelta] = {
        "login": timedelta(days=settings.login_failure_retention_days, hours=1),
        "refresh": timedelta(days=settings.refresh_token_retention_days, hours=1),
        "message": timedelta(days=settings.messages_retention_days, hours=1),
        "use": timedelta(days=settings.cashback_token_use_retention_days, hours=1),
        "inspection": timedelta(days=settings.parking_inspection_retention_days, hours=1),
        "session": timedelta(days=settings.parking_session_retention_days, hours=1),
    }
    recent = timedelta(days=1, hours=1)
    user = create_user(session, settings, role=Role.resident)
    inspector = create_user(session, settings, role=Role.inspector)
    resident = create_resident(session, settings, now=now - timedelta(days=800))
    place = Neighbourhood(code=f"n-{uuid.uuid4().hex[:8]}", **NAMES)
    zone = ParkingZone(code=f"z-{uuid.uuid4().hex[:8]}", kind="residential", **NAMES)
    session.add_all([place, zone])
    session.flush()
    merchant = Merchant(
        registry_number=f"5{uuid.uuid4().int % 10**8:08d}",
        name="shop",
        category="food",
        street_id=create_street(session).id,
        house_number=1,
        neighbourhood_id=place.id,
    )
    vehicle = Vehicle(plate="1234567", resident_id=resident.id, relation="owner")
    session.add_all([merchant, vehicle])
    session.flush()
    for age in (old, {key: recent for key in old}):
        session.add(LoginFailure(username="someone", client="c", created_at=now - age["login"]))
        session.add(
            RefreshToken(
                user_id=user.id,
                family_id=uuid.uuid4(),
                token_hash=uuid.uuid4().hex,
                expires_at=now - age["refresh"],
                created_at=now - age["refresh"] - timedelta(days=30),
            )
        )
        message = Message(
            account_id=user.id,
            category="security",
            **{f"{w}_{lang}": "x" for w in ("title", "body") for lang in ("he", "ar", "en")},
            created_at=now - age["message"],
        )
        session.add(message)
        session.flush()
        session.add(
            MessageDelivery(
                message_id=message.id,
                channel="email",
                address="a@example.org",
                status="sent",
                next_attempt_at=now - age["message"],
            )
        )
        session.add(
            CardTokenUse(
                jti=uuid.uuid4().hex,
                merchant_id=merchant.id,
                used_for="purchase",
                created_at=now - age["use"],
            )
        )
        session.add(
            Inspection(
                inspector_id=inspector.id,
                at=now - age["inspection"],
                method="plate",
                plate="1234567",
                pass_id="AbCdEfGhIjKl",
                zone_code=zone.code,
                allowed=True,
                reason="valid_permit",
            )
        )
        session.add(
            ParkingSession(
                resident_id=resident.id,
                vehicle_id=vehicle.id,
                plate="1234567",
                zone_id=zone.id,
                started_at=now - age["session"] - timedelta(hours=1),
                stopped_at=now - age["session"],
                minutes=60,
                free_minutes=60,
                paid_minutes=0,
            )
        )
    # An old message still waiting to go out is kept until it went.
    waiting = Message(
        account_id=user.id,
        category="security",
        **{f"{w}_{lang}": "w" for w in ("title", "body") for lang in ("he", "ar", "en")},
        created_at=now - old["message"],
    )
    session.add(waiting)
    session.flush()
    session.add(
        MessageDelivery(
            message_id=waiting.id,
            channel="email",
            address="a@example.org",
            status="pending",
            next_attempt_at=now,
        )
    )
    session.flush()
    return {"user": user, "waiting": waiting.id}


def test_each_domain_s_nightly_job_keeps_its_records_no_longer_than_its_setting(
    session: Session, settings: ServiceSettings, clock: SetClock
) -> None:
    now = clock.now()
    seeded = _seed(session, settings, now)
    jobs = [
        accounts_retention.RETENTION,
        messages_retention.RETENTION,
        cashback_retention.RETENTION,
        parking_tasks.RETENTION,
    ]
    clock.advance(minutes=1)

    done = {outcome.name: outcome for outcome in worker_in(session, settings, clock, jobs).tick()}

    assert {name: outcome.status for name, outcome in done.items()} == {
        job.name: "succeeded" for job in jobs
    }
    # One old record of each kind went (or lost what names a person); the recent one stayed.
    assert session.scalars(select(LoginFailure.created_at)).all() == [now - timedelta(hours=25)]
    assert session.scalars(select(RefreshToken.expires_at)).all() == [now - timedelta(hours=25)]
    kept = session.scalars(select(Message.id).order_by(Message.created_at)).all()
    assert len(kept) == 2
    assert seeded["waiting"] in kept
    assert len(session.scalars(select(MessageDelivery.id)).all()) == 2
    assert session.scalars(select(CardTokenUse.created_at)).all() == [now - timedelta(hours=25)]
    inspections = session.execute(
        select(Inspection.plate, Inspection.pass_id, Inspection.zone_code).order_by(Inspection.at)
    ).all()
    assert [(plate, pass_id) for plate, pass_id, _ in inspections] == [
        (None, None),
        ("1234567", "AbCdEfGhIjKl"),
    ]
    sessions = session.execute(
        select(
            ParkingSession.plate,
            ParkingSession.vehicle_id.is_not(None),
            ParkingSession.minutes,
            ParkingSession.anonymised_at.is_not(None),
        ).order_by(ParkingSession.stopped_at)
    ).all()
    assert [tuple(row) for row in sessions] == [
        (None, False, 60, True),
        ("1234567", True, 60, False),
    ]

    # Each run is recorded: what kind, the cutoff its setting gave, how many rows.
    later = now + timedelta(minutes=1)
    for rule, days in (
        (accounts_retention.LOGIN_FAILURES, settings.login_failure_retention_days),
        (accounts_retention.REFRESH_TOKENS, settings.refresh_token_retention_days),
        (messages_retention.MESSAGES, settings.messages_retention_days),
        (cashback_retention.TOKEN_USES, settings.cashback_token_use_retention_days),
        (parking_tasks.INSPECTION_PLATES, settings.parking_inspection_retention_days),
        (parking_tasks.SESSION_VEHICLES, settings.parking_session_retention_days),
    ):
        cutoff = (later - timedelta(days=days)).isoformat()
        assert _recorded(session, rule.kind) == [{"days": days, "cutoff": cutoff, "rows": 1}]
    (run,) = runs_of(session, "parking.apply_retention")
    assert run.counts == {"parking.inspection_plates": 1, "parking.session_vehicles": 1}

    # The next night finds nothing more to do, and says so.
    clock.advance(days=1)
    worker_in(session, settings, clock, jobs).tick()
    assert [entry["rows"] for entry in _recorded(session, "messages.messages")] == [1, 0]
