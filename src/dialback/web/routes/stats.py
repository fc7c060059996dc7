"""Statistics over a company's callback requests (V4)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from dialback.services.voicemail_stats import voicemail_stats
from dialback.web.deps import AdminDep, CompanyDep, SessionDep
from dialback.web.routes.callbacks import created_window
from dialback.web.schemas import VoicemailStatsOut

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/voicemail", response_model=VoicemailStatsOut)
def get_voicemail_stats(
    _: AdminDep,
    session: SessionDep,
    company: CompanyDep,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> VoicemailStatsOut:
    """V4: the share of answered client calls that hit voicemail, and the share of
    those requests rescued by a later attempt; over requests created in the window."""
    created_from, created_to = created_window(created_from, created_to)
    stats = voicemail_stats(session, company.id, created_from=created_from, created_to=created_to)
    return VoicemailStatsOut.model_validate(stats, from_attributes=True)
