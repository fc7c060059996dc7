"""`dialback demo`: SQLite + the simulated telephone network in real time + a seeded company."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from dialback.adapters.db.tables import Widget
from dialback.bootstrap import Container
from dialback.config import Settings
from dialback.services.seeding import CompanySpec, DepartmentSpec, EmployeeSpec, create_company

ADMIN_KEY = "demo-admin-key"
WIDGET_KEY = "wk_demo"
ALL_DAY = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

DEMO_COMPANY = CompanySpec(
    name="Demo Ltd",
    timezone="UTC",
    default_region="US",
    company_number="+16502530000",
    hours=ALL_DAY,  # the demo answers at any hour
    departments=(
        DepartmentSpec(
            name="Sales",
            employees=(
                EmployeeSpec("Anna", "101"),
                EmployeeSpec("Boris", "102"),
                EmployeeSpec("Chloe", "103"),
            ),
        ),
        DepartmentSpec(
            name="Support", employees=(EmployeeSpec("Dmytro", "201"), EmployeeSpec("Eva", "202"))
        ),
    ),
    widget_key=WIDGET_KEY,
)

# Managers of the demo answer most calls within a few seconds (hidden traits).
_MANAGER_TRAITS = {"answer_prob": 0.85, "answer_delay_s": [2.0, 6.0], "dtmf_confirm": True}


# Visitors with known behaviour, for trying the flows by hand; any other number
# gets hidden traits drawn from the seed (voicemail, busy spells, ...).
DEMO_CLIENTS: list[dict[str, object]] = [
    # Always answers after a few seconds and talks for a minute.
    {
        "number": "+16502530001",
        "answer_prob": 1.0,
        "answer_delay_s": [3.0, 5.0],
        "talk_s": [60.0, 60.0],
    },
    # Busy on the first call, answers the retry a minute later (ReCall, C4).
    {
        "number": "+16502530002",
        "answer_prob": 1.0,
        "answer_delay_s": [3.0, 5.0],
        "script": [{"kind": "busy"}],
    },
    # Only ever reached on voicemail: counted as connected until AMD exists (V1).
    {"number": "+16502530003", "answer_prob": 0.0, "voicemail": True, "voicemail_after_s": 8.0},
]


def demo_settings(data: Path, *, host: str, port: int) -> Settings:
    data.mkdir(parents=True, exist_ok=True)
    population = data / "population.json"
    managers = [e.phone for d in DEMO_COMPANY.departments for e in d.employees]
    population.write_text(
        json.dumps(
            {
                "subscribers": [{"number": n, **_MANAGER_TRAITS} for n in managers] + DEMO_CLIENTS,
                "trunks": {"main": {"failure_prob": 0.02}, "backup": {}},
            },
            indent=2,
        )
    )
    return Settings(
        database_url=f"sqlite:///{data.resolve()}/dialback.db",
        host=host,
        port=port,
        admin_key=ADMIN_KEY,
        sim_population=population,
        sim_call_log=data / "network-calls.jsonl",
        recordings_dir=data / "recordings",
        node_id="demo",
    )


def ensure_demo_company(container: Container) -> str:
    """Seed the demo company once; returns its widget key."""
    with container.sessions() as s:
        if s.scalar(select(Widget).where(Widget.public_key == WIDGET_KEY)) is None:
            from dialback.adapters.db.tables import ApiKey, Company

            # The admin key made a bare company at start-up: seed beside it, then
            # move the key over so the admin sees the demo company.
            seeded = create_company(s, DEMO_COMPANY, now=container.clock.now())
            for key in s.scalars(select(ApiKey)):
                key.company_id = seeded.company_id
            for company in s.scalars(select(Company).where(Company.id != seeded.company_id)):
                if company.name == "My company":
                    s.delete(company)
            s.commit()
    ensure_demo_users(container)
    return WIDGET_KEY


# Sign-in accounts of the demo, one per role (issue 6); all share DEMO_PASSWORD.
DEMO_PASSWORD = "dialback-demo"
DEMO_USERS: tuple[tuple[str, str, str, str | None, tuple[str, ...]], ...] = (
    # login, role, name, employee, supervised departments
    ("admin", "admin", "Demo admin", None, ()),
    ("sales.lead", "supervisor", "Sales supervisor", None, ("Sales",)),
    ("support.lead", "supervisor", "Support supervisor", None, ("Support",)),
    ("anna", "employee", "Anna", "Anna", ()),
    ("dmytro", "employee", "Dmytro", "Dmytro", ()),
)


def ensure_demo_users(container: Container) -> None:
    """Create the demo's users once (admin, two supervisors, two employees)."""
    from dialback.adapters.db.tables import Department, Employee, User
    from dialback.services.users import Role, create_user

    with container.sessions() as s:
        widget = s.scalar(select(Widget).where(Widget.public_key == WIDGET_KEY))
        if widget is None:
            return
        company_id = widget.company_id
        employees = dict(
            s.execute(
                select(Employee.name, Employee.id).where(Employee.company_id == company_id)
            ).all()
        )
        departments = dict(
            s.execute(
                select(Department.name, Department.id).where(Department.company_id == company_id)
            ).all()
        )
        for login, role, name, employee, supervised in DEMO_USERS:
            if s.scalar(select(User.id).where(User.login == login)) is not None:
                continue
            create_user(
                s,
                company_id=company_id,
                login=login,
                name=name,
                password=DEMO_PASSWORD,
                role=Role(role),
                now=container.clock.now(),
                employee_id=employees.get(employee) if employee else None,
                department_ids=tuple(departments[d] for d in supervised),
            )
        s.commit()


def announce(widget_key: str, settings: Settings) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"""
Dialback demo is running at {base}  (API docs: {base}/docs)
  web UI:    {base}/login  (password {DEMO_PASSWORD} for: {", ".join(u[0] for u in DEMO_USERS)})
  widget:    {base}/try-widget?key={widget_key}
  database:  {settings.database_url}
  telephony: simulated network, real time (managers 101-103 Sales, 201-202 Support)
  admin key: {ADMIN_KEY}
  widget key: {widget_key}

Order a callback (+1 650 253 0001 always answers, ...0002 is busy the first
time and answers the retry, ...0003 only has voicemail):
  curl -s -X POST {base}/api/v1/callbacks -H 'X-API-Key: {widget_key}' \\
       -H 'Content-Type: application/json' -d '{{"phone": "+1 650 253 0001"}}'
Watch it (replace 1 with the id returned):
  curl -s {base}/api/v1/callbacks/1 -H 'X-API-Key: {ADMIN_KEY}'
""",
        flush=True,
    )
