"""The recorded runs, as admins and auditors read them at GET /api/v1/admin/jobs."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.tasks import MONTHLY_GRANT
from jobs import timetable
from kernel.clock import SetClock
from kernel.schedule import Job, daily
from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.factories import auth_headers, create_user
from tests.jobs.conftest import Counter, worker_in

NOON = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def test_admins_and_auditors_read_every_job_and_its_runs_newest_first(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    clock = SetClock(NOON)
    flaky = Job("benefits.ledger_check", daily(at=time(3, 0)), Counter(failures=1), attempts=2)
    worker = worker_in(session, settings, clock, [flaky])
    worker.tick()  # fails: retried in 30 seconds
    clock.advance(days=1)
    worker.tick()  # the next day's run succeeds; the first day's is given up

    for role in (Role.admin, Role.auditor):
        user = create_user(session, settings, role=role)
        answer = client.get("/api/v1/admin/jobs", headers=auth_headers(app, user))
        assert answer.status_code == 200, answer.text
        jobs = {job["name"]: job for job in answer.json()["items"]}
        # Every job of the enabled domains, with its domain and cadence.
        assert {
            "benefits.monthly_grant",
            "benefits.monthly_expiry",
            "benefits.expire_holds",
            "benefits.ledger_check",
            "cashback.release_holds",
            "cashback.monthly_settlement",
            "parking.reconcile_permits",
            "parking.apply_retention",
        } <= set(jobs)
        grant = jobs[MONTHLY_GRANT.name]
        assert (grant["domain"], grant["kind"], grant["runs"]) == ("benefits", "job", [])
        assert grant["cadence"] == {
            "kind": "monthly",
            "day": 1,
            "at": "00:00",
            "minutes": None,
            "seconds": None,
        }
        assert jobs["cashback.release_holds"]["cadence"]["minutes"] == 5
        runs = jobs["benefits.ledger_check"]["runs"]
        assert [(r["period_key"], r["status"], r["attempt"]) for r in runs] == [
            ("2026-12-11", "succeeded", 1),
            ("2026-12-10", "failed", 1),
        ]
        assert runs[0]["counts"] == {"done": 1}
        assert runs[0]["error"] is None
        assert runs[1]["error"] == "RuntimeError: failure number 1"
        assert runs[0]["started_at"].startswith("2026-12-11T08:00:00")
        assert runs[0]["finished_at"] is not None


def test_runs_are_bounded_per_job(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    clock = SetClock(NOON)
    worker = worker_in(
        session, settings, clock, [Job("parking.reconcile_permits", daily(), Counter())]
    )
    for _day in range(4):
        worker.tick()
        clock.advance(days=1)
    admin = create_user(session, settings, role=Role.admin)

    answer = client.get("/api/v1/admin/jobs?runs=2", headers=auth_headers(app, admin)).json()

    runs = next(j for j in answer["items"] if j["name"] == "parking.reconcile_permits")["runs"]
    assert [r["period_key"] for r in runs] == ["2026-12-13", "2026-12-12"]
    assert answer["runs_per_job"] == 2
    too_many = client.get("/api/v1/admin/jobs?runs=101", headers=auth_headers(app, admin))
    assert too_many.status_code == 422


def test_residents_are_refused_and_strangers_asked_to_sign_in(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    resident = create_user(session, settings, role=Role.resident)
    refused = client.get("/api/v1/admin/jobs", headers=auth_headers(app, resident))
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert client.get("/api/v1/admin/jobs").status_code == 401


def test_a_domain_switched_off_lists_no_jobs(settings: Settings) -> None:
    from toshav import plug_ins
    from toshav.domains import enabled

    plug_ins.install(enabled(settings.model_copy(update={"modules": ["parking"]})))
    names = {entry.work.name for entry in timetable.installed()}
    assert "parking.reconcile_permits" in names
    assert not any(name.startswith("cashback.") for name in names)
