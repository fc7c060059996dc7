"""The REST API (X1, C1, C9, C11, X5) on a real SQLite file, through HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from dialback.adapters.clock import SystemClock
from dialback.adapters.db.tables import ApiKey, Attempt, CallbackRequest, Company, Job, Leg
from dialback.bootstrap import Container, build, hash_key
from dialback.config import Settings
from dialback.domain.calls import StateChanged
from dialback.web.app import create_app
from dialback.web.routes.events import encode_event, event_stream

ADMIN = {"X-API-Key": "ak_test"}
PHONE = "+16502530000"


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        admin_key="ak_test",
        recordings_dir=tmp_path / "rec",
    )
    built = build(settings, clock=SystemClock())
    yield built
    built.db.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as c:
        yield c


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post(f"/api/v1/{path}", json=body, headers=ADMIN), 201)
    return result


def seed_widget(client: TestClient, **widget: Any) -> dict[str, Any]:
    """An employee, a department with them, and a widget ordering for that department."""
    employee = create(client, "employees", {"name": "Ann", "phone": "+12125551234"})
    department = create(client, "departments", {"name": "Sales", "member_ids": [employee["id"]]})
    return create(client, "widgets", {"name": "site", "department_id": department["id"], **widget})


def widget_key(widget: dict[str, Any]) -> dict[str, str]:
    return {"X-API-Key": widget["public_key"]}


def order(client: TestClient, widget: dict[str, Any], phone: str = PHONE, **body: Any) -> Any:
    return client.post(
        "/api/v1/callbacks", json={"phone": phone, **body}, headers=widget_key(widget)
    )


def single_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


# --- ordering (C1, C11) ------------------------------------------------------------------


def test_widget_order_creates_scheduled_request_with_pending_job(
    client: TestClient, container: Container
) -> None:
    widget = seed_widget(client)

    card = ok(order(client, widget, "650-253-0000", name="Bob", comment="after 5"), 201)

    assert card["state"] == "scheduled"
    assert card["phone"] == PHONE  # national input normalised to E.164 with the region
    assert card["department_id"] == widget["department_id"]
    assert card["visitor_name"] == "Bob"
    assert card["next_attempt_at"] is not None
    assert card["attempts"] == []
    with container.sessions() as s:
        jobs = s.scalars(select(Job).where(Job.request_id == card["id"])).all()
    assert [(j.state, j.ref) for j in jobs] == [("pending", f"{card['id']}:1")]


def test_second_order_of_same_number_returns_the_open_request(
    client: TestClient, container: Container
) -> None:
    widget = seed_widget(client)
    first = ok(order(client, widget), 201)

    again = ok(order(client, widget, "+1 650 253 0000"), 200)

    assert again["id"] == first["id"]
    with container.sessions() as s:
        assert len(s.scalars(select(Job)).all()) == 1  # nobody is called twice


def test_bad_phone_is_422_naming_the_field_and_the_reason(client: TestClient) -> None:
    widget = seed_widget(client)

    error = single_error(order(client, widget, "call me maybe"))

    assert error["loc"] == ["body", "phone"]
    assert "not a phone number" in error["msg"]
    short = single_error(order(client, widget, "+1 650 25"))
    assert short["loc"][-1] == "phone" and "length" in short["msg"]


def test_foreign_number_is_rejected_when_the_widget_limits_regions(client: TestClient) -> None:
    widget = seed_widget(client, allowed_regions=["us"])
    assert widget["allowed_regions"] == ["US"]

    error = single_error(order(client, widget, "+442079460958"))

    assert error["loc"][-1] == "phone"
    assert "GB" in error["msg"] and "not accepted" in error["msg"]


def test_body_validation_is_fastapis_usual_422(client: TestClient) -> None:
    widget = seed_widget(client)
    key = widget_key(widget)

    missing = client.post("/api/v1/callbacks", json={"name": "x"}, headers=key)
    extra = client.post("/api/v1/callbacks", json={"phone": PHONE, "fax": 1}, headers=key)
    wrong = client.post("/api/v1/callbacks", json={"phone": PHONE, "employee_id": "x"}, headers=key)
    not_json = client.post(
        "/api/v1/callbacks",
        content=b"phone=123",
        headers={**key, "Content-Type": "application/json"},
    )

    assert single_error(missing)["loc"] == ["body", "phone"]
    assert single_error(extra)["loc"] == ["body", "fax"]
    assert single_error(wrong)["loc"] == ["body", "employee_id"]
    assert not_json.status_code == 422


def test_unknown_employee_or_department_is_422_on_that_field(client: TestClient) -> None:
    widget = seed_widget(client)

    assert single_error(order(client, widget, employee_id=999))["loc"] == ["body", "employee_id"]
    assert single_error(order(client, widget, department_id=999))["loc"] == [
        "body",
        "department_id",
    ]
    huge = single_error(order(client, widget, department_id=10**30))
    assert huge["loc"] == ["body", "department_id"]


def test_blocked_number_is_403_and_stored_as_spam(client: TestClient) -> None:
    widget = seed_widget(client)
    entry = create(
        client, "blocklist", {"kind": "phone", "value": "650 253 0000", "reason": "spam"}
    )
    assert entry["value"] == PHONE  # stored as orders are, in E.164

    response = order(client, widget)

    assert response.status_code == 403
    body = response.json()
    assert "block list" in body["detail"]
    card = ok(client.get(f"/api/v1/callbacks/{body['request_id']}", headers=ADMIN))
    assert card["state"] == "blocked"
    assert card["customer_status"] == "Spam"
    metrics = client.get("/metrics").text
    assert 'dialback_callbacks_rejected_total{reason="blocked"} 1.0' in metrics


def test_rate_limit_per_ip_is_429_with_retry_after(client: TestClient) -> None:
    widget = seed_widget(client, limits={"per_ip_per_hour": 2})
    ok(order(client, widget, "+12025550143"), 201)
    ok(order(client, widget, "+14155552671"), 201)

    response = order(client, widget, "+13125550199")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert "per_ip_per_hour" in response.json()["detail"]


def test_admin_orders_through_a_named_widget(client: TestClient) -> None:
    widget = seed_widget(client)

    no_widget = client.post("/api/v1/callbacks", json={"phone": PHONE}, headers=ADMIN)
    foreign = client.post(
        "/api/v1/callbacks", json={"phone": PHONE, "widget_id": 999}, headers=ADMIN
    )
    card = ok(
        client.post(
            "/api/v1/callbacks", json={"phone": PHONE, "widget_id": widget["id"]}, headers=ADMIN
        ),
        201,
    )

    assert single_error(no_widget)["loc"] == ["body", "widget_id"]
    assert "no widget 999" in single_error(foreign)["msg"]
    assert card["widget_id"] == widget["id"]


# --- auth (X1) -----------------------------------------------------------------------------


def test_missing_or_unknown_key_is_401(client: TestClient) -> None:
    missing = client.get("/api/v1/callbacks")
    unknown = client.get("/api/v1/callbacks", headers={"X-API-Key": "ak_nope"})

    assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
    assert unknown.status_code == 401 and "unknown" in unknown.json()["detail"]


def test_widget_key_sees_only_its_own_requests_and_no_admin_endpoint(client: TestClient) -> None:
    mine = seed_widget(client)
    other = create(client, "widgets", {"name": "other", "department_id": mine["department_id"]})
    request_id = ok(order(client, mine), 201)["id"]

    assert ok(client.get(f"/api/v1/callbacks/{request_id}", headers=widget_key(mine)))["id"] == (
        request_id
    )
    assert client.get(f"/api/v1/callbacks/{request_id}", headers=widget_key(other)).status_code == (
        404
    )
    assert ok(client.get("/api/v1/callbacks", headers=widget_key(other)))["total"] == 0
    assert ok(client.get("/api/v1/callbacks", headers=widget_key(mine)))["total"] == 1
    for path in ("/api/v1/departments", "/api/v1/company", "/api/v1/events"):
        denied = client.get(path, headers=widget_key(mine))
        assert denied.status_code == 403 and "admin" in denied.json()["detail"], path
    cancel = client.post(f"/api/v1/callbacks/{request_id}/cancel", headers=widget_key(mine))
    assert cancel.status_code == 403
    cross = order(client, mine, widget_id=other["id"])
    assert cross.status_code == 403 and "widget_id" in cross.json()["detail"]


def test_another_companys_data_is_invisible(client: TestClient, container: Container) -> None:
    widget = seed_widget(client)
    request_id = ok(order(client, widget), 201)["id"]
    with container.sessions() as s:
        company = Company(name="Rival", created_at=datetime.now(UTC))
        s.add(company)
        s.flush()
        s.add(
            ApiKey(
                company_id=company.id,
                name="rival",
                key_hash=hash_key("ak_rival"),
                created_at=datetime.now(UTC),
            )
        )
        s.commit()
    rival = {"X-API-Key": "ak_rival"}

    assert client.get(f"/api/v1/callbacks/{request_id}", headers=rival).status_code == 404
    assert client.get(f"/api/v1/widgets/{widget['id']}", headers=rival).status_code == 404
    assert (
        client.get(f"/api/v1/departments/{widget['department_id']}", headers=rival).status_code
        == 404
    )
    assert ok(client.get("/api/v1/callbacks", headers=rival))["total"] == 0
    assert ok(client.get("/api/v1/employees", headers=rival)) == []


def test_api_keys_are_shown_once_and_can_be_revoked(client: TestClient) -> None:
    created = create(client, "api-keys", {"name": "crm"})
    key = created["key"]
    assert key.startswith("ak_")

    listed = ok(client.get("/api/v1/api-keys", headers=ADMIN))
    assert {k["name"] for k in listed} == {"bootstrap", "crm"}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert ok(client.get("/api/v1/company", headers={"X-API-Key": key}))["name"]

    ok(client.delete(f"/api/v1/api-keys/{created['id']}", headers=ADMIN))

    revoked = client.get("/api/v1/company", headers={"X-API-Key": key})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    bootstrap = next(k for k in listed if k["name"] == "bootstrap")
    last = client.delete(f"/api/v1/api-keys/{bootstrap['id']}", headers=ADMIN)
    assert last.status_code == 409 and "last active key" in last.json()["detail"]


# --- admin CRUD ------------------------------------------------------------------------------


def test_department_members_keep_their_order_and_are_replaced(client: TestClient) -> None:
    a = create(client, "employees", {"name": "A", "phone": "101"})
    b = create(client, "employees", {"name": "B", "phone": "650 253 0001"})
    c = create(client, "employees", {"name": "C", "phone": "+12125551234", "email": "c@x.org"})
    assert (a["phone"], b["phone"]) == ("101", "+16502530001")

    dept = create(
        client,
        "departments",
        {"name": "Support", "ring_strategy": "sequential", "member_ids": [c["id"], a["id"]]},
    )
    assert dept["member_ids"] == [c["id"], a["id"]]
    put = client.put(
        f"/api/v1/departments/{dept['id']}",
        json={"name": "Support 2", "ring_timeout_s": 40, "member_ids": [b["id"], c["id"]]},
        headers=ADMIN,
    )
    updated = ok(put)

    assert updated["member_ids"] == [b["id"], c["id"]]
    assert ok(client.get(f"/api/v1/departments/{dept['id']}", headers=ADMIN)) == updated
    bad = client.post(
        "/api/v1/departments",
        json={"name": "X", "member_ids": [a["id"], 999], "ring_strategy": "ring_all"},
        headers=ADMIN,
    )
    assert single_error(bad)["loc"] == ["body", "member_ids", 1]
    strategy = client.post(
        "/api/v1/departments", json={"name": "X", "ring_strategy": "random"}, headers=ADMIN
    )
    assert single_error(strategy)["loc"] == ["body", "ring_strategy"]
    timeout = client.post(
        "/api/v1/departments", json={"name": "X", "ring_timeout_s": 2}, headers=ADMIN
    )
    assert single_error(timeout)["loc"] == ["body", "ring_timeout_s"]


def test_employee_phone_must_be_a_number_or_an_extension(client: TestClient) -> None:
    for phone in ("abc", "1", "+1 650 25"):
        response = client.post(
            "/api/v1/employees", json={"name": "X", "phone": phone}, headers=ADMIN
        )
        error = single_error(response)
        assert error["loc"] == ["body", "phone"], phone
    email = client.post(
        "/api/v1/employees", json={"name": "X", "phone": "101", "email": "nope"}, headers=ADMIN
    )
    assert single_error(email)["loc"] == ["body", "email"]


def test_deleting_referenced_things_deactivates_or_conflicts(client: TestClient) -> None:
    widget = seed_widget(client)
    employee_id = ok(client.get("/api/v1/employees", headers=ADMIN))[0]["id"]
    ok(order(client, widget, employee_id=employee_id), 201)

    employee = ok(client.delete(f"/api/v1/employees/{employee_id}", headers=ADMIN))
    department = client.delete(f"/api/v1/departments/{widget['department_id']}", headers=ADMIN)
    gone = ok(client.delete(f"/api/v1/widgets/{widget['id']}", headers=ADMIN))

    assert employee["deleted"] is False
    assert ok(client.get(f"/api/v1/employees/{employee_id}", headers=ADMIN))["active"] is False
    assert department.status_code == 409 and "widgets" in department.json()["detail"]
    assert gone["deleted"] is False  # it has requests: disabled instead
    assert order(client, widget).status_code == 403  # its key stops working
    spare = create(client, "employees", {"name": "Spare", "phone": "102"})
    assert ok(client.delete(f"/api/v1/employees/{spare['id']}", headers=ADMIN))["deleted"] is True
    assert client.get(f"/api/v1/employees/{spare['id']}", headers=ADMIN).status_code == 404


def test_widget_round_trip_with_recall_policy(client: TestClient) -> None:
    dept = create(client, "departments", {"name": "Sales"})
    body = {
        "name": "shop",
        "department_id": dept["id"],
        "recall": {
            "attempts": 3,
            "intervals_s": [60, 300],
            "failure": "manager",
            "postpone_to_next_business_day": True,
        },
        "ivr_confirm": True,
        "leave_message": True,
        "promise_seconds": 30,
        "allowed_origins": ["https://shop.example"],
        "limits": {"per_phone_per_hour": 5},
    }

    widget = create(client, "widgets", body)

    assert widget["public_key"].startswith("wk_")
    assert widget["recall"]["attempts"] == 3 and widget["recall"]["intervals_s"] == [60, 300]
    assert widget["limits"] == {"per_phone_per_hour": 5}
    assert widget["leave_message"] is True  # V3
    updated = ok(
        client.put(
            f"/api/v1/widgets/{widget['id']}",
            json={**body, "recall": {"attempts": 1, "intervals_s": []}, "leave_message": False},
            headers=ADMIN,
        )
    )
    assert updated["recall"]["attempts"] == 1 and updated["leave_message"] is False
    assert updated["public_key"] == widget["public_key"]
    assert ok(client.get(f"/api/v1/widgets/{widget['id']}", headers=ADMIN)) == updated
    assert [w["id"] for w in ok(client.get("/api/v1/widgets", headers=ADMIN))] == [widget["id"]]


@pytest.mark.parametrize(
    ("recall", "loc", "words"),
    [
        ({"attempts": 3, "intervals_s": [60]}, ["body", "recall"], "3 attempts need 2 intervals"),
        ({"attempts": 2, "intervals_s": [-5]}, ["body", "recall", "intervals_s", 0], "greater"),
        ({"attempts": 9, "intervals_s": []}, ["body", "recall", "attempts"], "less than"),
        ({"attempts": 2, "intervals_s": [8 * 86400]}, ["body", "recall", "intervals_s", 0], "less"),
        ({"failure": "never"}, ["body", "recall", "failure"], "manager"),
    ],
)
def test_invalid_recall_is_422_on_recall(
    client: TestClient, recall: dict[str, Any], loc: list[Any], words: str
) -> None:
    response = client.post("/api/v1/widgets", json={"name": "w", "recall": recall}, headers=ADMIN)

    error = single_error(response)
    assert error["loc"] == loc
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowed_regions": ["XX"]}, "allowed_regions"),
        ({"limits": {"per_moon": 3}}, "limits"),
        ({"promise_seconds": 2}, "promise_seconds"),
        ({"department_id": 999}, "department_id"),
    ],
)
def test_invalid_widget_settings_name_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/widgets", json={"name": "w", **body}, headers=ADMIN)

    assert single_error(response)["loc"][:2] == ["body", field]


def test_company_settings_round_trip(client: TestClient) -> None:
    body = {
        "name": "Acme",
        "timezone": "Europe/Berlin",
        "default_region": "de",
        "company_number": "+49 30 901820",
        "hours": {"Monday": ["09:00-13:00", "14:00-18:00"], "sat": ["10:00-24:00"]},
        "holidays": ["2026-12-25"],
    }

    company = ok(client.put("/api/v1/company", json=body, headers=ADMIN))

    assert company["default_region"] == "DE"
    assert company["company_number"] == "+4930901820"
    assert company["hours"] == {"mon": ["09:00-13:00", "14:00-18:00"], "sat": ["10:00-24:00"]}
    assert company["holidays"] == ["2026-12-25"]
    assert ok(client.get("/api/v1/company", headers=ADMIN)) == company


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"hours": {"mon": ["9-18"]}}, "hours", "HH:MM-HH:MM"),
        ({"hours": {"funday": ["09:00-18:00"]}}, "hours", "unknown weekday"),
        ({"hours": {"mon": ["18:00-09:00"]}}, "hours", "before closing"),
        ({"hours": {"mon": []}}, "hours", "at least one opening"),
        ({"default_region": "ZZ"}, "default_region", "region"),
        ({"company_number": "12345"}, "company_number", "E.164"),
        ({"holidays": ["25/12/2026"]}, "holidays", "date"),
    ],
)
def test_bad_company_settings_are_422_on_the_field(
    client: TestClient, change: dict[str, Any], field: str, words: str
) -> None:
    response = client.put("/api/v1/company", json={"name": "Acme", **change}, headers=ADMIN)

    error = single_error(response)
    assert error["loc"][:2] == ["body", field]
    assert words in error["msg"]


def test_trunks_and_block_list(client: TestClient) -> None:
    main = create(client, "trunks", {"name": "main", "settings": {"host": "sip.example"}})
    create(client, "trunks", {"name": "backup", "priority": 1})
    clash = client.post("/api/v1/trunks", json={"name": "main"}, headers=ADMIN)
    assert clash.status_code == 409 and "name" in clash.json()["detail"]
    moved = ok(
        client.put(
            f"/api/v1/trunks/{main['id']}", json={"name": "main", "priority": 2}, headers=ADMIN
        )
    )
    assert moved["priority"] == 2 and moved["settings"] == {}
    assert [t["name"] for t in ok(client.get("/api/v1/trunks", headers=ADMIN))] == [
        "backup",
        "main",
    ]
    ok(client.delete(f"/api/v1/trunks/{main['id']}", headers=ADMIN))

    sip = create(
        client,
        "trunks",
        {"name": "sip", "settings": {"host": "sip.example", "user": "u", "password": "pw"}},
    )
    assert sip["settings"]["password"] == "***"  # never echoed back
    bad = client.post(
        "/api/v1/trunks",
        json={"name": "bad", "settings": {"host": "sip.example", "dial_template": "{nope}"}},
        headers=ADMIN,
    )
    assert bad.status_code == 422 and "unknown macros" in bad.text

    ip = create(client, "blocklist", {"kind": "ip", "value": "10.0.0.1"})
    assert single_error(
        client.post("/api/v1/blocklist", json={"kind": "ip", "value": "10.0.0"}, headers=ADMIN)
    )["loc"] == ["body", "value"]
    assert single_error(
        client.post("/api/v1/blocklist", json={"kind": "phone", "value": "xyz"}, headers=ADMIN)
    )["loc"] == ["body", "value"]
    dup = client.post("/api/v1/blocklist", json={"kind": "ip", "value": "10.0.0.1"}, headers=ADMIN)
    assert dup.status_code == 409
    ok(client.delete(f"/api/v1/blocklist/{ip['id']}", headers=ADMIN))
    assert ok(client.get("/api/v1/blocklist", headers=ADMIN)) == []


def test_unknown_ids_and_bad_paths_never_500(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/callbacks/999"),
        ("POST", "/api/v1/callbacks/999/cancel"),
        ("POST", "/api/v1/callbacks/999/block"),
        ("GET", "/api/v1/departments/999"),
        ("DELETE", "/api/v1/departments/999"),
        ("GET", "/api/v1/employees/999"),
        ("DELETE", "/api/v1/widgets/999"),
        ("DELETE", "/api/v1/trunks/999"),
        ("DELETE", "/api/v1/blocklist/999"),
        ("DELETE", "/api/v1/api-keys/999"),
    ]:
        response = client.request(method, path, headers=ADMIN)
        assert response.status_code == 404, (method, path, response.text)
        assert "999" in response.json()["detail"]
    for path in ("/api/v1/callbacks/abc", f"/api/v1/callbacks/{10**30}", "/api/v1/callbacks/0"):
        assert single_error(client.get(path, headers=ADMIN))["loc"][0] == "path"
    empty = client.put(
        "/api/v1/company",
        content=b"",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert empty.status_code == 422


# --- list, cancel, block (C9, C11) ----------------------------------------------------------------


def test_list_filters_newest_first(client: TestClient) -> None:
    widget = seed_widget(client)
    other_dept = create(client, "departments", {"name": "Billing"})
    first = ok(order(client, widget, "+12025550143"), 201)
    second = ok(order(client, widget, "+14155552671", department_id=other_dept["id"]), 201)
    third = ok(order(client, widget, PHONE), 201)
    ok(client.post(f"/api/v1/callbacks/{third['id']}/cancel", headers=ADMIN))

    def ids(**params: Any) -> list[int]:
        listed = ok(client.get("/api/v1/callbacks", params=params, headers=ADMIN))
        assert listed["total"] >= len(listed["items"])
        return [item["id"] for item in listed["items"]]

    assert ids() == [third["id"], second["id"], first["id"]]
    assert ids(state="scheduled") == [second["id"], first["id"]]
    assert ids(state="cancelled") == [third["id"]]
    assert ids(department_id=other_dept["id"]) == [second["id"]]
    assert ids(phone="(415) 555-2671") == [second["id"]]  # normalised like an order
    assert ids(limit=1, offset=1) == [second["id"]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert ids(created_from=future) == []
    assert ids(created_to=future) == [third["id"], second["id"], first["id"]]
    assert ids(created_from="2020-01-01T00:00:00") == [third["id"], second["id"], first["id"]]
    listed = ok(client.get("/api/v1/callbacks", params={"limit": 1}, headers=ADMIN))
    assert listed["total"] == 3 and len(listed["items"]) == 1
    assert "legs" not in str(listed["items"][0])
    assert single_error(client.get("/api/v1/callbacks?limit=0", headers=ADMIN))["loc"] == [
        "query",
        "limit",
    ]
    assert single_error(client.get("/api/v1/callbacks?state=lost", headers=ADMIN))["loc"] == [
        "query",
        "state",
    ]
    backwards = client.get(
        "/api/v1/callbacks",
        params={"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
        headers=ADMIN,
    )
    assert single_error(backwards)["loc"] == ["query", "created_to"]


def test_cancel_stops_the_pending_attempt(client: TestClient, container: Container) -> None:
    widget = seed_widget(client)
    request_id = ok(order(client, widget), 201)["id"]
    seen: list[StateChanged] = []
    container.bus.subscribe(StateChanged, seen.append)

    card = ok(
        client.post(
            f"/api/v1/callbacks/{request_id}/cancel",
            json={"reason": "customer called"},
            headers=ADMIN,
        )
    )

    assert card["state"] == "cancelled" and card["status_reason"] == "customer called"
    assert [(e.entity_id, e.new) for e in seen] == [(request_id, "cancelled")]
    with container.sessions() as s:
        assert [j.state for j in s.scalars(select(Job))] == ["cancelled"]
    again = client.post(f"/api/v1/callbacks/{request_id}/cancel", headers=ADMIN)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    # A new order after the cancel is a new request.
    assert ok(order(client, widget), 201)["id"] != request_id


def test_block_from_the_call_card_blocks_the_number(client: TestClient) -> None:
    widget = seed_widget(client)
    request_id = ok(order(client, widget), 201)["id"]

    card = ok(client.post(f"/api/v1/callbacks/{request_id}/block", headers=ADMIN))

    assert card["state"] == "blocked" and card["customer_status"] == "Spam"
    blocked = ok(client.get("/api/v1/blocklist", headers=ADMIN))
    assert {(b["kind"], b["value"]) for b in blocked} == {("phone", PHONE), ("ip", "testclient")}
    assert order(client, widget).status_code == 403


# --- health, metrics, events (X5, C9) ------------------------------------------------------------


def test_health_readiness_and_metrics(client: TestClient, container: Container) -> None:
    widget = seed_widget(client)
    ok(order(client, widget), 201)
    order(client, widget, "nonsense")

    assert ok(client.get("/healthz")) == {"status": "ok"}
    assert ok(client.get("/readyz")) == {"status": "ready"}
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert "dialback_callbacks_ordered_total 1.0" in text
    assert 'dialback_callbacks_rejected_total{reason="invalid_phone"} 1.0' in text
    assert 'dialback_requests{state="scheduled"} 1.0' in text
    assert 'dialback_requests{state="connected"} 0.0' in text
    assert "dialback_engine_running_attempts 0.0" in text
    assert "python_gc" not in text  # a registry of its own, not the global one

    broken = create_engine("sqlite:////nonexistent-dir/t.db")
    original, container.db = container.db, broken
    try:
        down = client.get("/readyz")
    finally:
        container.db = original
        broken.dispose()
    assert down.status_code == 503 and "database" in down.json()["detail"]


def test_openapi_documents_the_api_key(client: TestClient) -> None:
    schema = ok(client.get("/openapi.json"))

    schemes = schema["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= next(
        iter(schemes.values())
    ).items()
    assert "/api/v1/callbacks" in schema["paths"]


def test_encode_event_is_one_sse_message() -> None:
    event = StateChanged(
        kind="request",
        entity_id=7,
        old="scheduled",
        new="in_progress",
        at=datetime(2026, 1, 2, tzinfo=UTC),
    )

    text = encode_event(event, request_id=7)

    assert text == (
        "event: state_changed\n"
        'data: {"kind":"request","entity_id":7,"old":"scheduled","new":"in_progress",'
        '"at":"2026-01-02T00:00:00+00:00","request_id":7}\n\n'
    )


def test_event_stream_sends_company_events_and_unsubscribes(
    client: TestClient, container: Container
) -> None:
    widget = seed_widget(client)
    request_id = ok(order(client, widget), 201)["id"]
    now = datetime.now(UTC)
    mine = StateChanged(kind="request", entity_id=request_id, old="a", new="b", at=now)
    unknown = StateChanged(kind="request", entity_id=999, old="a", new="b", at=now)

    async def scenario() -> list[str]:
        stream = event_stream(container, company_id=1, keepalive_s=0.05)
        received = [await anext(stream)]  # subscribes
        # Bus handlers may run on other threads.
        await asyncio.to_thread(container.bus.publish, [unknown, mine])
        received.append(await anext(stream))
        received.append(await anext(stream))  # nothing more: a keepalive
        await stream.aclose()
        container.bus.publish([mine])  # after unsubscribing: goes nowhere
        return received

    received = asyncio.run(scenario())

    assert received[0].startswith("retry:")
    assert received[1].startswith("event: state_changed\n")
    assert f'"request_id":{request_id}' in received[1]
    assert received[2] == ": keepalive\n\n"


def test_run_engine_starts_and_stops_the_scheduler_with_the_app(container: Container) -> None:
    app = create_app(container, run_engine=True)

    with TestClient(app) as c:
        task = app.state.engine_task
        assert ok(c.get("/readyz")) == {"status": "ready"}
        assert not task.done()

    assert task.done() and task.exception() is None


def test_voicemail_statistics_count_the_windows_requests_for_admins_only(
    client: TestClient, container: Container
) -> None:
    widget = seed_widget(client)
    rid = ok(order(client, widget), 201)["id"]
    now = datetime.now(UTC)
    with container.sessions() as s:  # a voicemail with a message, then the person
        for number, outcome, message in ((1, "answered_machine", now), (2, "answered_human", None)):
            attempt = Attempt(request_id=rid, number=number, state="failed", trunk="main",
                              scheduled_for=now, started_at=now, node="t")  # fmt: skip
            s.add(attempt)
            s.flush()
            s.add(Leg(attempt_id=attempt.id, role="client", number=PHONE, trunk="main",
                      state="ended", outcome=outcome, dialed_at=now, answered_at=now,
                      message_left_at=message))  # fmt: skip
        request = s.get(CallbackRequest, rid)
        assert request is not None
        request.state = "connected"
        s.commit()

    stats = ok(client.get("/api/v1/stats/voicemail", headers=ADMIN))
    assert stats == {
        "requests": 1,
        "answered_client_calls": 2,
        "voicemail_calls": 1,
        "voicemail_share": 0.5,
        "requests_hit_voicemail": 1,
        "rescued": 1,
        "rescued_share": 1.0,
        "messages_left": 1,
    }
    future = (now + timedelta(hours=1)).isoformat()
    empty = ok(
        client.get("/api/v1/stats/voicemail", params={"created_from": future}, headers=ADMIN)
    )
    assert empty["requests"] == 0 and empty["voicemail_share"] is None
    backwards = client.get(
        "/api/v1/stats/voicemail",
        params={"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
        headers=ADMIN,
    )
    assert single_error(backwards)["loc"] == ["query", "created_to"]
    key = {"X-API-Key": widget["public_key"]}
    assert client.get("/api/v1/stats/voicemail", headers=key).status_code == 403
