"""Settings pages for admins (issue 6): company, departments, employees, widgets,
trunks and users. Forms post to the same handlers as the REST API (``routes/``),
so both validate and store alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from dialback.adapters.db.tables import (
    Company,
    Department,
    Employee,
    Trunk,
    User,
    UserDepartment,
    Widget,
)
from dialback.bootstrap import new_key
from dialback.services.users import Role, UserError, create_user, hash_password
from dialback.web.deps import ContainerDep, Principal
from dialback.web.routes import admin as admin_api
from dialback.web.routes import widgets as widgets_api
from dialback.web.schemas import (
    CompanyIn,
    CompanyOut,
    DepartmentIn,
    EmployeeIn,
    EmployeeOut,
    TrunkIn,
    WidgetIn,
    WidgetOut,
)
from dialback.web.ui import forms
from dialback.web.ui.common import CsrfDep, PageError, Signed, SignedDep, need_role, render

router = APIRouter(prefix="/settings", include_in_schema=False)

SECTIONS = ("company", "departments", "employees", "widgets", "trunks", "users")


@dataclass
class Row:
    id: int
    cells: list[str]


@dataclass
class Page:
    section: str
    rows: list[Row]
    columns: list[str]  # catalog keys
    fields: list[forms.Field]
    editing: int | None = None
    errors: list[str] | None = None
    saved: bool = False
    extra: dict[str, Any] | None = None


def _principal(signed: Signed) -> Principal:
    return Principal(kind="admin", company_id=signed.viewer.company_id, name=signed.viewer.login)


def _admin(signed: Signed) -> None:
    need_role(signed, Role.ADMIN)


def _company(session: Session, signed: Signed) -> Company:
    company = session.get(Company, signed.viewer.company_id)
    if company is None:
        raise PageError(404, "error.not_found")
    return company


def _show(request: Request, signed: Signed, page: Page, status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "settings.html",
        {"page": page, "sections": SECTIONS},
        signed=signed,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def settings_home(signed: SignedDep) -> RedirectResponse:
    _admin(signed)
    return RedirectResponse("/settings/company", status_code=303)


# --- loading pages -----------------------------------------------------------------------


def _employees(session: Session, company_id: int) -> list[Employee]:
    return list(
        session.scalars(
            select(Employee).where(Employee.company_id == company_id).order_by(Employee.id)
        )
    )


def _departments(session: Session, company_id: int) -> list[Department]:
    return list(
        session.scalars(
            select(Department)
            .options(selectinload(Department.members))
            .where(Department.company_id == company_id)
            .order_by(Department.id)
        )
    )


def _page(session: Session, signed: Signed, section: str, item: int | None) -> Page:
    """The list of ``section`` and the form for ``item`` (None: a new one)."""
    cid = signed.viewer.company_id
    company = _company(session, signed)
    employees = _employees(session, cid)
    departments = _departments(session, cid)
    emp_opts = [(str(e.id), e.name) for e in employees]
    dep_opts = [(str(d.id), d.name) for d in departments]
    if section == "company":
        values = CompanyOut.model_validate(company).model_dump()
        return Page(section, [], [], forms.company_fields(values), editing=company.id)
    if section == "departments":
        found = next((d for d in departments if d.id == item), None)
        values = admin_api._department_out(found).model_dump() if found else {}
        rows = [Row(d.id, [d.name, d.ring_strategy, str(len(d.members))]) for d in departments]
        cols = ["settings.name", "settings.ring_strategy", "settings.members"]
        return Page(section, rows, cols, forms.department_fields(values, emp_opts), item)
    if section == "employees":
        found_e = next((e for e in employees if e.id == item), None)
        values = EmployeeOut.model_validate(found_e).model_dump() if found_e else {}
        rows = [Row(e.id, [e.name, e.phone, "✓" if e.active else "—"]) for e in employees]
        cols = ["settings.name", "settings.employee_phone", "settings.active"]
        return Page(section, rows, cols, forms.employee_fields(values), item)
    if section == "widgets":
        widgets = list(
            session.scalars(select(Widget).where(Widget.company_id == cid).order_by(Widget.id))
        )
        found_w = next((w for w in widgets if w.id == item), None)
        out = WidgetOut.model_validate(found_w) if found_w else None
        rows = [Row(w.id, [w.name, w.public_key, ", ".join(w.allowed_origins)]) for w in widgets]
        cols = ["settings.name", "settings.public_key", "settings.allowed_origins"]
        page = Page(
            section,
            rows,
            cols,
            forms.widget_fields(out.model_dump() if out else {}, dep_opts),
            item,
        )
        if out is not None:
            page.extra = {"public_key": out.public_key}
        return page
    if section == "trunks":
        trunks = list(
            session.scalars(
                select(Trunk).where(Trunk.company_id == cid).order_by(Trunk.priority, Trunk.id)
            )
        )
        found_t = next((t for t in trunks if t.id == item), None)
        values = {"name": found_t.name, "priority": found_t.priority, "enabled": found_t.enabled,
                  "settings": dict(found_t.settings)} if found_t else {}  # fmt: skip
        rows = [
            Row(t.id, [t.name, str(t.priority), str(t.settings.get("host", "simulated"))])
            for t in trunks
        ]
        cols = ["settings.name", "settings.priority", "settings.sip_host"]
        return Page(section, rows, cols, forms.trunk_fields(values), item)
    if section == "users":
        users = list(
            session.scalars(
                select(User)
                .options(selectinload(User.departments))
                .where(User.company_id == cid)
                .order_by(User.id)
            )
        )
        found_u = next((u for u in users if u.id == item), None)
        values = {"login": found_u.login, "name": found_u.name, "role": found_u.role,
                  "employee_id": found_u.employee_id, "active": found_u.active,
                  "department_ids": [d.department_id for d in found_u.departments]
                  } if found_u else {}  # fmt: skip
        rows = [Row(u.id, [u.login, u.name, f"role.{u.role}"]) for u in users]
        cols = ["settings.login", "settings.name", "settings.role"]
        fields = forms.user_fields(values, emp_opts, dep_opts, new=found_u is None)
        return Page(section, rows, cols, fields, item)
    raise PageError(404, "error.not_found")


async def _get(
    request: Request, signed: Signed, container: ContainerDep, section: str, item: int | None
) -> HTMLResponse:
    _admin(signed)

    def work() -> Page:
        with container.sessions() as s:
            page = _page(s, signed, section, item)
            if item is not None and section != "company" and page.editing is not None:
                if not any(r.id == item for r in page.rows):
                    raise PageError(404, "error.not_found")
            return page

    page = await run_in_threadpool(work)
    page.saved = request.query_params.get("saved") == "1"
    return _show(request, signed, page)


@router.get("/{section}", response_class=HTMLResponse)
async def section_page(
    section: str, request: Request, signed: SignedDep, container: ContainerDep
) -> HTMLResponse:
    return await _get(request, signed, container, section, None)


@router.get("/{section}/{item}", response_class=HTMLResponse)
async def item_page(
    section: str, item: int, request: Request, signed: SignedDep, container: ContainerDep
) -> HTMLResponse:
    return await _get(request, signed, container, section, item)


# --- saving --------------------------------------------------------------------------------

Saver = Callable[[Session, Signed, FormData, int | None, datetime], int]


def _save_company(
    s: Session, signed: Signed, form: FormData, item: int | None, now: datetime
) -> int:
    company = _company(s, signed)
    body = CompanyIn.model_validate(forms.company_body(form))
    admin_api.put_company(body, _principal(signed), company, s)
    return company.id


def _save_department(
    s: Session, signed: Signed, form: FormData, item: int | None, now: datetime
) -> int:
    company = _company(s, signed)
    body = DepartmentIn.model_validate(forms.department_body(form))
    if item is None:
        return admin_api.create_department(body, _principal(signed), company, s).id
    return admin_api.put_department(item, body, _principal(signed), company, s).id


def _save_employee(
    s: Session, signed: Signed, form: FormData, item: int | None, now: datetime
) -> int:
    company = _company(s, signed)
    body = EmployeeIn.model_validate(forms.employee_body(form))
    if item is None:
        return admin_api.create_employee(body, _principal(signed), company, s).id
    return admin_api.put_employee(item, body, _principal(signed), company, s).id


def _save_widget(
    s: Session, signed: Signed, form: FormData, item: int | None, now: datetime
) -> int:
    company = _company(s, signed)
    limits: dict[str, int] = {}
    if item is not None:
        limits = dict(widgets_api._widget(s, company, item).limits)
    body = WidgetIn.model_validate(forms.widget_body(form, limits))
    if item is None:
        return widgets_api.create_widget(body, _principal(signed), company, s).id
    return widgets_api.put_widget(item, body, _principal(signed), company, s).id


def _save_trunk(s: Session, signed: Signed, form: FormData, item: int | None, now: datetime) -> int:
    company = _company(s, signed)
    old: dict[str, Any] = {}
    if item is not None:
        old = dict(widgets_api._trunk(s, company, item).settings)
    body = TrunkIn.model_validate(forms.trunk_body(form, old))
    if item is None:
        return widgets_api.create_trunk(body, _principal(signed), company, s).id
    return widgets_api.put_trunk(item, body, _principal(signed), company, s).id


def _save_user(s: Session, signed: Signed, form: FormData, item: int | None, now: datetime) -> int:
    cid = signed.viewer.company_id
    try:
        role = Role(forms.text(form, "role"))
    except ValueError as exc:
        raise UserError("role", "admin, supervisor or employee") from exc
    employee = forms.optional(form, "employee_id")
    employee_id = int(employee) if employee and employee.isdigit() else None
    departments = tuple(int(d) for d in forms.ints(form, "department_ids") if d.isdigit())
    password = forms.text(form, "password")
    if item is None:
        user = create_user(
            s,
            company_id=cid,
            login=forms.text(form, "login"),
            name=forms.text(form, "name"),
            password=password,
            role=role,
            now=now,
            employee_id=employee_id,
            department_ids=departments,
        )
        s.commit()
        return user.id
    user_row = s.get(User, item)
    if user_row is None or user_row.company_id != cid:
        raise PageError(404, "error.not_found")
    if role is Role.EMPLOYEE and employee_id is None:
        raise UserError("employee_id", "an employee user must be linked to an employee")
    if user_row.id == signed.viewer.user_id and (
        role is not Role.ADMIN or not forms.checked(form, "active")
    ):
        raise UserError("role", "you cannot take away your own admin access")
    if password:
        if len(password) < 8:
            raise UserError("password", "at least 8 characters")
        user_row.password_hash = hash_password(password)
    user_row.name = forms.text(form, "name") or user_row.login
    user_row.role = role.value
    user_row.employee_id = employee_id
    user_row.active = forms.checked(form, "active")
    user_row.departments = [UserDepartment(department_id=d) for d in sorted(set(departments))]
    s.commit()
    return user_row.id


SAVERS: dict[str, Saver] = {
    "company": _save_company,
    "departments": _save_department,
    "employees": _save_employee,
    "widgets": _save_widget,
    "trunks": _save_trunk,
    "users": _save_user,
}


async def _post(
    request: Request, signed: Signed, container: ContainerDep, section: str, item: int | None
) -> Response:
    _admin(signed)
    saver = SAVERS.get(section)
    if saver is None:
        raise PageError(404, "error.not_found")
    form = await request.form()

    def work() -> int | Page:
        with container.sessions() as s:
            try:
                return saver(s, signed, form, item, container.clock.now())
            except (ValidationError, RequestValidationError) as exc:
                errors = forms.error_messages(exc)
            except UserError as exc:
                errors = [str(exc)]
            except HTTPException as exc:
                if exc.status_code == 404:
                    raise PageError(404, "error.not_found") from exc
                errors = [str(exc.detail)]
            s.rollback()
            page = _page(s, signed, section, item)
            _refill(page, form)
            page.errors = errors
            return page

    result = await run_in_threadpool(work)
    if isinstance(result, Page):
        return _show(request, signed, result, status_code=422)
    target = "/settings/company" if section == "company" else f"/settings/{section}/{result}"
    return RedirectResponse(f"{target}?saved=1", status_code=303)


def _refill(page: Page, form: FormData) -> None:
    """Show what the admin typed, not the stored values, next to the errors."""
    for f in page.fields:
        if f.kind == "checkboxes":
            f.value = [v for v in form.getlist(f.name) if isinstance(v, str)]
        elif f.kind == "checkbox":
            f.value = forms.checked(form, f.name)
        elif f.kind != "password":
            f.value = forms.text(form, f.name) if f.kind != "textarea" else form.get(f.name, "")


@router.post("/{section}")
async def create_or_save(
    section: str, request: Request, signed: CsrfDep, container: ContainerDep
) -> Response:
    return await _post(request, signed, container, section, None)


@router.post("/{section}/{item}")
async def save_item(
    section: str, item: int, request: Request, signed: CsrfDep, container: ContainerDep
) -> Response:
    return await _post(request, signed, container, section, item)


@router.post("/widgets/{item}/new-key")
async def new_widget_key(item: int, signed: CsrfDep, container: ContainerDep) -> RedirectResponse:
    """A fresh public key for a widget (the old embed code stops working)."""
    _admin(signed)

    def work() -> None:
        with container.sessions() as s:
            widget = widgets_api._widget(s, _company(s, signed), item)
            widget.public_key = new_key("wk")
            s.commit()

    try:
        await run_in_threadpool(work)
    except HTTPException as exc:
        raise PageError(404, "error.not_found") from exc
    return RedirectResponse(f"/settings/widgets/{item}?saved=1", status_code=303)
