"""Create a company with departments, employees, trunks and a widget in one go.

Used by the demo, the simulator and tests; the REST API does the same piece by piece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dialback.adapters.db.tables import (
    Company,
    Department,
    DepartmentMember,
    Employee,
    Trunk,
    Widget,
)
from dialback.services.company import recall_policy_from


@dataclass(frozen=True)
class EmployeeSpec:
    name: str
    phone: str


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    employees: tuple[EmployeeSpec, ...]
    ring_timeout_s: int = 25


@dataclass(frozen=True)
class CompanySpec:
    name: str = "Demo Ltd"
    timezone: str = "UTC"
    default_region: str = "US"
    company_number: str | None = "+16502530000"
    hours: dict[str, list[str]] = field(default_factory=dict)  # {} = Mon-Fri 09-18
    holidays: tuple[str, ...] = ()
    trunks: tuple[str, ...] = ("main", "backup")
    departments: tuple[DepartmentSpec, ...] = ()
    widget_key: str = "wk_demo"
    recall: dict[str, Any] = field(default_factory=dict)
    ivr_confirm: bool = False
    leave_message: bool = False
    caller_id_substitution: bool = True
    limits: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Seeded:
    company_id: int
    widget_id: int
    widget_key: str
    departments: dict[str, int]
    employees: dict[str, int]


def create_company(session: Session, spec: CompanySpec, *, now: datetime) -> Seeded:
    """Insert everything ``spec`` describes; commits."""
    recall_policy_from(spec.recall)  # refuse a bad policy before writing anything
    company = Company(
        name=spec.name,
        timezone=spec.timezone,
        default_region=spec.default_region,
        company_number=spec.company_number,
        hours=spec.hours,
        holidays=list(spec.holidays),
        created_at=now,
    )
    session.add(company)
    session.flush()
    for priority, name in enumerate(spec.trunks):
        session.add(Trunk(company_id=company.id, name=name, priority=priority))
    departments: dict[str, int] = {}
    employees: dict[str, int] = {}
    for d in spec.departments:
        dept = Department(company_id=company.id, name=d.name, ring_timeout_s=d.ring_timeout_s)
        session.add(dept)
        session.flush()
        departments[d.name] = dept.id
        for position, e in enumerate(d.employees):
            if e.name not in employees:
                emp = Employee(company_id=company.id, name=e.name, phone=e.phone)
                session.add(emp)
                session.flush()
                employees[e.name] = emp.id
            session.add(
                DepartmentMember(
                    department_id=dept.id, employee_id=employees[e.name], position=position
                )
            )
    widget = Widget(
        company_id=company.id,
        name=f"{spec.name} website",
        public_key=spec.widget_key,
        department_id=next(iter(departments.values()), None),
        recall=spec.recall,
        ivr_confirm=spec.ivr_confirm,
        leave_message=spec.leave_message,
        caller_id_substitution=spec.caller_id_substitution,
        limits=spec.limits,
    )
    session.add(widget)
    session.commit()
    return Seeded(
        company_id=company.id,
        widget_id=widget.id,
        widget_key=widget.public_key,
        departments=departments,
        employees=employees,
    )
