"""HTTP conventions shared by every service: RFC 9457 problem responses and health.

Every error a client can cause is answered as ``application/problem+json`` with a
``detail`` a person can act on; validation errors name each offending field.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 412: "Precondition failed",
    415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}


class Problem(Exception):
    """An error to answer as a problem response; raise it from entrypoints."""

    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 type: str = "about:blank", headers: Mapping[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.headers = headers
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.type = type
        self.extra = extra


def problem_response(status: int, detail: str, *, title: str | None = None,
                     type: str = "about:blank", headers: Mapping[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    body = {"type": type, "title": title or _TITLES.get(status, "Error"), "status": status,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _describe(err: Mapping[str, Any]) -> dict[str, str]:
    if err.get("type") == "json_invalid":
        reason = err.get("ctx", {}).get("error", "malformed JSON")
        return {"field": "body", "message": f"the request body is not valid JSON ({reason})"}
    return {"field": _field_path(err.get("loc", ())), "message": err.get("msg", "invalid")}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, title=exc.title, type=exc.type,
                                headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_describe(err) for err in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(422, f"Fix these fields: {detail}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(asyncpg.DataError)
    async def _unstorable(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        # Input that passed validation but PostgreSQL refuses (a NUL character in text, a
        # number out of range) is the client's to fix, not a server error.
        log.info("refused input PostgreSQL cannot store: %s", type(exc).__name__)
        return problem_response(
            422, "A value cannot be stored as sent (for example it contains a NUL character or a "
                 "number out of range): remove such characters or values and send it again."
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem_response(500, "Something went wrong on our side; it has been logged.")


ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers) and ``/readyz`` (every dependency answers)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        ready = all(results.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": results},
                            status_code=200 if ready else 503)

    return router
