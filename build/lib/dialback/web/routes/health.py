"""Liveness, readiness and Prometheus metrics (X5)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from dialback.web.deps import ContainerDep, MetricsDep
from dialback.web.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database or the engine is down"}})
def readyz(request: Request, container: ContainerDep) -> JSONResponse:
    """Readiness: the database answers ``SELECT 1`` and the engine (if run here) is alive."""
    try:
        with container.db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the database means "not ready"
        log.warning("readiness check: database failed: %s", exc)
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "detail": f"database: {type(exc).__name__}: {exc}"},
        )
    task: asyncio.Task[None] | None = getattr(request.app.state, "engine_task", None)
    if task is not None and task.done():
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "detail": "engine: the scheduler loop has stopped"},
        )
    return JSONResponse(content={"status": "ready"})


@router.get("/metrics", response_class=Response)
def metrics(registry: MetricsDep) -> Response:
    """Prometheus text exposition of this app's own registry."""
    return Response(content=registry.render(), media_type=CONTENT_TYPE)
