"""Domain refusals as RFC 9457 problem responses."""

from typing import Any

from antre_platform.web import problem_response
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ticketing.adapters.phone_sealer import PhoneHandoffUnavailable
from ticketing.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound

_STATUS = ((NotFound, 404), (InvalidRequest, 422), (Conflict, 409), (Forbidden, 403))


def _status(error: DomainError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 409)


def install_domain_problems(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _refused(_: Request, error: DomainError) -> JSONResponse:
        extra: dict[str, Any] = {**error.extra, "code": error.code}
        if error.detail_id:
            extra["detail_id"] = error.detail_id
        if isinstance(error, InvalidRequest):
            extra["errors"] = [{"field": error.field, "message": error.detail}]
        return problem_response(_status(error), error.detail, **extra)

    @app.exception_handler(PhoneHandoffUnavailable)
    async def _no_phone_key(_: Request, error: PhoneHandoffUnavailable) -> JSONResponse:
        return problem_response(503, str(error), code="phone_handoff_unavailable")
