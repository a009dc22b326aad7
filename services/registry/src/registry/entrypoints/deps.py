"""FastAPI dependencies: the admin check, a unit of work per request, the clock."""

import hmac
from typing import Annotated

from antre_platform.clock import Clock
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from registry.adapters.postgres import PgUnitOfWork
from registry.app.ports import UnitOfWork
from registry.settings import Settings

ADMIN = "admin"
_bearer = HTTPBearer(auto_error=False, description="the platform admin token (ANTRE_ADMIN_TOKEN)")


def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    """The acting admin; 401 when the bearer token is missing or wrong."""
    settings: Settings = request.app.state.settings
    if credentials is None:
        raise HTTPException(
            401,
            "send the admin token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), settings.admin_token.encode()):
        raise HTTPException(
            401,
            "this token is not valid here; use the platform admin token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return ADMIN


def unit_of_work(request: Request) -> UnitOfWork:
    return PgUnitOfWork(request.app.state.runtime.pool)


def clock(request: Request) -> Clock:
    current: Clock = request.app.state.clock
    return current


Admin = Annotated[str, Depends(require_admin)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
ClockDep = Annotated[Clock, Depends(clock)]
