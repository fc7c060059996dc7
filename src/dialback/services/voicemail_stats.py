"""V4: how often answered calls hit voicemail, and how many of those requests were
rescued later (a real conversation on a later attempt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from dialback.adapters.db.tables import Attempt, CallbackRequest, Leg
from dialback.domain.calls import RequestState
from dialback.domain.outcomes import Outcome


@dataclass(frozen=True)
class VoicemailStats:
    requests: int  # callback requests ordered in the window
    answered_client_calls: int  # client legs that were answered (by anyone, or anything)
    voicemail_calls: int  # ... of which the detector heard a machine (V2: VOICEMAIL)
    requests_hit_voicemail: int  # requests with at least one such call
    rescued: int  # ... of which reached a real conversation later
    messages_left: int  # V3: prepared messages played after a beep

    @property
    def voicemail_share(self) -> float | None:
        return _share(self.voicemail_calls, self.answered_client_calls)

    @property
    def rescued_share(self) -> float | None:
        return _share(self.rescued, self.requests_hit_voicemail)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def voicemail_stats(
    session: Session,
    company_id: int,
    *,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> VoicemailStats:
    """Over the company's requests created in [created_from, created_to]."""
    where: list[Any] = [CallbackRequest.company_id == company_id]
    if created_from is not None:
        where.append(CallbackRequest.created_at >= created_from)
    if created_to is not None:
        where.append(CallbackRequest.created_at <= created_to)
    client_legs = (
        select(
            Leg.outcome.label("outcome"),
            Leg.message_left_at.label("message_left_at"),
            CallbackRequest.id.label("request_id"),
            CallbackRequest.state.label("request_state"),
        )
        .join(Attempt, Attempt.id == Leg.attempt_id)
        .join(CallbackRequest, CallbackRequest.id == Attempt.request_id)
        .where(*where, Leg.role == "client", Leg.answered_at.is_not(None))
        .subquery()
    )
    machine = client_legs.c.outcome == Outcome.ANSWERED_MACHINE.value

    def count(*what: Any) -> int:
        return int(session.scalar(select(*what).select_from(client_legs)) or 0)

    connected = client_legs.c.request_state == RequestState.CONNECTED.value
    return VoicemailStats(
        requests=int(session.scalar(select(func.count(CallbackRequest.id)).where(*where)) or 0),
        answered_client_calls=count(func.count()),
        voicemail_calls=count(func.count().filter(machine)),
        requests_hit_voicemail=count(
            func.count(distinct(client_legs.c.request_id)).filter(machine)
        ),
        rescued=count(func.count(distinct(client_legs.c.request_id)).filter(machine & connected)),
        messages_left=count(func.count().filter(client_legs.c.message_left_at.is_not(None))),
    )
