"""The web UI on real SQLite through HTTP: sign-in, roles, CSRF, the widget's CORS, languages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dialback.adapters.clock import SystemClock
from dialback.adapters.db.tables import (
    Attempt,
    BlockEntry,
    CallbackRequest,
    Company,
    Department,
    Employee,
    Leg,
    User,
    WebSession,
    Widget,
)
from dialback.bootstrap import Container, build
from dialback.config import Settings
from dialback.demo import ADMIN_KEY, DEMO_PASSWORD, WIDGET_KEY, ensure_demo_company
from dialback.web.app import create_app

ADMIN = {"X-API-Key": ADMIN_KEY}
SITE = "http://shop.example"


def _settings(db: Path, tmp: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{db}", admin_key=ADMIN_KEY, recordings_dir=tmp / "rec")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company and its users once (argon2 hashing is slow by design)."""
    tmp = tmp_path_factory.mktemp("seeded")
    built = build(_settings(tmp / "seed.db", tmp), clock=SystemClock())
    ensure_demo_company(built)
    built.db.dispose()
    return tmp / "seed.db"


@pytest.fixture
def container(seeded: Path, tmp_path: Path) -> Iterator[Container]:
    shutil.copyfile(seeded, tmp_path / "t.db")
    built = build(_settings(tmp_path / "t.db", tmp_path), clock=SystemClock())
    yield built
    built.db.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as c:
        yield c


def ids(container: Container) -> dict[str, int]:
    with container.sessions() as s:
        out = dict(s.execute(select(Employee.name, Employee.id)).all())
        out.update(dict(s.execute(select(Department.name, Department.id)).all()))
    return out


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str = DEMO_PASSWORD) -> Any:
    token = form_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token, "next": "/board"},
        follow_redirects=False,
    )


def order_for(client: TestClient, phone: str, **target: int) -> int:
    r = client.post(
        "/api/v1/callbacks", json={"phone": phone, "widget_id": 1, **target}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# --- sign-in and sessions ---------------------------------------------------------------


def test_pages_send_a_signed_out_visitor_to_the_sign_in_form(client: TestClient) -> None:
    for path in ("/board", "/calls/1", "/settings/company", "/board/rows"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")


def test_sign_in_sets_an_httponly_samesite_session_cookie(
    client: TestClient, container: Container
) -> None:
    r = sign_in(client, "admin")
    assert r.status_code == 303 and r.headers["location"] == "/board"
    cookie = next(c for c in r.headers.get_list("set-cookie") if "dialback_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = cookie.split("dialback_session=")[1].split(";")[0]
    with container.sessions() as s:  # only a hash of the token is stored
        stored = s.scalars(select(WebSession.token_hash)).all()
    assert stored and token not in stored
    assert client.get("/board").status_code == 200


def test_passwords_are_stored_as_argon2_hashes(container: Container) -> None:
    with container.sessions() as s:
        hashes = s.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(DEMO_PASSWORD not in h for h in hashes)


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    r = sign_in(client, "admin", "wrong password")
    assert r.status_code == 401
    assert "Wrong login or password" in r.text
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_sign_in_without_the_forms_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"login": "admin", "password": DEMO_PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, "anna")
    token = form_token(client.get("/board").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_a_next_link_to_another_site_is_ignored(client: TestClient) -> None:
    token = form_token(client.get("/login").text)
    r = client.post(
        "/login",
        data={"login": "admin", "password": DEMO_PASSWORD, "csrf_token": token,
              "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.headers["location"] == "/board"


# --- CSRF on forms ------------------------------------------------------------------------


def test_a_settings_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    sign_in(client, "admin")
    body = {"name": "Hijacked", "timezone": "UTC", "default_region": "US"}
    assert client.post("/settings/company", data=body).status_code == 403
    assert client.post("/settings/company", data={**body, "csrf_token": "x"}).status_code == 403
    with container.sessions() as s:
        assert s.scalar(select(Company.name).order_by(Company.id)) == "Demo Ltd"
    token = form_token(client.get("/settings/company").text)
    r = client.post("/settings/company", data={**body, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    with container.sessions() as s:
        assert s.scalar(select(Company.name).order_by(Company.id)) == "Hijacked"


def test_a_csrf_token_of_another_session_is_refused(
    client: TestClient, container: Container
) -> None:
    sign_in(client, "admin")
    mine = form_token(client.get("/settings/company").text)
    with TestClient(create_app(container)) as other:
        sign_in(other, "admin")
        r = other.post("/settings/company", data={"name": "X", "csrf_token": mine})
    assert r.status_code == 403


def test_settings_errors_come_back_on_the_form(client: TestClient) -> None:
    sign_in(client, "admin")
    token = form_token(client.get("/settings/company").text)
    r = client.post(
        "/settings/company",
        data={"csrf_token": token, "name": "Demo", "timezone": "Mars/Olympus"},
    )
    assert r.status_code == 422
    assert "unknown time zone" in r.text and 'value="Mars/Olympus"' in r.text


# --- roles ----------------------------------------------------------------------------------


def test_an_employee_cannot_open_another_employees_call_card(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    dmytros = order_for(client, "+16502530101", department_id=n["Support"], employee_id=n["Dmytro"])
    annas = order_for(client, "+16502530102", department_id=n["Sales"], employee_id=n["Anna"])
    sign_in(client, "anna")
    assert client.get(f"/calls/{dmytros}").status_code == 403
    assert client.get(f"/calls/{annas}").status_code == 200
    assert client.get("/calls/999999").status_code == 404


def test_an_employee_sees_calls_they_answered_for_their_department(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    rid = order_for(client, "+16502530103", department_id=n["Sales"], employee_id=n["Boris"])
    now = datetime.now(UTC)
    with container.sessions() as s:  # Boris did not answer; the department's Anna did
        s.add(Attempt(request_id=rid, number=1, state="completed", trunk="main",
                      scheduled_for=now, started_at=now, node="t",
                      manager_employee_id=n["Anna"]))  # fmt: skip
        s.commit()
    sign_in(client, "anna")
    assert client.get(f"/calls/{rid}").status_code == 200


def test_a_supervisor_opens_the_cards_of_their_departments_only(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    support = order_for(client, "+16502530104", department_id=n["Support"], employee_id=n["Eva"])
    sales = order_for(client, "+16502530105", department_id=n["Sales"])
    sign_in(client, "support.lead")
    assert client.get(f"/calls/{support}").status_code == 200
    assert client.get(f"/calls/{sales}").status_code == 403
    board = client.get("/board/rows").text
    assert f'data-request-id="{support}"' in board
    assert f'data-request-id="{sales}"' not in board


def test_only_admins_open_the_settings(client: TestClient) -> None:
    sign_in(client, "sales.lead")
    assert client.get("/settings/widgets").status_code == 403
    sign_in(client, "anna")
    assert client.get("/settings/company").status_code == 403


def test_the_admin_blocks_a_visitor_from_the_call_card(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    rid = order_for(client, "+16502530106", department_id=n["Sales"])
    sign_in(client, "anna")  # an employee has no block button and cannot post one
    r = client.post(
        f"/calls/{rid}/block", data={"csrf_token": form_token(client.get("/board").text)}
    )
    assert r.status_code == 403
    sign_in(client, "admin")
    card = client.get(f"/calls/{rid}").text
    r = client.post(
        f"/calls/{rid}/block", data={"csrf_token": form_token(card)}, follow_redirects=False
    )
    assert r.status_code == 303
    with container.sessions() as s:
        assert s.scalar(select(CallbackRequest.state).where(CallbackRequest.id == rid)) == "blocked"
        assert (
            s.scalar(select(BlockEntry.value).where(BlockEntry.kind == "phone")) == "+16502530106"
        )


def test_admins_create_users_of_each_role(client: TestClient, container: Container) -> None:
    n = ids(container)
    sign_in(client, "admin")
    token = form_token(client.get("/settings/users").text)
    r = client.post(
        "/settings/users",
        data={"csrf_token": token, "login": "eva", "name": "Eva", "role": "employee",
              "employee_id": str(n["Eva"]), "password": "long enough", "active": "1"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    with TestClient(create_app(container)) as eva:
        assert sign_in(eva, "eva", "long enough").status_code == 303
        assert eva.get("/settings/users").status_code == 403


# --- the widget's API: CORS limited to the widget's origins (C1) ------------------------------


def allow_origin(client: TestClient, origin: str) -> None:
    widget = client.get("/api/v1/widgets/1", headers=ADMIN).json()
    body = {k: widget[k] for k in ("name", "department_id", "recall", "promise_seconds")}
    r = client.put("/api/v1/widgets/1", json={**body, "allowed_origins": [origin]}, headers=ADMIN)
    assert r.status_code == 200, r.text


def test_the_widget_api_answers_an_allowed_origin_with_cors_headers(client: TestClient) -> None:
    allow_origin(client, SITE + "/")
    pre = client.options(
        f"/api/v1/w/{WIDGET_KEY}/callbacks",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == SITE
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = client.post(
        f"/api/v1/w/{WIDGET_KEY}/callbacks", json={"phone": "+1 650 253 0001"},
        headers={"Origin": SITE},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.headers["access-control-allow-origin"] == SITE
    status = client.get(
        f"/api/v1/w/{WIDGET_KEY}/callbacks/{r.json()['id']}",
        params={"token": r.json()["token"]}, headers={"Origin": SITE},
    )  # fmt: skip
    assert status.status_code == 200 and status.json()["stage"] == "waiting"


def test_the_widget_api_refuses_other_origins_and_orders_nothing(
    client: TestClient, container: Container
) -> None:
    allow_origin(client, SITE)
    evil = {"Origin": "http://evil.example"}
    pre = client.options(
        f"/api/v1/w/{WIDGET_KEY}/callbacks",
        headers={**evil, "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    for r in (
        client.get(f"/api/v1/w/{WIDGET_KEY}/config", headers=evil),
        client.post(f"/api/v1/w/{WIDGET_KEY}/phone", json={"phone": "+16502530001"}, headers=evil),
        client.post(
            f"/api/v1/w/{WIDGET_KEY}/callbacks", json={"phone": "+16502530001"}, headers=evil
        ),
    ):
        assert r.status_code == 403
        assert "access-control-allow-origin" not in r.headers
    with container.sessions() as s:
        assert s.scalars(select(CallbackRequest)).all() == []


def test_the_servers_own_origin_may_always_use_the_widget(client: TestClient) -> None:
    r = client.get(f"/api/v1/w/{WIDGET_KEY}/config", headers={"Origin": "http://testserver"})
    assert r.status_code == 200


def test_a_visitor_status_needs_the_signed_token(client: TestClient) -> None:
    r = client.post(f"/api/v1/w/{WIDGET_KEY}/callbacks", json={"phone": "+1 650 253 0001"})
    rid = r.json()["id"]
    bad = client.get(f"/api/v1/w/{WIDGET_KEY}/callbacks/{rid}", params={"token": "0" * 32})
    assert bad.status_code == 404


def test_the_widget_explains_a_bad_number_in_the_visitors_language(client: TestClient) -> None:
    url = f"/api/v1/w/{WIDGET_KEY}/phone"
    assert client.post(url, json={"phone": "+1 650 253 0001"}).json() == {
        "valid": True, "e164": "+16502530001", "message": ""
    }  # fmt: skip
    r = client.post(url, json={"phone": "12"}, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert r.json() == {"valid": False, "message": "В номере неверное количество цифр."}
    r = client.post(url, json={"phone": "hello", "lang": "uk"})
    assert r.json()["message"] == "Це не номер телефону."
    order = client.post(f"/api/v1/w/{WIDGET_KEY}/callbacks", json={"phone": "+1 555 0"})
    assert order.status_code == 422 and order.json()["field"] == "phone"


def test_widget_js_is_served_by_the_app(client: TestClient) -> None:
    r = client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    code = r.text.split("*/", 1)[1]  # after the header comment with the embed example
    assert "attachShadow" in code
    assert re.search(r"https?://", code) is None  # nothing from a CDN: only its own server


# --- languages -------------------------------------------------------------------------------


def test_pages_follow_the_browsers_language(client: TestClient) -> None:
    assert "Вхід" in client.get("/login", headers={"Accept-Language": "uk-UA,uk;q=0.9"}).text
    assert "Вход" in client.get("/login", headers={"Accept-Language": "ru;q=0.8,de"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "de-DE"}).text


def test_the_language_switch_wins_over_the_browser(client: TestClient) -> None:
    r = client.get("/lang/uk", params={"next": "/login"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "ru"}).text
    assert 'lang="uk"' in page and "Вхід" in page


def test_the_board_shows_a_connected_call_in_progress_while_the_two_sides_talk(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    talking = order_for(client, "+16502530107", department_id=n["Sales"])
    waiting = order_for(client, "+16502530108", department_id=n["Sales"])
    now = datetime.now(UTC)
    with container.sessions() as s:
        request = s.get(CallbackRequest, talking)
        assert request is not None
        request.state, request.customer_status = "connected", "Connected"
        s.add(Attempt(request_id=talking, number=1, state="bridged", trunk="main",
                      scheduled_for=now, started_at=now, node="t"))  # fmt: skip
        s.commit()
    sign_in(client, "admin")
    rows = client.get("/board/rows").text
    progress, due = (
        rows.split('id="h-due"')[0],
        rows.split('id="h-due"')[1].split('id="h-finished"')[0],
    )
    assert f'data-request-id="{talking}"' in progress
    assert f'data-request-id="{waiting}"' in due
    assert "Connected" in progress and "talking" in progress


def test_the_cli_creates_the_first_admin_of_a_fresh_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dialback.cli import main
    from dialback.services.users import authenticate

    url = f"sqlite:///{tmp_path}/fresh.db"
    monkeypatch.setenv("DIALBACK_DATABASE_URL", url)
    monkeypatch.setenv("DIALBACK_USER_PASSWORD", "first admin password")
    assert main(["user", "create", "--login", "Root@Example.com", "--role", "admin"]) == 0
    assert "created admin 'root@example.com'" in capsys.readouterr().out
    assert main(["user", "create", "--login", "root@example.com"]) == 2  # taken
    assert "is taken" in capsys.readouterr().err
    monkeypatch.setenv("DIALBACK_USER_PASSWORD", "short")
    assert main(["user", "create", "--login", "other"]) == 2
    built = build(Settings(database_url=url), clock=SystemClock())
    try:
        with built.sessions() as s:
            user = authenticate(s, login="ROOT@example.com", password="first admin password")
            assert user is not None and user.role == "admin"
            assert authenticate(s, login="root@example.com", password="wrong") is None
    finally:
        built.db.dispose()


def test_the_widget_form_switches_the_voicemail_message(
    client: TestClient, container: Container
) -> None:
    sign_in(client, "admin")
    page = client.get("/settings/widgets/1").text
    assert 'name="leave_message"' in page
    body = {"csrf_token": form_token(page), "name": "Site", "attempts": "1", "enabled": "on"}
    for data, expected in (({**body, "leave_message": "on"}, True), (body, False)):
        r = client.post("/settings/widgets/1", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text
        with container.sessions() as s:
            assert s.scalar(select(Widget.leave_message).where(Widget.id == 1)) is expected


def test_the_call_card_and_the_admins_board_show_voicemail_and_message(
    client: TestClient, container: Container
) -> None:
    n = ids(container)
    rid = order_for(client, "+16502530109", department_id=n["Sales"])
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with container.sessions() as s:
        attempt = Attempt(request_id=rid, number=1, state="failed", trunk="main",
                          scheduled_for=now, started_at=now, node="t")  # fmt: skip
        s.add(attempt)
        s.flush()
        s.add(Leg(attempt_id=attempt.id, role="client", number="+16502530109", trunk="main",
                  state="ended", outcome="answered_machine", dialed_at=now, answered_at=now,
                  amd_decision="MACHINE", amd_at_ms=2400, beep_at_ms=6200,
                  message_left_at=now + timedelta(seconds=8)))  # fmt: skip
        s.commit()
    sign_in(client, "admin")
    card = client.get(f"/calls/{rid}", headers={"Accept-Language": "en"}).text
    assert "MACHINE (2400 ms)" in card and "beep at 6200 ms" in card
    assert "message left at" in card
    # V4 on the admin's board: company-wide, so not on an employee's.
    board = client.get("/board", headers={"Accept-Language": "en"}).text
    assert "voicemail answered 100% of the answered client calls (1 of 1)" in board
    assert "0 of the 1 requests it met were rescued later; messages left: 1." in board
    sign_in(client, "anna")
    page = client.get("/board").text
    assert 'id="board"' in page and 'id="voicemail-week"' not in page
