"""FastAPI dependencies as ``Annotated`` aliases (STYLE habit 6).

- ``ContainerDep``: the composition root, from ``app.state.container``.
- ``SessionDep``: one database session per request.
- ``PrincipalDep``: who calls, from the ``X-API-Key`` header (X1): an admin key
  (an ``ApiKey`` row, stored as its sha256) or a widget's public key.
- ``AdminDep``: the same, but only admin keys get through (403 otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, cast

from fastapi import Depends, HTTPException, Path, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dialback.adapters.db.tables import ApiKey, Company, Widget
from dialback.bootstrap import Container, hash_key
from dialback.web.metrics import ApiMetrics
from dialback.web.schemas import MAX_ID

API_KEY_HEADER = "X-API-Key"

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="An admin API key (ak_...) or a widget's public key (wk_...).",
)


def get_container(request: Request) -> Container:
    return cast(Container, request.app.state.container)


ContainerDep = Annotated[Container, Depends(get_container)]


def get_metrics(request: Request) -> ApiMetrics:
    return cast(ApiMetrics, request.app.state.metrics)


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def get_session(container: ContainerDep) -> Iterator[Session]:
    with container.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    """The caller: an admin of a company, or one widget of it."""

    kind: Literal["admin", "widget"]
    company_id: int
    name: str
    key_id: int | None = None  # the ApiKey row of an admin
    widget_id: int | None = None  # the widget of a public key

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


def _unauthorized(msg: str) -> HTTPException:
    return HTTPException(status_code=401, detail=msg, headers={"WWW-Authenticate": API_KEY_HEADER})


def get_principal(
    session: SessionDep, key: Annotated[str | None, Security(api_key_header)]
) -> Principal:
    if key is None or not key.strip():
        raise _unauthorized(f"missing {API_KEY_HEADER} header: send an admin or widget key")
    key = key.strip()
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if api_key is not None:
        if api_key.revoked:
            raise _unauthorized(f"{API_KEY_HEADER}: this API key was revoked")
        if api_key.role != "admin":
            raise HTTPException(
                status_code=403, detail=f"API key role {api_key.role!r} has no access"
            )
        return Principal(
            kind="admin", company_id=api_key.company_id, name=api_key.name, key_id=api_key.id
        )
    widget = session.scalar(select(Widget).where(Widget.public_key == key))
    if widget is not None:
        if not widget.enabled:
            raise HTTPException(status_code=403, detail=f"widget {widget.id} is disabled")
        return Principal(
            kind="widget", company_id=widget.company_id, name=widget.name, widget_id=widget.id
        )
    raise _unauthorized(f"{API_KEY_HEADER}: unknown API key")


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise HTTPException(
            status_code=403,
            detail=(
                f"{API_KEY_HEADER}: a widget key may only order callbacks and read its own "
                "requests; this endpoint needs an admin API key"
            ),
        )
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def get_company(session: SessionDep, principal: PrincipalDep) -> Company:
    company = session.get(Company, principal.company_id)
    if company is None:  # the key outlived its company
        raise HTTPException(status_code=403, detail="the API key's company no longer exists")
    return company


CompanyDep = Annotated[Company, Depends(get_company)]


PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="A database id")]
