"""The web side in real headless Chromium (Debian's package, driven by Playwright).

A real ``dialback demo`` process (SQLite + the simulated network in real time)
serves the UI and the widget; two plain HTTP servers on other ports play the
customer's website: one on the widget's allow list, one not. The test run also
writes the README's screenshots (docs/widget.png, docs/board.png).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
ADMIN = {"X-API-Key": "demo-admin-key"}
PASSWORD = "dialback-demo"
PHONE = {"width": 360, "height": 740}
# Accessibility: labelled form fields and readable contrast (WCAG 2 AA), plus names
# for buttons, links and selects.
AXE_RULES = ["label", "color-contrast", "select-name", "button-name", "link-name", "html-has-lang"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dialback demo`` on a free port; its base URL."""
    tmp = tmp_path_factory.mktemp("demo")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "demo.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dialback.cli", "demo", "--port", str(port),
             "--data", str(tmp / "data")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "demo did not start"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _Site:
    """A customer's website on its own origin, with the widget pasted in."""

    def __init__(self, app: str) -> None:
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Garden tools shop</title>
<style>
  /* Host CSS that would wreck an unprotected widget. */
  * {{ font-family: Georgia, serif !important; color: #1a1a1a; }}
  div {{ position: static !important; }}
  button {{ background: #ff0 !important; border: 5px dashed red; }}
  input {{ display: none; }}
  body {{ margin: 0; padding: 1rem; background: #fff; }}
</style></head>
<body><main><h1>Garden tools</h1><p>Questions about a mower? We will call you back.</p></main>
<script src="{app}/widget.js" data-key="wk_demo" data-lang="en" async></script>
</body></html>""".encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def sites(app: str) -> Iterator[tuple[_Site, _Site]]:
    """(allowed, refused): two sites on other ports; only the first is on the allow list."""
    allowed, refused = _Site(app), _Site(app)
    try:
        widget = httpx.get(f"{app}/api/v1/widgets/1", headers=ADMIN).json()
        body = {k: widget[k] for k in ("name", "department_id", "recall", "promise_seconds")}
        r = httpx.put(
            f"{app}/api/v1/widgets/1",
            json={**body, "allowed_origins": [allowed.origin]},
            headers=ADMIN,
        )
        assert r.status_code == 200, r.text
        yield allowed, refused
    finally:
        allowed.close()
        refused.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _sign_in(browser: Browser, app: str, login: str, **context: Any) -> Page:
    page = browser.new_context(**context).new_page()
    page.goto(f"{app}/login")
    page.get_by_label("Login or e-mail").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app}/board")
    return page


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] if page.viewport_size else True, width


def _axe(page: Page) -> None:
    result = axe_module.Axe().run(page, options={"runOnly": {"type": "rule", "values": AXE_RULES}})
    problems = [
        (v["id"], [n["target"] for n in v["nodes"]][:5]) for v in result.response["violations"]
    ]
    assert problems == [], f"{page.url}: {problems}"


def _get(app: str, what: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(f"{app}/api/v1/{what}", headers=ADMIN).json()
    return rows


def _requests(app: str) -> int:
    return int(httpx.get(f"{app}/api/v1/callbacks", headers=ADMIN).json()["total"])


# --- the widget ---------------------------------------------------------------------------


def test_a_visitor_orders_through_the_widget_on_another_site_and_sees_connected(
    app: str, sites: tuple[_Site, _Site], browser: Browser
) -> None:
    allowed, _ = sites
    page = browser.new_context(viewport=PHONE, locale="en-US").new_page()
    page.goto(allowed.origin)
    widget = page.locator("[data-dialback-widget]")
    expect(widget).to_have_attribute("data-state", "ready", timeout=15_000)
    page.get_by_role("button", name="Call me back").click()
    phone = page.get_by_label("Your phone number")
    expect(phone).to_be_visible()  # the host's `input {display:none}` does not reach in
    font = page.get_by_role("button", name="Call me back").evaluate(
        "e => getComputedStyle(e).fontFamily + '|' + getComputedStyle(e).backgroundColor"
    )
    assert "Georgia" not in font and "rgb(255, 255, 0)" not in font, font  # nor the host's fonts
    phone.press_sequentially("+1 650 253 0001", delay=20)
    expect(page.locator("#db-phone-msg")).to_have_text("The number looks right.")
    _no_sideways_scroll(page)
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "widget.png"))

    page.get_by_role("button", name="Call me", exact=True).click()
    expect(widget).to_have_attribute("data-state", "ordered")
    status = page.get_by_role("status")
    expect(status).to_contain_text(  # C12: the promise, counting down, or already dialing
        re.compile(r"We will call you in \d+ seconds|Calling|Connected")
    )
    # The simulated network answers: manager first, then the visitor, bridged (C2).
    expect(widget).to_have_attribute("data-stage", "connected", timeout=180_000)
    expect(status).to_contain_text("Connected. Enjoy the conversation!")
    page.screenshot(path=str(DOCS / "widget-connected.png"))
    page.context.close()


def test_a_bad_number_shows_the_validation_message_and_orders_nothing(
    app: str, sites: tuple[_Site, _Site], browser: Browser
) -> None:
    allowed, _ = sites
    before = _requests(app)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(allowed.origin)
    page.get_by_role("button", name="Call me back").click()
    phone = page.get_by_label("Your phone number")
    phone.press_sequentially("+1 650 25", delay=20)
    message = page.locator("#db-phone-msg")
    expect(message).to_have_text("The number has the wrong number of digits.")
    expect(phone).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Call me", exact=True).click()
    expect(message).to_have_text("The number has the wrong number of digits.")
    expect(page.locator("[data-dialback-widget]")).to_have_attribute("data-state", "ready")
    phone.fill("")
    phone.press_sequentially("+1 555 000 0000", delay=20)  # the right length, not a real number
    expect(message).to_have_text("This number does not exist. Please check it.")
    assert _requests(app) == before
    page.context.close()


def test_an_origin_not_on_the_allow_list_is_refused(
    app: str, sites: tuple[_Site, _Site], browser: Browser
) -> None:
    _, refused = sites
    before = _requests(app)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(refused.origin)
    widget = page.locator("[data-dialback-widget]")
    expect(widget).to_have_attribute("data-state", "refused", timeout=15_000)
    expect(page.get_by_role("button", name="Call me back")).to_have_count(0)
    # A script of that site calling the API directly gets nothing either.
    outcome = page.evaluate(
        """async (url) => {
            try {
                const r = await fetch(url, {method: "POST",
                    headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({phone: "+16502530001"})});
                return "answered " + r.status;
            } catch (e) { return "refused"; }
        }""",
        f"{app}/api/v1/w/wk_demo/callbacks",
    )
    assert outcome == "refused"
    assert _requests(app) == before
    page.context.close()


# --- roles ---------------------------------------------------------------------------------


def test_an_employee_cannot_open_another_employees_card_but_their_supervisor_can(
    app: str, browser: Browser
) -> None:
    employees = {e["name"]: e["id"] for e in _get(app, "employees")}
    departments = {d["name"]: d["id"] for d in _get(app, "departments")}
    r = httpx.post(
        f"{app}/api/v1/callbacks",
        json={"phone": "+1 650 253 0009", "widget_id": 1,
              "department_id": departments["Support"], "employee_id": employees["Dmytro"]},
        headers=ADMIN,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    card = f"{app}/calls/{r.json()['id']}"
    expected = {"anna": 403, "sales.lead": 403, "dmytro": 200, "support.lead": 200}
    for login, status in expected.items():
        page = _sign_in(browser, app, login)
        response = page.goto(card)
        assert response is not None and response.status == status, login
        if status == 403:
            expect(page.get_by_role("alert")).to_contain_text("someone else")
        else:
            expect(page.get_by_role("heading", level=1)).to_contain_text("Call card")
        page.context.close()


# --- the live board --------------------------------------------------------------------------


def test_the_live_board_shows_a_new_call_and_its_legs_without_reloading(
    app: str, browser: Browser
) -> None:
    page = _sign_in(browser, app, "admin", viewport={"width": 1100, "height": 900})
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=15_000)
    page.evaluate("window.__same_page = true")
    r = httpx.post(
        f"{app}/api/v1/callbacks", json={"phone": "+1 650 253 0001"},
        headers={"X-API-Key": "wk_demo"},
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    call = page.locator(f'article.call[data-request-id="{r.json()["id"]}"]')
    expect(call).to_be_visible(timeout=15_000)
    # Legs appear with their state; the manager's AMD verdict and outcome once answered.
    expect(call.locator('tr[data-leg-role="manager"]').first).to_be_visible(timeout=60_000)
    expect(call).to_have_attribute("data-state", "connected", timeout=180_000)
    expect(call.locator('tr[data-leg-role="client"]')).to_contain_text("answered by a person")
    expect(call.locator('tr[data-leg-role="client"]')).to_contain_text("HUMAN")
    assert page.evaluate("window.__same_page") is True  # updated live, never reloaded
    page.screenshot(path=str(DOCS / "board.png"), full_page=False)
    page.context.close()


# --- phones and accessibility ---------------------------------------------------------------


def test_pages_work_at_360_px_and_pass_the_accessibility_check(
    app: str, sites: tuple[_Site, _Site], browser: Browser
) -> None:
    allowed, _ = sites
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{app}/login")
    _no_sideways_scroll(page)
    _axe(page)
    page.context.close()

    page = _sign_in(browser, app, "admin", viewport=PHONE)
    rid = httpx.get(f"{app}/api/v1/callbacks", headers=ADMIN).json()["items"][0]["id"]
    for path in (
        "/board",
        f"/calls/{rid}",
        "/settings/company",
        "/settings/departments/1",
        "/settings/employees",
        "/settings/widgets/1",
        "/settings/trunks",
        "/settings/users",
    ):
        response = page.goto(app + path)
        assert response is not None and response.status == 200, path
        _no_sideways_scroll(page)
        _axe(page)
    page.context.close()

    page = browser.new_context(viewport=PHONE).new_page()  # the widget on a customer's site
    page.goto(allowed.origin)
    page.get_by_role("button", name="Call me back").click()
    page.get_by_label("Your phone number").press_sequentially("+1 650 25", delay=20)
    expect(page.locator("#db-phone-msg")).not_to_be_empty()
    _no_sideways_scroll(page)
    _axe(page)
    page.context.close()
