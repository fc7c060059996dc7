"""SQLAlchemy 2 tables. Portable SQL: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

OPEN_STATES_SQL = "state IN ('scheduled', 'in_progress')"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    Stored as naive UTC so that SQLite (no time zones) and PostgreSQL compare
    and sort them the same way.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    # The number clients see when caller-ID substitution is on (C6).
    company_number: Mapped[str | None] = mapped_column(String(32), default=None)
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"mon": ["09:00-18:00"]}
    holidays: Mapped[list[Any]] = mapped_column(default=list)  # ["2026-12-25", ...]
    created_at: Mapped[datetime]


class Trunk(Base):
    __tablename__ = "trunks"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(default=0)  # 0 = main, 1 = first backup, ...
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    internal_number: Mapped[str | None] = mapped_column(String(32), default=None)
    ring_strategy: Mapped[str] = mapped_column(String(32), default="ring_all")
    ring_timeout_s: Mapped[int] = mapped_column(default=25)
    members: Mapped[list[DepartmentMember]] = relationship(
        cascade="all, delete-orphan", order_by="DepartmentMember.position"
    )


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(64))  # E.164, extension or SIP user
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DepartmentMember(Base):
    __tablename__ = "department_members"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Widget(Base):
    __tablename__ = "widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    # C4: {"attempts": 2, "intervals_s": [60], "failure": "manager_or_client",
    #      "postpone_to_next_business_day": false}
    recall: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ivr_confirm: Mapped[bool] = mapped_column(Boolean, default=False)  # C7
    # V3: leave the prepared message (prompt "voicemail_message") after a voicemail's
    # beep. Off by default: automated messages are not allowed everywhere.
    leave_message: Mapped[bool] = mapped_column(Boolean, default=False)
    caller_id_substitution: Mapped[bool] = mapped_column(Boolean, default=True)  # C6
    promise_seconds: Mapped[int] = mapped_column(default=28)  # C12
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    allowed_regions: Mapped[list[Any]] = mapped_column(default=list)  # ISO 3166 codes; [] = any
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)  # C11 rate limits
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    role: Mapped[str] = mapped_column(String(32), default="admin")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class BlockEntry(Base):
    __tablename__ = "block_list"
    __table_args__ = (UniqueConstraint("company_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "phone" | "ip"
    value: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_phone_created", "phone", "created_at"),
        Index("ix_callback_requests_ip_created", "visitor_ip", "created_at"),
        Index("ix_callback_requests_widget_created", "widget_id", "created_at"),
        # At most one open request per number and company, even when two orders
        # race: the database refuses the second (never call anyone twice).
        Index(
            "uq_callback_requests_open_phone",
            "company_id",
            "phone",
            unique=True,
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    widget_id: Mapped[int | None] = mapped_column(ForeignKey("widgets.id"), default=None)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), default=None)
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    phone_raw: Mapped[str] = mapped_column(String(64))
    visitor_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    visitor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(32), index=True)
    customer_status: Mapped[str | None] = mapped_column(String(64), default=None)
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts_made: Mapped[int] = mapped_column(default=0)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[list[Attempt]] = relationship(order_by="Attempt.number")


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("request_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(32))
    trunk: Mapped[str] = mapped_column(String(64))
    trunk_index: Mapped[int] = mapped_column(default=0)
    caller_id: Mapped[str | None] = mapped_column(String(32), default=None)
    caller_id_substituted: Mapped[bool] = mapped_column(Boolean, default=False)
    caller_id_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    manager_outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    client_outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    manager_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id"), default=None
    )
    node: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    legs: Mapped[list[Leg]] = relationship(order_by="Leg.id")


class Leg(Base):
    __tablename__ = "legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), default=None)
    number: Mapped[str] = mapped_column(String(64))
    trunk: Mapped[str] = mapped_column(String(64))
    caller_id: Mapped[str | None] = mapped_column(String(32), default=None)
    state: Mapped[str] = mapped_column(String(16))
    sip_code: Mapped[int | None] = mapped_column(default=None)
    sip_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    dialed_at: Mapped[datetime]
    ringing_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    hangup_by: Mapped[str | None] = mapped_column(String(16), default=None)  # "us" | "remote"
    dtmf: Mapped[str] = mapped_column(String(32), default="")
    recording_path: Mapped[str | None] = mapped_column(String(500), default=None)
    # V1: the answering-machine detector's verdict, time from answer, and beep (V3)
    amd_decision: Mapped[str | None] = mapped_column(String(16), default=None)
    amd_at_ms: Mapped[int | None] = mapped_column(default=None)
    beep_at_ms: Mapped[int | None] = mapped_column(default=None)
    message_left_at: Mapped[datetime | None] = mapped_column(default=None)  # V3


class Job(Base):
    """Durable work: claimed atomically by one node, leased, never run twice."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "ref"),
        Index("ix_jobs_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(128))  # e.g. "12:2" = request 12, attempt 2
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id"), default=None, index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # pending | claimed | done | cancelled
    owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    runs: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboundCall(Base):
    """A call delivered to Dialback itself (issue 3: answered, prompted, recorded as missed).

    Distribution to departments (SPEC I) comes later; until then every inbound
    call is a missed call that analytics (SPEC A) can react to.
    """

    __tablename__ = "inbound_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str] = mapped_column(String(32))  # "missed" until routing exists
    hangup_by: Mapped[str | None] = mapped_column(String(16), default=None)


class User(Base):
    """A person who signs in to the web UI (X2): admin, supervisor or employee.

    A supervisor sees the calls of their departments (``UserDepartment``), an
    employee only their own calls (A6); ``employee_id`` ties a login to the
    Employee that Dialback rings.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # e-mail or a short name
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id (PHC string)
    role: Mapped[str] = mapped_column(String(16))  # admin | supervisor | employee
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    departments: Mapped[list[UserDepartment]] = relationship(cascade="all, delete-orphan")


class UserDepartment(Base):
    """The departments a supervisor looks after."""

    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its sha256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ServerSecret(Base):
    """Random secrets shared by every node (e.g. the key that signs widget status links)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
