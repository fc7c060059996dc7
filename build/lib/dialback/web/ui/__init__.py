"""The web UI (X2, issue 6): sign-in, live board, call card, settings, and the widget."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from dialback.web.ui import auth, board, settings, widget_api
from dialback.web.ui.common import WEB_DIR, LoginRequired, PageError, get_signed, render


def install_ui(app: FastAPI) -> None:
    """Add the pages, the widget API and the static files to ``app``."""
    app.include_router(widget_api.router)
    for module in (auth, board, settings):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.next_url, status_code=303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        try:
            signed = await get_signed(request, request.app.state.container)
        except LoginRequired:
            signed = None
        return render(
            request,
            "error.html",
            {"status": exc.status, "message_key": exc.message_key, "values": exc.values},
            signed=signed,
            status_code=exc.status,
        )
