"""Registry errors as RFC 9457 problem responses, in the same shape as validation errors."""

from antre_platform.web import problem_response
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from registry.domain.errors import Conflict, FieldIssue, InvalidInput, NotFound, OutOfScope, StaleVersion

_COLLECTIONS = {
    "site": "sites",
    "agency": "agencies",
    "service": "services",
    "counter": "counters",
    "journey": "journeys",
    "API key": "agencies/{agency_id}/api-keys",
    "staff token": "counters/{counter_id}/staff-tokens",
}


def _fields(issues: list[FieldIssue]) -> tuple[str, list[dict[str, str]]]:
    detail = "; ".join(f"{issue.field}: {issue.message}" for issue in issues)
    return detail, [{"field": issue.field, "message": issue.message} for issue in issues]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        collection = _COLLECTIONS.get(exc.entity, exc.entity)
        return problem_response(404, f"{exc}; check the id, or list them with GET /v1/{collection}")

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        detail, errors = _fields(exc.issues)
        return problem_response(422, f"Fix these fields: {detail}", errors=errors)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        detail, errors = _fields(exc.issues)
        return problem_response(409, detail, errors=errors)

    @app.exception_handler(OutOfScope)
    async def _out_of_scope(_: Request, exc: OutOfScope) -> JSONResponse:
        return problem_response(403, str(exc))

    @app.exception_handler(StaleVersion)
    async def _stale(_: Request, exc: StaleVersion) -> JSONResponse:
        return problem_response(412, str(exc))
