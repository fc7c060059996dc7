"""People who sign in to the web UI (X2): users, roles, passwords and sessions.

Passwords are hashed with argon2id (``argon2-cffi``); a session is a random
token whose sha256 is stored, so a copy of the database cannot sign anyone in.
Each session carries its own CSRF token for the forms it renders.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from dialback.adapters.db.tables import (
    Company,
    Department,
    Employee,
    ServerSecret,
    User,
    UserDepartment,
    WebSession,
)

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified when the login is unknown, so that a wrong login and a wrong password
# take the same time (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class Role(StrEnum):
    ADMIN = "admin"  # the whole company: every call, the settings
    SUPERVISOR = "supervisor"  # the calls of their departments (A6)
    EMPLOYEE = "employee"  # their own calls (A6)


class UserError(ValueError):
    """A user cannot be created as asked; ``field`` names the input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """Who looks at the UI: what the role rules need, detached from any DB session."""

    user_id: int
    company_id: int
    login: str
    name: str
    role: Role
    employee_id: int | None
    department_ids: frozenset[int]

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    company_id: int,
    login: str,
    name: str,
    password: str,
    role: Role,
    now: datetime,
    employee_id: int | None = None,
    department_ids: tuple[int, ...] = (),
) -> User:
    """Add a user (flushes, does not commit); raises ``UserError`` on bad input."""
    login = login.strip().lower()
    if not login or len(login) > 200:
        raise UserError("login", "a login of 1-200 characters is needed")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError("login", f"the login {login!r} is taken")
    if len(password) < MIN_PASSWORD:
        raise UserError("password", f"at least {MIN_PASSWORD} characters")
    if role is Role.EMPLOYEE and employee_id is None:
        raise UserError("employee_id", "an employee user must be linked to an employee")
    if employee_id is not None:
        employee = session.get(Employee, employee_id)
        if employee is None or employee.company_id != company_id:
            raise UserError("employee_id", f"no employee {employee_id} in this company")
    for department_id in department_ids:
        department = session.get(Department, department_id)
        if department is None or department.company_id != company_id:
            raise UserError("department_ids", f"no department {department_id} in this company")
    user = User(
        company_id=company_id,
        login=login,
        name=name.strip() or login,
        password_hash=hash_password(password),
        role=role.value,
        employee_id=employee_id,
        active=True,
        created_at=now,
    )
    user.departments = [UserDepartment(department_id=d) for d in sorted(set(department_ids))]
    session.add(user)
    session.flush()
    return user


def first_company(session: Session, *, now: datetime) -> Company:
    """The first company (created bare when there is none), for the first admin."""
    company = session.scalar(select(Company).order_by(Company.id))
    if company is None:
        company = Company(name="My company", created_at=now)
        session.add(company)
        session.flush()
    return company


def authenticate(session: Session, *, login: str, password: str) -> User | None:
    """The active user with this login and password, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(session: Session, *, user: User, now: datetime) -> tuple[str, str]:
    """A new session for ``user``; returns (cookie token, CSRF token); commits."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.commit()
    return token, csrf


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))
    session.commit()


def session_viewer(session: Session, *, token: str, now: datetime) -> tuple[Viewer, str] | None:
    """The viewer and CSRF token of a live session, else None."""
    row = session.get(WebSession, _token_hash(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.scalar(
        select(User).options(selectinload(User.departments)).where(User.id == row.user_id)
    )
    if user is None or not user.active:
        return None
    return viewer_of(user), row.csrf_token


def viewer_of(user: User) -> Viewer:
    return Viewer(
        user_id=user.id,
        company_id=user.company_id,
        login=user.login,
        name=user.name,
        role=Role(user.role),
        employee_id=user.employee_id,
        department_ids=frozenset(d.department_id for d in user.departments),
    )


def server_secret(session: Session, name: str) -> str:
    """A random secret shared by all nodes, made on first use; commits when new."""
    row = session.get(ServerSecret, name)
    if row is None:
        session.add(ServerSecret(name=name, value=secrets.token_hex(32)))
        try:
            session.commit()
        except IntegrityError:  # another node made it first
            session.rollback()
        row = session.get(ServerSecret, name)
        assert row is not None
    return row.value
