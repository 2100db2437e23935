"""Appeals: submitted by a resident (or a guardian for a ward) against a refused decision, decided
by a clerk with a reason. A granted appeal yields the benefit through the rules path, as a recorded
override: a new decision naming the appeal, eligible, and for a periodic allowance the period's
ledger grant (``reference = "appeal:<id>"``, the same idempotency key as the monthly run's), never
a hand edit of a balance. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits.appeals.exceptions import (
    AppealAlreadyDecided,
    AppealAlreadyGranted,
    AppealAlreadyOpen,
    AppealNotFound,
    DecisionNotRefused,
)
from benefits.appeals.models import Appeal, AppealStatus
from benefits.appeals.repository import AppealRepository
from benefits.appeals.schemas import Outcome
from benefits.eligibility.exceptions import DecisionNotFound, NoResidentRecord
from benefits.eligibility.models import Decision, Programme
from benefits.eligibility.repository import (
    DecisionRepository,
    ProgrammeRepository,
    RuleVersionRepository,
)
from benefits.eligibility.rules.evaluation import Reason
from benefits.eligibility.service.allowances import credit_allowance
from benefits.eligibility.service.follow_ups import current_period
from kernel import notices
from kernel.i18n import LANGUAGES, Text
from kernel.notices import Category, Notice
from resident_card.audit import service as audit
from resident_card.requests.sources import PersonRequest, RequestSource, Step
from resident_card.residents.service import records as residents

STATUS_TEXTS: dict[str, Text] = {
    AppealStatus.submitted: {
        "he": "הערעור הוגש וממתין להחלטת פקיד",
        "ar": "تم تقديم الاستئناف وهو بانتظار قرار الموظف",
        "en": "Appeal submitted, waiting for a clerk",
    },
    AppealStatus.granted: {
        "he": "הערעור אושר",
        "ar": "تم قبول الاستئناف",
        "en": "Appeal granted",
    },
    AppealStatus.refused: {
        "he": "הערעור נדחה",
        "ar": "تم رفض الاستئناف",
        "en": "Appeal refused",
    },
}
_RECEIVED: Text = {
    "he": "{programme}: הערעור התקבל. פקיד יחליט בו, ונעדכן אותך.",
    "ar": "{programme}: تم استلام الاستئناف. سيبت فيه موظف وسنبلغك.",
    "en": "{programme}: your appeal was received. A clerk will decide it, and we will tell you.",
}
_DECIDED: dict[str, Text] = {
    AppealStatus.granted: {
        "he": "{programme}: הערעור אושר. נימוק הפקיד: {reason}",
        "ar": "{programme}: تم قبول الاستئناف. سبب الموظف: {reason}",
        "en": "{programme}: your appeal was granted. The clerk's reason: {reason}",
    },
    AppealStatus.refused: {
        "he": "{programme}: הערעור נדחה. נימוק הפקיד: {reason}",
        "ar": "{programme}: تم رفض الاستئناف. سبب الموظف: {reason}",
        "en": "{programme}: your appeal was refused. The clerk's reason: {reason}",
    },
}
_ON_APPEAL: Text = {
    "he": "אושר בערעור: {reason} ✓",
    "ar": "تمت الموافقة بالاستئناف: {reason} ✓",
    "en": "granted on appeal: {reason} ✓",
}


def _filled(text: Text, programme: Programme, **params: object) -> Text:
    return {  # type: ignore[return-value]
        language: text[language].format(programme=programme.names[language], **params)
        for language in LANGUAGES
    }


def _programme(session: Session, programme_id: uuid.UUID) -> Programme:
    programme = ProgrammeRepository(session).get(programme_id)
    assert programme is not None  # a foreign key keeps it there
    return programme


def _tell(session: Session, appeal: Appeal, title: Text, body: Text, key: str) -> None:
    notices.post(
        session,
        Notice(
            account_id=appeal.submitted_by,
            category=Category.appeals,
            title=title,
            body=body,
            link="/wallet#benefits",
            key=key,
        ),
    )


def submit(
    session: Session,
    *,
    user_id: uuid.UUID,
    decision_id: uuid.UUID,
    message: str,
    now: datetime,
    today: date,
) -> Appeal:
    """Appeal a refused decision of the caller's or of a ward's. Anyone else's decision is not
    found; a decision that refused nothing, or one with an appeal open or granted, is a 409."""
    own = residents.resident_for_user(session, user_id)
    if own is None:
        raise NoResidentRecord()
    decision = DecisionRepository(session).get(decision_id)
    if decision is None or not residents.can_act_for(
        session, own, decision.resident_id, today=today
    ):
        raise DecisionNotFound()
    if decision.eligible:
        raise DecisionNotRefused()
    repository = AppealRepository(session)
    standing = repository.standing_for(decision.id)
    if AppealStatus.granted in standing:
        raise AppealAlreadyGranted()
    if standing:
        raise AppealAlreadyOpen()
    appeal = Appeal(
        id=uuid.uuid4(),
        decision_id=decision.id,
        programme_id=decision.programme_id,
        resident_id=decision.resident_id,
        submitted_by=user_id,
        message=message,
        status=AppealStatus.submitted.value,
        created_at=now,
    )
    try:
        # Two appeals sent at once: the open-appeal index lets one in.
        with session.begin_nested():
            repository.add(appeal)
    except IntegrityError:
        raise AppealAlreadyOpen() from None
    programme = _programme(session, decision.programme_id)
    _tell(
        session,
        appeal,
        STATUS_TEXTS[AppealStatus.submitted],
        _filled(_RECEIVED, programme),
        f"appeal:{appeal.id}:submitted",
    )
    return appeal


def mine(session: Session, *, user_id: uuid.UUID, today: date) -> Sequence[Appeal]:
    """The appeals the caller made or that concern them or a ward of theirs, newest first."""
    own = residents.resident_for_user(session, user_id)
    if own is None:
        raise NoResidentRecord()
    wards = residents.wards_of(session, own, today=today)
    return AppealRepository(session).of_people(user_id, [own.id, *(w.id for w in wards)])


def for_clerks(
    session: Session, *, status: AppealStatus | None, limit: int, offset: int
) -> tuple[Sequence[Appeal], int]:
    return AppealRepository(session).list(status=status, limit=limit, offset=offset)


def granted_for(session: Session, decision_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these refused decisions a granted appeal answered (their benefit may be asked for
    again: the rules path yields it as the appeal's override)."""
    return AppealRepository(session).granted_for(decision_ids)


def get_appeal(session: Session, appeal_id: uuid.UUID) -> Appeal:
    appeal = AppealRepository(session).get(appeal_id)
    if appeal is None:
        raise AppealNotFound()
    return appeal


def _override(
    session: Session, appeal: Appeal, refused: Decision, reason: str, now: datetime
) -> Decision:
    """The decision that answers a granted appeal: eligible, under the rule version in force (else
    the refused decision's), on the refused decision's facts, with the clerk's reason."""
    version = RuleVersionRepository(session).at(refused.programme_id, now)
    text: Text = {language: _ON_APPEAL[language].format(reason=reason) for language in LANGUAGES}  # type: ignore[assignment]
    return DecisionRepository(session).add(
        Decision(
            id=uuid.uuid4(),
            programme_id=refused.programme_id,
            rule_version_id=version.id if version is not None else refused.rule_version_id,
            resident_id=refused.resident_id,
            facts=refused.facts,
            outcome="eligible",
            reasons=[Reason("", "programme", "pass", text).as_json()],
            decided_at=now,
            appeal_id=appeal.id,
        )
    )


def decide(
    session: Session,
    *,
    appeal_id: uuid.UUID,
    outcome: Outcome,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> Appeal:
    """A clerk decides an open appeal, with the reason the resident reads. Granted: the override
    decision, and for a running periodic allowance the current period's grant, linked to the
    appeal. Written to the audit log."""
    appeal = AppealRepository(session).get_for_update(appeal_id)
    if appeal is None:
        raise AppealNotFound()
    if appeal.status != AppealStatus.submitted:
        raise AppealAlreadyDecided()
    programme = _programme(session, appeal.programme_id)
    status = AppealStatus(outcome.value)
    appeal.status = status.value
    appeal.reason = reason
    appeal.decided_at = now
    appeal.decided_by = actor_id
    after: dict[str, object] = {"status": status.value}
    if status == AppealStatus.granted:
        refused = DecisionRepository(session).get(appeal.decision_id)
        assert refused is not None  # a foreign key keeps it there
        answer = _override(session, appeal, refused, reason, now)
        after["decision_id"] = str(answer.id)
        if programme.allowance_amount is not None and programme.is_running(now):
            grant = credit_allowance(
                session,
                programme,
                resident_id=appeal.resident_id,
                period=current_period(now, zone),
                decision=answer,
                reference=f"appeal:{appeal.id}",
                now=now,
            )
            if grant is not None:
                appeal.transaction_id = grant.transaction_id
                after["transaction_id"] = str(grant.transaction_id)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="appeal.decide",
        subject_type="appeal",
        subject_id=appeal.id,
        before={"status": AppealStatus.submitted.value},
        after=after,
        reason=reason,
    )
    _tell(
        session,
        appeal,
        STATUS_TEXTS[status],
        _filled(_DECIDED[status], programme, reason=reason),
        f"appeal:{appeal.id}:{status.value}",
    )
    return appeal


@dataclass(frozen=True)
class AppealContext:
    """What a list of appeals refers to: programmes, residents' names, the decisions that answered."""

    programmes: dict[uuid.UUID, Programme]
    names: dict[uuid.UUID, str]
    answers: dict[uuid.UUID, uuid.UUID]


def context_of(session: Session, appeals: Sequence[Appeal]) -> AppealContext:
    repository = AppealRepository(session)
    return AppealContext(
        programmes=ProgrammeRepository(session).by_ids({a.programme_id for a in appeals}),
        names=repository.resident_names({a.resident_id for a in appeals}),
        answers=repository.answers(a.id for a in appeals if a.status == AppealStatus.granted.value),
    )


def timeline(appeal: Appeal) -> tuple[Step, ...]:
    """Submitted, then granted or refused with the clerk's reason."""
    steps = [
        Step(AppealStatus.submitted.value, STATUS_TEXTS[AppealStatus.submitted], appeal.created_at)
    ]
    if appeal.status != AppealStatus.submitted and appeal.decided_at is not None:
        steps.append(
            Step(appeal.status, STATUS_TEXTS[appeal.status], appeal.decided_at, note=appeal.reason)
        )
    return tuple(steps)


def requests_of(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID]
) -> list[PersonRequest]:
    """A person's appeals as requests (``GET /api/v1/requests/me``)."""
    return [
        PersonRequest(
            id=appeal.id, kind="appeal", created_at=appeal.created_at, timeline=timeline(appeal)
        )
        for appeal in AppealRepository(session).of_people(user_id, resident_ids)
    ]


APPEAL_REQUESTS = RequestSource(requests=requests_of)
