"""Settings forms (issue 6): form fields in, the admin API's own bodies out.

Each form is a list of ``Field``s rendered by one template. What a form sends is
turned into the REST API's input model (``CompanyIn``, ``WidgetIn``, ...), so the
pages and the API validate the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Field:
    name: str
    label: str  # catalog key
    kind: str = "text"  # text | number | password | select | checkbox | textarea | checkboxes
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label text)
    help: str | None = None  # catalog key
    required: bool = False
    autocomplete: str = "off"


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) is not None


def lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n,]", text(form, name)) if line.strip()]


def ints(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def error_messages(exc: Exception) -> list[str]:
    """``field: message`` lines from a pydantic or an API validation error."""
    errors: list[dict[str, Any]]
    if isinstance(exc, ValidationError):
        errors = [dict(e) for e in exc.errors()]
    else:
        raw = getattr(exc, "errors", None)
        errors = list(raw()) if callable(raw) else []
        if not errors:
            return [str(getattr(exc, "detail", exc))]
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query")]
        message = str(e.get("msg", "")).removeprefix("Value error, ")
        out.append(f"{'.'.join(loc)}: {message}" if loc else message)
    return out


# --- company (time zone, business hours, holidays, C4; caller ID, C6) ---------------


def company_fields(values: dict[str, Any]) -> list[Field]:
    hours = values.get("hours", {})
    return [
        Field("name", "settings.company_name", value=values.get("name", ""), required=True),
        Field("timezone", "settings.timezone", value=values.get("timezone", "UTC"),
              help="settings.timezone_help"),
        Field("default_region", "settings.default_region",
              value=values.get("default_region", "US"), help="settings.default_region_help"),
        Field("company_number", "settings.company_number",
              value=values.get("company_number") or "", help="settings.company_number_help"),
        *[
            Field(f"hours_{day}", f"day.{day}", value=", ".join(hours.get(day, [])),
                  help="settings.hours_help" if day == "mon" else None)
            for day in WEEKDAYS
        ],
        Field("holidays", "settings.holidays", kind="textarea",
              value="\n".join(str(d) for d in values.get("holidays", [])),
              help="settings.holidays_help"),
    ]  # fmt: skip


def company_body(form: FormData) -> dict[str, Any]:
    hours = {day: lines(form, f"hours_{day}") for day in WEEKDAYS}
    return {
        "name": text(form, "name"),
        "timezone": text(form, "timezone") or "UTC",
        "default_region": text(form, "default_region") or "US",
        "company_number": optional(form, "company_number"),
        "hours": {day: spans for day, spans in hours.items() if spans},
        "holidays": lines(form, "holidays"),
    }


# --- departments (I1, I2) and employees ---------------------------------------------


def department_fields(values: dict[str, Any], employees: list[tuple[str, str]]) -> list[Field]:
    strategies = ["ring_all", "uniform", "sequential", "cumulative"]
    return [
        Field("name", "settings.name", value=values.get("name", ""), required=True),
        Field("internal_number", "settings.internal_number",
              value=values.get("internal_number") or ""),
        Field("ring_strategy", "settings.ring_strategy", kind="select",
              value=values.get("ring_strategy", "ring_all"),
              options=[(s, f"strategy.{s}") for s in strategies]),
        Field("ring_timeout_s", "settings.ring_timeout_s", kind="number",
              value=values.get("ring_timeout_s", 25)),
        Field("member_ids", "settings.members", kind="checkboxes",
              value=[str(m) for m in values.get("member_ids", [])], options=employees),
    ]  # fmt: skip


def department_body(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "internal_number": optional(form, "internal_number"),
        "ring_strategy": text(form, "ring_strategy") or "ring_all",
        "ring_timeout_s": text(form, "ring_timeout_s") or 25,
        "member_ids": ints(form, "member_ids"),
    }


def employee_fields(values: dict[str, Any]) -> list[Field]:
    return [
        Field("name", "settings.name", value=values.get("name", ""), required=True),
        Field("phone", "settings.employee_phone", value=values.get("phone", ""), required=True,
              help="settings.employee_phone_help"),
        Field("email", "settings.email", value=values.get("email") or ""),
        Field("active", "settings.active", kind="checkbox", value=values.get("active", True)),
    ]  # fmt: skip


def employee_body(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "phone": text(form, "phone"),
        "email": optional(form, "email"),
        "active": checked(form, "active"),
    }


# --- widgets (C4 ReCall, C6, C7, C11, C12) ------------------------------------------


def widget_fields(values: dict[str, Any], departments: list[tuple[str, str]]) -> list[Field]:
    recall = values.get("recall", {})
    return [
        Field("name", "settings.name", value=values.get("name", ""), required=True),
        Field("department_id", "settings.default_department", kind="select",
              value=str(values.get("department_id") or ""), options=[("", "—"), *departments]),
        Field("attempts", "settings.recall_attempts", kind="number",
              value=recall.get("attempts", 2), help="settings.recall_attempts_help"),
        Field("intervals_s", "settings.recall_intervals",
              value=", ".join(f"{float(s):g}" for s in recall.get("intervals_s", [60])),
              help="settings.recall_intervals_help"),
        Field("failure", "settings.recall_failure", kind="select",
              value=recall.get("failure", "manager_or_client"),
              options=[("manager", "failure.manager"),
                       ("manager_or_client", "failure.manager_or_client")]),
        Field("postpone", "settings.recall_postpone", kind="checkbox",
              value=recall.get("postpone_to_next_business_day", False)),
        Field("promise_seconds", "settings.promise_seconds", kind="number",
              value=values.get("promise_seconds", 28), help="settings.promise_seconds_help"),
        Field("allowed_origins", "settings.allowed_origins", kind="textarea",
              value="\n".join(values.get("allowed_origins", [])),
              help="settings.allowed_origins_help"),
        Field("allowed_regions", "settings.allowed_regions",
              value=", ".join(values.get("allowed_regions", [])),
              help="settings.allowed_regions_help"),
        Field("caller_id_substitution", "settings.caller_id_substitution", kind="checkbox",
              value=values.get("caller_id_substitution", True),
              help="settings.caller_id_substitution_help"),
        Field("ivr_confirm", "settings.ivr_confirm", kind="checkbox",
              value=values.get("ivr_confirm", False)),
        Field("leave_message", "settings.leave_message", kind="checkbox",
              value=values.get("leave_message", False), help="settings.leave_message_help"),
        Field("enabled", "settings.enabled", kind="checkbox", value=values.get("enabled", True)),
    ]  # fmt: skip


def widget_body(form: FormData, limits: dict[str, int]) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "department_id": optional(form, "department_id"),
        "recall": {
            "attempts": text(form, "attempts") or 2,
            "intervals_s": lines(form, "intervals_s"),
            "failure": text(form, "failure") or "manager_or_client",
            "postpone_to_next_business_day": checked(form, "postpone"),
        },
        "ivr_confirm": checked(form, "ivr_confirm"),
        "leave_message": checked(form, "leave_message"),
        "caller_id_substitution": checked(form, "caller_id_substitution"),
        "promise_seconds": text(form, "promise_seconds") or 28,
        "allowed_origins": lines(form, "allowed_origins"),
        "allowed_regions": [r for r in re.split(r"[\s,]+", text(form, "allowed_regions")) if r],
        "limits": limits,  # C11 limits are kept as they are (API only)
        "enabled": checked(form, "enabled"),
    }


# --- trunks (C5) ---------------------------------------------------------------------


def trunk_fields(values: dict[str, Any]) -> list[Field]:
    sip = values.get("settings", {})
    return [
        Field("name", "settings.name", value=values.get("name", ""), required=True),
        Field("priority", "settings.priority", kind="number", value=values.get("priority", 0),
              help="settings.priority_help"),
        Field("enabled", "settings.enabled", kind="checkbox", value=values.get("enabled", True)),
        Field("host", "settings.sip_host", value=sip.get("host", ""),
              help="settings.sip_host_help"),
        Field("port", "settings.sip_port", kind="number", value=sip.get("port", "")),
        Field("transport", "settings.sip_transport", kind="select",
              value=sip.get("transport", "udp"),
              options=[("udp", "UDP"), ("tcp", "TCP"), ("tls", "TLS")]),
        Field("user", "settings.sip_user", value=sip.get("user", "")),
        Field("password", "settings.sip_password", kind="password", value="",
              help="settings.sip_password_help", autocomplete="new-password"),
        Field("register", "settings.sip_register", kind="checkbox",
              value=sip.get("register", False)),
    ]  # fmt: skip


def trunk_body(form: FormData, old_settings: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    host = text(form, "host")
    if host:
        settings = {k: v for k, v in old_settings.items() if k not in ("host", "port")}
        settings["host"] = host
        if text(form, "port"):
            settings["port"] = text(form, "port")
        settings["transport"] = text(form, "transport") or "udp"
        for key in ("user",):
            if text(form, key):
                settings[key] = text(form, key)
            else:
                settings.pop(key, None)
        if text(form, "password"):  # blank keeps the stored password
            settings["password"] = text(form, "password")
        settings["register"] = checked(form, "register")
    port = settings.get("port")
    if isinstance(port, str) and port.isdigit():
        settings["port"] = int(port)
    return {
        "name": text(form, "name"),
        "priority": text(form, "priority") or 0,
        "enabled": checked(form, "enabled"),
        "settings": settings,
    }


# --- users (sign-in and roles) --------------------------------------------------------


def user_fields(
    values: dict[str, Any],
    employees: list[tuple[str, str]],
    departments: list[tuple[str, str]],
    *,
    new: bool,
) -> list[Field]:
    return [
        Field("login", "settings.login", value=values.get("login", ""), required=new,
              autocomplete="username"),
        Field("name", "settings.name", value=values.get("name", "")),
        Field("role", "settings.role", kind="select", value=values.get("role", "employee"),
              options=[(r, f"role.{r}") for r in ("admin", "supervisor", "employee")]),
        Field("employee_id", "settings.user_employee", kind="select",
              value=str(values.get("employee_id") or ""), options=[("", "—"), *employees],
              help="settings.user_employee_help"),
        Field("department_ids", "settings.user_departments", kind="checkboxes",
              value=[str(d) for d in values.get("department_ids", [])], options=departments,
              help="settings.user_departments_help"),
        Field("password", "settings.password", kind="password", value="", required=new,
              help=None if new else "settings.password_keep_help", autocomplete="new-password"),
        Field("active", "settings.active", kind="checkbox", value=values.get("active", True)),
    ]  # fmt: skip
