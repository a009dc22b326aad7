"""The Graph API look-alike: the two calls notify's production code makes to Meta.

Errors here are Graph error objects, not problem responses: this surface imitates Meta's
contract, so a client written for Meta handles them unchanged.
"""

import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from wa_sandbox.domain.graph_errors import GraphError, invalid_parameter
from wa_sandbox.entrypoints.dependencies import SandboxDep


class GraphVersion(Convertor[str]):
    """A Graph API version segment ("v21.0"); other first segments (/sandbox, /docs) are not Graph's."""

    regex = r"v\d+\.\d+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("graph_version", GraphVersion())

router = APIRouter(tags=["graph api (Meta look-alike)"])

_SEND_EXAMPLE = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "6281234567890",
    "type": "text",
    "text": {"preview_url": False, "body": "Nomor antrean Anda A-023."},
}


def install_graph_error_handler(app: FastAPI) -> None:
    @app.exception_handler(GraphError)
    async def _graph_error(_: Request, exc: GraphError) -> JSONResponse:
        headers = {}
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
        return JSONResponse(exc.body(fbtrace_id=_fbtrace_id()), status_code=exc.http_status,
                            headers=headers)


def _fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)


def _bearer(authorization: str | None, access_token: str | None) -> str | None:
    """Graph takes the token as ``Authorization: Bearer`` or as the ``access_token`` query parameter."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return access_token


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise invalid_parameter("The request body must be JSON (Content-Type: application/json).") from exc


Authorization = Annotated[str | None, Header()]
AccessToken = Annotated[str | None, Query()]


@router.post(
    "/{version:graph_version}/{phone_number_id}/messages",
    summary="Send a WhatsApp message (Cloud API shape)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object"}, "example": _SEND_EXAMPLE}}}},
)
async def send_message(version: str, phone_number_id: str, request: Request, sandbox: SandboxDep,
                       authorization: Authorization = None,
                       access_token: AccessToken = None) -> dict[str, Any]:
    sandbox.authorize(_bearer(authorization, access_token))
    message = await sandbox.send(phone_number_id=phone_number_id, body=await _json_body(request),
                           headers=request.headers)
    return {"messaging_product": "whatsapp",
            "contacts": [{"input": message.body["to"], "wa_id": message.to}],
            "messages": [{"id": message.id}]}


@router.get("/{version:graph_version}/{phone_number_id}",
            summary="Read the business phone number (Cloud API shape)")
async def phone_number(version: str, phone_number_id: str, sandbox: SandboxDep,
                       authorization: Authorization = None,
                       access_token: AccessToken = None) -> dict[str, Any]:
    sandbox.authorize(_bearer(authorization, access_token))
    sandbox.require_phone_number(phone_number_id, "get")
    business = sandbox.business
    return {
        "verified_name": business.verified_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": f"+{business.display_phone_number}",
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": business.phone_number_id,
    }
