"""FastAPI dependencies: who is calling, a unit of work per request, the clock."""

import hmac
from typing import Annotated

from antre_platform.clock import Clock
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from registry.adapters.postgres import PgUnitOfWork, authenticate
from registry.app.ports import UnitOfWork
from registry.domain.access import ADMIN, Principal
from registry.domain.api_keys import KEY_PREFIX, STAFF_TOKEN_PREFIX, hash_api_key
from registry.settings import Settings

_bearer = HTTPBearer(
    auto_error=False,
    description="the platform admin token (ANTRE_ADMIN_TOKEN), an agency API key (ak_live_...) "
    "or a counter officer's staff token (st_...)",
)


def _unauthorized(detail: str, *, invalid: bool) -> HTTPException:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller; 401 when the bearer credential is missing, unknown or revoked."""
    if credentials is None:
        raise _unauthorized(
            "send a credential as 'Authorization: Bearer <token>': the admin token, an agency API key "
            "or a staff token",
            invalid=False,
        )
    secret = credentials.credentials
    settings: Settings = request.app.state.settings
    if hmac.compare_digest(secret.encode(), settings.admin_token.encode()):
        return ADMIN
    staff = secret.startswith(STAFF_TOKEN_PREFIX)
    if staff or secret.startswith(KEY_PREFIX):
        holder = await authenticate(
            request.app.state.runtime.pool,
            secret_hash=hash_api_key(secret),
            staff=staff,
            at=request.app.state.clock.now(),
        )
        if holder is not None:
            return Principal(
                kind="staff" if staff else "agency",
                actor=holder["prefix"],
                agency_id=holder["agency_id"],
                counter_id=holder["counter_id"],
                credential_id=holder["id"],
            )
    raise _unauthorized(
        "this credential is not valid here (unknown, revoked, or its agency is inactive); "
        "ask the platform admin for a new agency key, or your agency for a new staff token",
        invalid=True,
    )


def unit_of_work(request: Request) -> UnitOfWork:
    return PgUnitOfWork(request.app.state.runtime.pool)


def clock(request: Request) -> Clock:
    current: Clock = request.app.state.clock
    return current


Caller = Annotated[Principal, Depends(current_principal)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
ClockDep = Annotated[Clock, Depends(clock)]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="the ETag of your last read; the change is refused (412) if the entity changed since",
    ),
]
