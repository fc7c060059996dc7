"""The FastAPI application (X1): REST API, live events, health and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError

from dialback.bootstrap import Container
from dialback.web.metrics import ApiMetrics
from dialback.web.routes import access, admin, callbacks, events, health, stats, widgets
from dialback.web.ui import install_ui

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(container: Container, *, run_engine: bool = False) -> FastAPI:
    """Build the app around ``container``; with ``run_engine`` it also runs the scheduler."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task: asyncio.Task[None] | None = None
        if run_engine:
            task = asyncio.create_task(container.engine.run(), name="dialback-engine")
            app.state.engine_task = task
        try:
            yield
        finally:
            if task is not None:
                container.engine.stop()
                try:
                    await task
                except Exception:
                    log.exception("the engine failed")

    app = FastAPI(
        title="Dialback",
        version="0.1.0",
        description=(
            "Callback requests, ReCall and live call progress. Authenticate with the "
            "`X-API-Key` header: an admin key, or a widget's public key (which may only "
            "order callbacks for its widget and read the requests it created)."
        ),
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.metrics = ApiMetrics(container)

    api = APIRouter(prefix=API_PREFIX)
    for module in (callbacks, admin, widgets, access, events, stats):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    install_ui(app)  # issue 6: pages, the widget script and its CORS-limited API

    # Safety nets: a race between two writers, or a value the database cannot
    # hold, is the client's problem to fix, never a 500.
    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "constraint failed"
        return JSONResponse(
            status_code=409, content={"detail": f"conflicts with existing data: {reason}"}
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
        return JSONResponse(
            status_code=422, content={"detail": f"a value cannot be stored: {reason}"}
        )

    return app
