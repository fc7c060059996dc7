"""Admin CRUD of the key's company: settings, departments (I1, I2), employees.

PUT replaces a resource: fields left out take their defaults. A DELETE of
something the call history still refers to deactivates it or answers 409 with
the reason; it never breaks the history (and never answers 500).
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dialback.adapters.db.tables import (
    Attempt,
    CallbackRequest,
    Company,
    Department,
    DepartmentMember,
    Employee,
    Leg,
    Widget,
)
from dialback.services.phones import InvalidPhone, parse_phone
from dialback.web.deps import AdminDep, CompanyDep, PathId, SessionDep
from dialback.web.errors import conflict, invalid, not_found
from dialback.web.schemas import (
    CompanyIn,
    CompanyOut,
    Deleted,
    DepartmentIn,
    DepartmentOut,
    EmployeeIn,
    EmployeeOut,
)

router = APIRouter(tags=["admin"])

_EXTENSION = re.compile(r"^\d{2,6}$")


# --- company ----------------------------------------------------------------------------


@router.get("/company", response_model=CompanyOut)
def get_company(_: AdminDep, company: CompanyDep) -> CompanyOut:
    return CompanyOut.model_validate(company)


@router.put("/company", response_model=CompanyOut)
def put_company(
    body: CompanyIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> CompanyOut:
    company.name = body.name
    company.timezone = body.timezone
    company.default_region = body.default_region
    company.company_number = body.company_number
    company.hours = body.hours
    company.holidays = sorted({d.isoformat() for d in body.holidays})
    session.commit()
    return CompanyOut.model_validate(company)


# --- departments ---------------------------------------------------------------------


def _department(session: Session, company: Company, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.company_id != company.id:
        raise not_found("department", department_id)
    return department


def _department_out(department: Department) -> DepartmentOut:
    return DepartmentOut(
        id=department.id,
        name=department.name,
        internal_number=department.internal_number,
        ring_strategy=department.ring_strategy,
        ring_timeout_s=department.ring_timeout_s,
        member_ids=[m.employee_id for m in department.members],
    )


def _apply_department(
    session: Session, company: Company, department: Department, body: DepartmentIn
) -> None:
    for index, employee_id in enumerate(body.member_ids):
        employee = session.get(Employee, employee_id)
        if employee is None or employee.company_id != company.id:
            raise invalid(("member_ids", index), f"no employee {employee_id} in this company")
    department.name = body.name
    department.internal_number = body.internal_number
    department.ring_strategy = body.ring_strategy
    department.ring_timeout_s = body.ring_timeout_s
    # Replace the members; their order is the ring order (I2 sequential/cumulative).
    department.members.clear()
    session.flush()
    department.members.extend(
        DepartmentMember(employee_id=employee_id, position=position)
        for position, employee_id in enumerate(body.member_ids)
    )


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[DepartmentOut]:
    rows = session.scalars(
        select(Department).where(Department.company_id == company.id).order_by(Department.id)
    )
    return [_department_out(d) for d in rows]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(
    body: DepartmentIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> DepartmentOut:
    department = Department(company_id=company.id, name=body.name)
    session.add(department)
    _apply_department(session, company, department, body)
    session.commit()
    return _department_out(department)


@router.get("/departments/{department_id}", response_model=DepartmentOut)
def get_department(
    department_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> DepartmentOut:
    return _department_out(_department(session, company, department_id))


@router.put("/departments/{department_id}", response_model=DepartmentOut)
def put_department(
    department_id: PathId,
    body: DepartmentIn,
    _: AdminDep,
    company: CompanyDep,
    session: SessionDep,
) -> DepartmentOut:
    department = _department(session, company, department_id)
    _apply_department(session, company, department, body)
    session.commit()
    return _department_out(department)


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).where(condition)) or 0)


@router.delete("/departments/{department_id}", response_model=Deleted)
def delete_department(
    department_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> Deleted:
    department = _department(session, company, department_id)
    widgets = session.scalars(select(Widget.id).where(Widget.department_id == department_id)).all()
    if widgets:
        raise conflict(
            f"department {department_id} is the default of widgets {list(widgets)}; "
            "point them elsewhere first"
        )
    requests = _count(session, CallbackRequest.department_id == department_id)
    if requests:
        raise conflict(
            f"department {department_id} has {requests} callback requests in its history "
            "and cannot be deleted"
        )
    session.delete(department)
    session.commit()
    return Deleted(id=department_id, deleted=True, detail=f"department {department_id} deleted")


# --- employees -----------------------------------------------------------------------


def _employee(session: Session, company: Company, employee_id: int) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None or employee.company_id != company.id:
        raise not_found("employee", employee_id)
    return employee


def _employee_phone(raw: str, company: Company) -> str:
    text = raw.strip()
    if _EXTENSION.match(text):
        return text  # an internal extension
    try:
        return parse_phone(text, region=company.default_region)
    except InvalidPhone as exc:
        raise invalid(
            "phone", f"neither a phone number nor a 2-6 digit internal extension: {exc}"
        ) from exc


def _apply_employee(employee: Employee, body: EmployeeIn, company: Company) -> None:
    employee.phone = _employee_phone(body.phone, company)
    employee.name = body.name
    employee.email = body.email
    employee.active = body.active


@router.get("/employees", response_model=list[EmployeeOut])
def list_employees(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[EmployeeOut]:
    rows = session.scalars(
        select(Employee).where(Employee.company_id == company.id).order_by(Employee.id)
    )
    return [EmployeeOut.model_validate(e) for e in rows]


@router.post("/employees", response_model=EmployeeOut, status_code=201)
def create_employee(
    body: EmployeeIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> EmployeeOut:
    employee = Employee(company_id=company.id)
    _apply_employee(employee, body, company)
    session.add(employee)
    session.commit()
    return EmployeeOut.model_validate(employee)


@router.get("/employees/{employee_id}", response_model=EmployeeOut)
def get_employee(
    employee_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> EmployeeOut:
    return EmployeeOut.model_validate(_employee(session, company, employee_id))


@router.put("/employees/{employee_id}", response_model=EmployeeOut)
def put_employee(
    employee_id: PathId,
    body: EmployeeIn,
    _: AdminDep,
    company: CompanyDep,
    session: SessionDep,
) -> EmployeeOut:
    employee = _employee(session, company, employee_id)
    _apply_employee(employee, body, company)
    session.commit()
    return EmployeeOut.model_validate(employee)


@router.delete("/employees/{employee_id}", response_model=Deleted)
def delete_employee(
    employee_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> Deleted:
    employee = _employee(session, company, employee_id)
    referenced = (
        _count(session, CallbackRequest.employee_id == employee_id)
        + _count(session, Attempt.manager_employee_id == employee_id)
        + _count(session, Leg.employee_id == employee_id)
    )
    if referenced:
        # The call history names this employee: keep the row, stop routing to it.
        employee.active = False
        session.commit()
        return Deleted(
            id=employee_id,
            deleted=False,
            detail=f"employee {employee_id} appears in the call history; deactivated instead",
        )
    for member in session.scalars(
        select(DepartmentMember).where(DepartmentMember.employee_id == employee_id)
    ):
        session.delete(member)
    session.flush()
    session.delete(employee)
    session.commit()
    return Deleted(id=employee_id, deleted=True, detail=f"employee {employee_id} deleted")
