"""``/sandbox/*``: what tests and people use to drive the sandbox and look inside it."""

from typing import Annotated

from antre_platform.web import Problem
from fastapi import APIRouter, Query, Response, status

from wa_sandbox.domain.notifications import InboundContent, InboundReply, InboundText
from wa_sandbox.domain.phones import InvalidPhone, to_wa_id
from wa_sandbox.entrypoints.dependencies import SandboxDep
from wa_sandbox.entrypoints.schemas import (
    FaultCreate,
    FaultPublic,
    InboundCreate,
    InboundPublic,
    InboundResult,
    MessagePublic,
)

router = APIRouter(prefix="/sandbox", tags=["sandbox controls"])

PhoneQuery = Annotated[str | None, Query(description="digits, with or without '+'",
                                         examples=["6281234567890"])]


def _phone_filter(phone: str | None, parameter: str) -> str | None:
    if phone is None:
        return None
    try:
        return to_wa_id(phone)
    except InvalidPhone as exc:
        raise Problem(422, f"Query parameter {parameter}: {exc}.") from exc


def _content(inbound: InboundCreate) -> InboundContent:
    # InboundCreate guarantees exactly one of text, button_reply and list_reply.
    if inbound.button_reply is not None:
        choice = inbound.button_reply
        return InboundReply(kind="button_reply", id=choice.id, title=choice.title)
    if inbound.list_reply is not None:
        choice = inbound.list_reply
        return InboundReply(kind="list_reply", id=choice.id, title=choice.title,
                            description=choice.description)
    return InboundText(body=inbound.text or "")


@router.post("/inbound", summary="Send a message as a WhatsApp user: delivered, signed, to the webhook")
async def send_inbound(inbound: InboundCreate, sandbox: SandboxDep) -> InboundResult:
    record = await sandbox.receive_inbound(sender=inbound.sender, content=_content(inbound),
                                           name=inbound.name, repeat=inbound.repeat)
    return InboundResult.of(record)


@router.get("/inbound", summary="Inbound messages delivered so far, oldest first")
async def list_inbound(sandbox: SandboxDep,
                       sender: Annotated[str | None, Query(alias="from", description="digits, with or "
                                                           "without '+'")] = None) -> list[InboundPublic]:
    return [InboundPublic.of(record) for record in sandbox.inbound(_phone_filter(sender, "from"))]


@router.get("/messages", summary="Messages sent through the Graph API look-alike, oldest first")
async def list_messages(sandbox: SandboxDep, to: PhoneQuery = None) -> list[MessagePublic]:
    return [MessagePublic.of(message) for message in sandbox.messages(_phone_filter(to, "to"))]


@router.delete("/messages", status_code=status.HTTP_204_NO_CONTENT,
               summary="Forget every message, sent and inbound (faults stay: DELETE /sandbox/faults)")
async def reset_messages(sandbox: SandboxDep) -> Response:
    await sandbox.reset()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/faults", status_code=status.HTTP_201_CREATED,
             summary="Make the next N sends (to one phone, or any) fail with a Graph error, or answer late")
async def add_fault(fault: FaultCreate, sandbox: SandboxDep) -> FaultPublic:
    added = sandbox.faults.add(status=fault.status, code=fault.code, count=fault.count, to=fault.to,
                               details=fault.details, delay_seconds=fault.delay_seconds)
    return FaultPublic.of(added)


@router.get("/faults", summary="Faults still waiting to fail a send")
async def list_faults(sandbox: SandboxDep) -> list[FaultPublic]:
    return [FaultPublic.of(fault) for fault in sandbox.faults.pending()]


@router.delete("/faults", status_code=status.HTTP_204_NO_CONTENT, summary="Drop every pending fault")
async def clear_faults(sandbox: SandboxDep) -> Response:
    sandbox.faults.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
