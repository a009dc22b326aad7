"""FastAPI dependencies: the wired service and who is calling (admin, agency key, staff token)."""

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.exceptions import HTTPException

from ticketing.app.access import ADMIN, Actor
from ticketing.bootstrap import Ticketing


def get_ticketing(request: Request) -> Ticketing:
    ticketing: Ticketing = request.app.state.ticketing
    return ticketing


TicketingDep = Annotated[Ticketing, Depends(get_ticketing)]


async def current_actor(
    ticketing: TicketingDep, authorization: Annotated[str | None, Header(max_length=1000)] = None
) -> Actor | None:
    """The caller behind ``Authorization: Bearer <secret>``, or None (no or unknown secret)."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    if secrets.compare_digest(token.encode(), ticketing.settings.admin_token.encode()):
        return ADMIN
    credential = await ticketing.credentials.get(hashlib.sha256(token.encode()).hexdigest())
    if credential is None:
        return None
    if credential.kind == "staff_token":
        return Actor(kind="staff", agency_id=credential.agency_id, counter_id=credential.counter_id)
    return Actor(kind="agency", agency_id=credential.agency_id)


def require_actor(actor: Annotated[Actor | None, Depends(current_actor)]) -> Actor:
    if actor is None:
        raise HTTPException(
            401,
            "Send a staff token, your agency's API key or the platform admin token as "
            "'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


MaybeActor = Annotated[Actor | None, Depends(current_actor)]
StaffActor = Annotated[Actor, Depends(require_actor)]
