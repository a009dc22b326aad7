"""FastAPI dependencies: the wired service and the admin bearer token."""

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.exceptions import HTTPException

from ticketing.bootstrap import Ticketing


def get_ticketing(request: Request) -> Ticketing:
    ticketing: Ticketing = request.app.state.ticketing
    return ticketing


TicketingDep = Annotated[Ticketing, Depends(get_ticketing)]


def is_admin(ticketing: TicketingDep, authorization: Annotated[str | None, Header()] = None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.strip().encode(), ticketing.settings.admin_token.encode()
    )


def require_admin(admin: Annotated[bool, Depends(is_admin)]) -> None:
    if not admin:
        # Agency keys and staff tokens come with the next issue; the admin token opens everything now.
        raise HTTPException(
            401,
            "Send the platform admin token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


IsAdmin = Annotated[bool, Depends(is_admin)]
AdminOnly = Depends(require_admin)
