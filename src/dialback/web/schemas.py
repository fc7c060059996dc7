"""Request and response bodies of the REST API (X1), pydantic v2.

Input models forbid unknown fields, so a typo is a 422 naming the field
instead of a setting silently ignored. Checks that need the database (a
department of this company, a number read with the company's region) live in
the routes; everything else is validated here.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from dialback.adapters.sip.trunks import TrunkError, trunk_from_settings
from dialback.domain.calendar import BusinessCalendar, format_hours, parse_hours
from dialback.services.callbacks import DEFAULT_LIMITS
from dialback.services.company import DEFAULT_RECALL, recall_policy_from

MAX_INTERVAL_S = 7 * 86400  # C4: a retry at most a week later
MAX_ID = 2**63 - 1  # bigger ids overflow the database's integers: a 422, never a 500

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- callbacks (C1, C9, C11) -------------------------------------------------------


class CallbackOrder(_In):
    phone: str = Field(max_length=64, description="The visitor's number, E.164 or national")
    department_id: DbId | None = None
    employee_id: DbId | None = Field(default=None, description="C1: the chosen employee")
    name: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=2000)
    widget_id: DbId | None = Field(
        default=None, description="Required with an admin key; a widget key orders for itself"
    )


class Reason(_In):
    reason: str | None = Field(default=None, max_length=500)


class LegOut(_Out):
    role: str
    employee_id: int | None
    number: str
    trunk: str
    caller_id: str | None
    state: str
    sip_code: int | None
    sip_reason: str | None
    outcome: str | None
    dialed_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    hangup_by: str | None
    dtmf: str
    recording_path: str | None


class AttemptSummaryOut(_Out):
    number: int
    state: str
    trunk: str
    caller_id: str | None
    caller_id_substituted: bool
    caller_id_blocked: bool
    scheduled_for: datetime
    started_at: datetime
    ended_at: datetime | None
    manager_outcome: str | None
    client_outcome: str | None
    note: str | None


class AttemptOut(AttemptSummaryOut):
    legs: list[LegOut]


class _CallbackBase(_Out):
    id: int
    widget_id: int | None
    state: str
    customer_status: str | None
    status_reason: str | None
    phone: str
    visitor_name: str | None
    comment: str | None
    department_id: int | None
    employee_id: int | None
    created_at: datetime
    next_attempt_at: datetime | None
    connected_at: datetime | None
    finished_at: datetime | None
    attempts_made: int


class CallbackSummary(_CallbackBase):
    attempts: list[AttemptSummaryOut]


class CallbackOut(_CallbackBase):
    """The call card (C9): every attempt with its legs, SIP codes and timing."""

    attempts: list[AttemptOut]


class CallbackList(BaseModel):
    items: list[CallbackSummary]
    total: int


class Blocked(BaseModel):
    detail: str
    request_id: int


# --- company ------------------------------------------------------------------------


def _region(code: str) -> str:
    code = code.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 region code known for phones")
    return code


def e164(text: str) -> str:
    """A number written in E.164 (``+`` and the country code), normalised."""
    try:
        number = phonenumbers.parse(text.strip(), None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not an E.164 number (e.g. +14155550100): {exc._msg}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("the number does not exist in its country's numbering plan")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


class CompanyIn(_In):
    """PUT replaces the settings; fields left out take their defaults."""

    name: str = Field(min_length=1, max_length=200)
    timezone: str = "UTC"
    default_region: str = Field(default="US", min_length=2, max_length=2)
    company_number: str | None = Field(default=None, description="C6: E.164, shown to clients")
    hours: dict[str, list[str]] = Field(
        default_factory=dict,
        description='{"mon": ["09:00-13:00", "14:00-18:00"], ...}; {} = Mon-Fri 09:00-18:00',
    )
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd paths
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name like Europe/Berlin"
            ) from exc
        return v

    @field_validator("default_region")
    @classmethod
    def _default_region(cls, v: str) -> str:
        return _region(v)

    @field_validator("company_number")
    @classmethod
    def _company_number(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else e164(v)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not v:
            return {}
        parsed = parse_hours(v)  # CalendarError is a ValueError: a 422 on "hours"
        BusinessCalendar(hours=parsed)  # opening before closing
        if not any(parsed.values()):
            raise ValueError("at least one opening interval is needed, or {} for the default")
        return format_hours(parsed)


class CompanyOut(_Out):
    id: int
    name: str
    timezone: str
    default_region: str
    company_number: str | None
    hours: dict[str, list[str]]
    holidays: list[date]
    created_at: datetime


# --- departments and employees (I1, I2) -------------------------------------------------

RingStrategy = Literal["ring_all", "uniform", "sequential", "cumulative"]


class DepartmentIn(_In):
    name: str = Field(min_length=1, max_length=200)
    internal_number: str | None = Field(default=None, pattern=r"^[0-9*#]{1,32}$")
    ring_strategy: RingStrategy = "ring_all"
    ring_timeout_s: int = Field(default=25, ge=5, le=300)
    member_ids: list[DbId] = Field(default_factory=list, description="Employees, in ring order")

    @field_validator("member_ids")
    @classmethod
    def _unique(cls, v: list[int]) -> list[int]:
        seen: set[int] = set()
        for employee_id in v:
            if employee_id in seen:
                raise ValueError(f"employee {employee_id} is listed twice")
            seen.add(employee_id)
        return v


class DepartmentOut(_Out):
    id: int
    name: str
    internal_number: str | None
    ring_strategy: str
    ring_timeout_s: int
    member_ids: list[int]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmployeeIn(_In):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(
        min_length=2,
        max_length=64,
        description="E.164 (national numbers use the company region) or a 2-6 digit extension",
    )
    email: str | None = Field(default=None, max_length=254)
    active: bool = True

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.match(v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v


class EmployeeOut(_Out):
    id: int
    name: str
    phone: str
    email: str | None
    active: bool


# --- widgets (C4, C6, C7, C11, C12) --------------------------------------------------


class RecallIn(_In):
    """The widget's ReCall policy (C4)."""

    policy: Literal["recall", "dialback"] = Field(
        default="recall",
        description="recall: the C4 settings below; dialback: Dialback's own policy (issue 5)",
    )
    attempts: int = Field(default=2, ge=1, le=7)
    intervals_s: list[Annotated[float, Field(ge=0, le=MAX_INTERVAL_S)]] = Field(
        default_factory=lambda: [60.0],
        description="Wait before attempt 2, 3, ...: one per attempt after the first",
    )
    failure: Literal["manager", "manager_or_client"] = "manager_or_client"
    postpone_to_next_business_day: bool = False


Limits = dict[str, Annotated[PositiveInt, Field(le=1_000_000)]]


class WidgetIn(_In):
    name: str = Field(min_length=1, max_length=200)
    department_id: DbId | None = None
    # New widgets get Dialback's own retry policy unless a ReCall is given (issue 5).
    recall: RecallIn = Field(default_factory=lambda: RecallIn(policy="dialback"))
    ivr_confirm: bool = Field(default=False, description="C7: the manager confirms with 5")
    leave_message: bool = Field(
        default=False, description="V3: leave the prepared message after a voicemail's beep"
    )
    caller_id_substitution: bool = Field(default=True, description="C6")
    promise_seconds: int = Field(default=28, ge=5, le=600, description="C12")
    allowed_origins: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list
    )
    allowed_regions: list[str] = Field(default_factory=list, description="ISO alpha-2; [] = any")
    limits: Limits = Field(
        default_factory=dict, description=f"C11 overrides of {sorted(DEFAULT_LIMITS)}"
    )
    enabled: bool = True

    @field_validator("recall")
    @classmethod
    def _recall(cls, v: RecallIn) -> RecallIn:
        recall_policy_from(v.model_dump())  # PolicyError is a ValueError: a 422 on "recall"
        return v

    @field_validator("allowed_regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        return sorted({_region(code) for code in v})

    @field_validator("limits")
    @classmethod
    def _limits(cls, v: Limits) -> Limits:
        unknown = sorted(set(v) - set(DEFAULT_LIMITS))
        if unknown:
            raise ValueError(f"unknown limits {unknown}; known: {sorted(DEFAULT_LIMITS)}")
        return v


class WidgetOut(_Out):
    id: int
    name: str
    public_key: str
    department_id: int | None
    recall: dict[str, Any]
    ivr_confirm: bool
    leave_message: bool
    caller_id_substitution: bool
    promise_seconds: int
    allowed_origins: list[str]
    allowed_regions: list[str]
    limits: dict[str, int]
    enabled: bool

    @field_validator("recall", mode="before")
    @classmethod
    def _with_defaults(cls, v: dict[str, Any]) -> dict[str, Any]:
        return {**DEFAULT_RECALL, **v}


# --- trunks, block list, API keys ----------------------------------------------------------


class TrunkIn(_In):
    name: str = Field(min_length=1, max_length=64)
    priority: int = Field(
        default=0, ge=0, le=1000, description="0 = main, 1 = first backup, ... (C5)"
    )
    enabled: bool = True
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "SIP trunk (issue 3): host, port, transport, user, password, auth_user, "
            "register, reg_interval, dial_template ('+{number}@{host}:{port}'). "
            "Empty for the simulated network."
        ),
    )

    @model_validator(mode="after")
    def _sip_settings_are_usable(self) -> TrunkIn:
        if self.settings:
            try:
                trunk_from_settings(self.name, self.settings)
            except TrunkError as exc:
                raise ValueError(f"settings: {exc}") from exc
        return self


class TrunkOut(_Out):
    id: int
    name: str
    priority: int
    enabled: bool
    settings: dict[str, Any]

    @field_validator("settings")
    @classmethod
    def _hide_password(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Credentials go in, never come out.
        return {k: ("***" if k == "password" and v else v) for k, v in value.items()}


class BlockIn(_In):
    kind: Literal["phone", "ip"]
    value: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=500)


def ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address") from exc


class BlockOut(_Out):
    id: int
    kind: str
    value: str
    reason: str
    created_at: datetime


class ApiKeyIn(_In):
    name: str = Field(min_length=1, max_length=200)


class ApiKeyOut(_Out):
    id: int
    name: str
    role: str
    revoked: bool
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown once; only its hash is stored")


class Deleted(BaseModel):
    id: int
    deleted: bool = Field(description="False: still referenced, so deactivated instead")
    detail: str


# --- statistics (V4) ---------------------------------------------------------------------


class VoicemailStatsOut(BaseModel):
    requests: int = Field(description="callback requests created in the window")
    answered_client_calls: int = Field(description="client legs answered, by anyone or anything")
    voicemail_calls: int = Field(description="... of which the detector heard a machine")
    voicemail_share: float | None = Field(description="voicemail_calls / answered_client_calls")
    requests_hit_voicemail: int = Field(description="requests with at least one voicemail call")
    rescued: int = Field(description="... of which reached a real conversation later")
    rescued_share: float | None = Field(description="rescued / requests_hit_voicemail")
    messages_left: int = Field(description="V3: prepared messages played after a beep")
