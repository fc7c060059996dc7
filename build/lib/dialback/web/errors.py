"""Client errors that name the offending field and say why (X1).

Every 4xx of the API says which input was wrong. Validation problems that need
the database (a department of another company, a number read with the
company's region) are raised in FastAPI's usual 422 shape, so a client parses
one format whether pydantic or a route found the problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError


def invalid(
    field: str | tuple[str | int, ...], msg: str, *, where: str = "body"
) -> RequestValidationError:
    """A 422 ``{"detail": [{"loc": [where, field...], "msg": msg, "type": "value_error"}]}``."""
    path: tuple[str | int, ...] = (field,) if isinstance(field, str) else field
    error: dict[str, Any] = {"loc": (where, *path), "msg": msg, "type": "value_error"}
    return RequestValidationError([error])


def not_found(what: str, ident: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} {ident} not found")


def conflict(msg: str) -> HTTPException:
    return HTTPException(status_code=409, detail=msg)
