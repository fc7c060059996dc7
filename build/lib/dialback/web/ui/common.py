"""What every page of the web UI shares: templates, the signed-in viewer, CSRF, language.

Sessions are server-side rows (``services/users.py``); the browser holds only a
random token in an HttpOnly, SameSite=Lax cookie. Every form carries the
session's CSRF token and every POST checks it (a forged cross-site form has the
cookie but never the token).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from dialback.adapters.db.tables import Company
from dialback.services.users import Role, Viewer, session_viewer
from dialback.web.deps import ContainerDep
from dialback.web.i18n import LANGUAGES, Translator, negotiate

SESSION_COOKIE = "dialback_session"
LANG_COOKIE = "dialback_lang"
LOGIN_CSRF_COOKIE = "dialback_login_csrf"
CSRF_FIELD = "csrf_token"

WEB_DIR = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


class PageError(Exception):
    """An HTML error page (403, 404, 400) in the viewer's language."""

    def __init__(self, status: int, message_key: str, **values: Any) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key
        self.values = values


class LoginRequired(Exception):
    """Not signed in: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def translator(request: Request) -> Translator:
    return Translator(language(request))


def safe_next(target: str | None, default: str = "/board") -> str:
    """Only local paths: a sign-in link cannot send the user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_url(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(path, safe='')}"


class Signed:
    """The signed-in viewer of this request and their session's CSRF token."""

    def __init__(self, viewer: Viewer, csrf: str) -> None:
        self.viewer = viewer
        self.csrf = csrf


async def get_signed(request: Request, container: ContainerDep) -> Signed:
    token = request.cookies.get(SESSION_COOKIE)
    if token:

        def look() -> tuple[Viewer, str] | None:
            with container.sessions() as s:
                return session_viewer(s, token=token, now=container.clock.now())

        found = await run_in_threadpool(look)
        if found is not None:
            return Signed(*found)
    raise LoginRequired(login_url(request))


SignedDep = Annotated[Signed, Depends(get_signed)]


def need_role(signed: Signed, *roles: Role) -> None:
    if signed.viewer.role not in roles:
        raise PageError(403, "error.forbidden")


async def check_csrf(request: Request, signed: SignedDep) -> Signed:
    """POST guard: the form's token must equal the session's (constant-time compare)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, signed.csrf):
        raise PageError(403, "error.csrf")
    return signed


CsrfDep = Annotated[Signed, Depends(check_csrf)]


def company_time(company: Company | None, at: datetime | None, fmt: str = "%H:%M:%S") -> str:
    """A stored UTC time shown in the company's time zone."""
    if at is None:
        return ""
    zone = ZoneInfo(company.timezone if company is not None else "UTC")
    return at.astimezone(zone).strftime(fmt)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    signed: Signed | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    t = translator(request)
    base: dict[str, Any] = {
        "t": t,
        "lang": t.lang,
        "languages": LANGUAGES,
        "viewer": signed.viewer if signed else None,
        "csrf": signed.csrf if signed else "",
        "csrf_field": CSRF_FIELD,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    response = templates.TemplateResponse(
        request, name, {**base, **(context or {})}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
