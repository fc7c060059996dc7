"""Which callback requests a signed-in user may see (A6, issue 6).

- an admin: every request of the company;
- a supervisor: requests for their departments;
- an employee: their own calls: requests that chose them, or attempts they answered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select

from dialback.adapters.db.tables import Attempt, CallbackRequest
from dialback.services.users import Role, Viewer


def visible_requests(viewer: Viewer) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``CallbackRequest`` for what ``viewer`` may see."""
    conditions: list[Any] = [CallbackRequest.company_id == viewer.company_id]
    if viewer.role is Role.SUPERVISOR:
        if viewer.department_ids:
            conditions.append(CallbackRequest.department_id.in_(sorted(viewer.department_ids)))
        else:
            conditions.append(false())
    elif viewer.role is Role.EMPLOYEE:
        if viewer.employee_id is None:
            conditions.append(false())
        else:
            answered = select(Attempt.request_id).where(
                Attempt.manager_employee_id == viewer.employee_id
            )
            conditions.append(
                or_(
                    CallbackRequest.employee_id == viewer.employee_id,
                    CallbackRequest.id.in_(answered),
                )
            )
    return conditions
