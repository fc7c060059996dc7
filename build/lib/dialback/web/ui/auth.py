"""Sign-in, sign-out and the language switch of the web UI (issue 6)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dialback.services.users import SESSION_LIFETIME, authenticate, end_session, start_session
from dialback.web.deps import ContainerDep
from dialback.web.i18n import supported
from dialback.web.ui.common import (
    CSRF_FIELD,
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfDep,
    PageError,
    render,
    safe_next,
    set_cookie,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/board", status_code=303)


def _login_page(
    request: Request, *, next_url: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    # Sign-in CSRF: a cookie and the same value in the form (double submit);
    # a cross-site form cannot read the cookie to copy it.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"next": next_url, "error": error, "login_csrf": token},
        status_code=status_code,
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, container: ContainerDep) -> Response:
    form = await request.form()
    login_name, password = str(form.get("login", "")), str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "")))
    sent, expected = str(form.get(CSRF_FIELD, "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise PageError(403, "error.csrf")

    def work() -> str | None:
        with container.sessions() as s:
            user = authenticate(s, login=login_name, password=password)
            if user is None:
                return None
            token, _ = start_session(s, user=user, now=container.clock.now())
            return token

    token = await run_in_threadpool(work)
    if token is None:
        return _login_page(request, next_url=next_url, error="login.failed", status_code=401)
    response = RedirectResponse(next_url, status_code=303)
    set_cookie(
        response, request, SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds())
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, signed: CsrfDep, container: ContainerDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE, "")

    def work() -> None:
        with container.sessions() as s:
            end_session(s, token=token)

    await run_in_threadpool(work)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None) -> RedirectResponse:
    """The language switch: remembered in a cookie, wins over Accept-Language."""
    lang = supported(code)
    if lang is None:
        raise PageError(404, "error.not_found")
    response = RedirectResponse(safe_next(next, default="/board"), status_code=303)
    set_cookie(response, request, LANG_COOKIE, lang, max_age=365 * 86400)
    return response
